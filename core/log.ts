// Three streams, as rkt: stdout for results, stderr for `rkt: …` messages, diag for --debug only.
// Errors are formatted here (rkt's PrintE): one line normally, the whole cause chain with --debug.
import { causeChain, messageOf } from "./errors.ts";
import { writeStderr } from "../ffi/stdio.ts";

let debugEnabled = false;

/** Turns diagnostic output on (global --debug). */
export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function isDebug(): boolean {
  return debugEnabled;
}

/** A line on stderr with rkt's prefix. */
export function stderr(msg: string): void {
  writeStderr(`rkt: ${msg}\n`);
}

/** A diagnostic line on stderr, shown only with --debug. */
export function diag(msg: string): void {
  if (debugEnabled) writeStderr(`rkt: ${msg}\n`);
}

/** A warning the user should see even without --debug. */
export function warn(msg: string): void {
  writeStderr(`rkt: warning: ${msg}\n`);
}

/**
 * `rkt: <message>: <innermost cause>`; with --debug the whole chain, each cause under the previous
 * one marked `└─`, plus the stack of the innermost error.
 */
export function formatError(err: unknown, debug = debugEnabled): string {
  const chain = causeChain(err);
  const top = messageOf(chain[0]);
  if (!debug) {
    const inner = chain.length > 1 ? messageOf(chain[chain.length - 1]) : "";
    return `rkt: ${top}${inner && !top.endsWith(inner) ? `: ${inner}` : ""}`;
  }
  const lines = [`rkt: ${top}`];
  chain.slice(1).forEach((c, i) => lines.push(`${"  ".repeat(i + 1)}└─${messageOf(c)}`));
  const last = chain[chain.length - 1];
  if (last instanceof Error && last.stack) lines.push(last.stack);
  return lines.join("\n");
}
