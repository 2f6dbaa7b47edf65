// The error tree of rkt: every failure rkt reports is an RktError (or wraps one as `cause`).
// Messages are lowercase, without a trailing period, and say what was expected and what was found.
// The top level (cmd/main.ts) is the only place that prints them.
import { SyscallError } from "../ffi/errors.ts";
import { readFileSync } from "../ffi/sync-fs.ts";

/** Base of rkt's own errors; exit code 254 as in rkt v1.x. */
export class RktError extends Error {
  exitCode = 254;
  /** an error from cleanup after this one, kept so neither is lost */
  cleanupError?: unknown;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line: printed with the command's usage line. */
export class UsageError extends RktError {}

/** An image or pod that is not there (or an ambiguous / too short ID). */
export class NotFoundError extends RktError {}

/** A pod in a state that does not allow the operation. */
export class PodStateError extends RktError {
  constructor(
    readonly uuid: string,
    readonly state: string,
    readonly want: string,
  ) {
    super(`pod "${uuid}" is ${state}, expected ${want}`);
  }
}

/** A manifest, archive or signature that does not pass verification. */
export class VerificationError extends RktError {}

/** A failure while getting an image from somewhere. */
export class FetchError extends RktError {}

/** Causes of an error from the outside in (the error itself first). */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && chain.length < 32) {
    chain.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return chain;
}

/** The message of an error-like value, without its class name. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The text of a file the user named with `flag` (--set-env-file, --pod-manifest, --uuid-file): a
 * missing or unreadable one is a one-line error naming the flag, the path and the reason.
 */
export function readGivenFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const reason = e instanceof SyscallError ? e.reason.toLowerCase() : messageOf(e);
    throw new RktError(`cannot read ${flag} "${path}": ${reason}`);
  }
}
