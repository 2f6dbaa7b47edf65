// Pieces every command shares: global options as parsed by main.ts, reusable flag fragments and the
// strict flag check citty does not do (rkt rejects unknown flags with exit 254).
import type { ArgsDef } from "citty";
import type { GlobalOptions } from "../core/config/options.ts";
import { UsageError } from "../core/errors.ts";

let globals: GlobalOptions | undefined;

/** Set once by cmd/main.ts before a command runs. */
export function setGlobals(g: GlobalOptions): void {
  globals = g;
}

/** The global options of this invocation. */
export function getGlobals(): GlobalOptions {
  if (!globals) throw new Error("global options read before cmd/main.ts parsed them");
  return globals;
}

export const formatArg = {
  format: {
    type: "string",
    description: "output format: json, json-pretty (default: tabular)",
    valueHint: "json|json-pretty",
  },
} as const satisfies ArgsDef;

export const noLegendArg = {
  "no-legend": { type: "boolean", description: "suppress the column headers", default: false },
} as const satisfies ArgsDef;

export const fullArg = {
  full: { type: "boolean", description: "print full IDs instead of shortened ones", default: false },
} as const satisfies ArgsDef;

export const overwriteArg = {
  overwrite: { type: "boolean", description: "overwrite the output if it exists", default: false },
} as const satisfies ArgsDef;

export const prettyPrintArg = {
  "pretty-print": { type: "boolean", description: "apply indent to format the output", default: true },
} as const satisfies ArgsDef;

/** `--format`: undefined (tabular), "json" or "json-pretty"; anything else is a usage error. */
export function outputFormat(value: unknown): "json" | "json-pretty" | undefined {
  if (value === undefined || value === "" || value === "tabular") return undefined;
  if (value === "json" || value === "json-pretty") return value;
  throw new UsageError(`invalid --format "${String(value)}": expected json or json-pretty`);
}

/** Positional arguments, after citty parsed the flags. */
export function positionals(args: { _: string[] }): string[] {
  return args._.map(String);
}

/** Parses a boolean flag value the way Go's strconv.ParseBool does. */
export function parseBool(name: string, value: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  throw new UsageError(`invalid value "${value}" for --${name}: expected true or false`);
}

/**
 * Rejects flags a command does not define, and missing values of string flags, before citty (which
 * accepts anything) sees them. Stops at `--`.
 */
export function checkFlags(rawArgs: readonly string[], def: ArgsDef): void {
  const names = new Map<string, ArgsDef[string]>();
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") continue;
    names.set(name, d);
    const aliases = "alias" in d ? d.alias : undefined;
    for (const a of Array.isArray(aliases) ? aliases : aliases ? [aliases] : []) names.set(a, d);
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const d = names.get(name) ?? (name.startsWith("no-") ? names.get(name.slice(3)) : undefined);
    if (!d) throw new UsageError(`unknown flag: ${arg.split("=")[0]}`);
    if (d.type === "boolean") {
      if (eq >= 0) parseBool(name, body.slice(eq + 1));
    } else if (eq < 0 && !hasOptionalValue(d)) {
      if (i + 1 >= rawArgs.length) throw new UsageError(`flag needs an argument: --${name}`);
      i++;
    }
  }
}

/** rkt flags whose value may be left out (`--wait`, `--net`): marked by a valueHint of "[=…]". */
function hasOptionalValue(d: ArgsDef[string]): boolean {
  return d.type === "string" && (d.valueHint?.startsWith("[=") ?? false);
}

/**
 * Spells argv so citty reads it as cobra would: `--no-foo` flags of our own (rkt's --no-legend,
 * --no-overlay) in camelCase, since citty reads `--no-foo` as "foo is false"; and a flag whose value
 * may be left out, given without one, as `--flag=<its default, or true>`, so citty does not take the
 * next argument.
 */
export function forCitty(rawArgs: readonly string[], def: ArgsDef): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") return [...out, ...rawArgs.slice(i)];
    const m = /^--([a-z0-9-]+)(=.*)?$/s.exec(arg);
    const d = m ? def[m[1]!] : undefined;
    if (m && d && m[1]!.startsWith("no-")) out.push(`--${m[1]!.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}${m[2] ?? ""}`);
    else if (m && d && m[2] === undefined && hasOptionalValue(d)) out.push(`${arg}=${typeof d.default === "string" && d.default ? d.default : "true"}`);
    else out.push(arg);
  }
  return out;
}
