// rkt's persistent flags. cobra accepts them anywhere before `--`; citty only parses per command,
// so main.ts takes them out of argv first with `splitGlobals`.
import type { ArgsDef } from "citty";
import { resolve } from "../core/posix-path.ts";
import { parseInsecureOptions, type GlobalOptions } from "../core/config/options.ts";
import { DEFAULT_DATA_DIR, DEFAULT_LOCAL_CONFIG, DEFAULT_SYSTEM_CONFIG } from "../core/paths.ts";
import { UsageError } from "../core/errors.ts";
import { parseBool } from "./_shared.ts";

export const GLOBAL_FLAGS = {
  debug: { type: "boolean", description: "print out more debug information to stderr" },
  dir: { type: "string", description: "rkt data directory", default: DEFAULT_DATA_DIR },
  "insecure-options": {
    type: "string",
    description: "comma-separated list of security features to disable: none,image,tls,ondisk,http,pubkey,capabilities,paths,seccomp,all-fetch,all-run,all",
    default: "none",
  },
  "local-config": { type: "string", description: "local configuration directory", default: DEFAULT_LOCAL_CONFIG },
  "system-config": { type: "string", description: "system configuration directory", default: DEFAULT_SYSTEM_CONFIG },
  "trust-keys-from-https": { type: "boolean", description: "automatically trust gpg keys fetched from https" },
  "user-config": { type: "string", description: "user configuration directory" },
} as const satisfies ArgsDef;

/** Takes the global flags out of `argv` (before any `--`) and returns them parsed, plus the rest. */
export function splitGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const def = m ? (GLOBAL_FLAGS as ArgsDef)[m[1]!] : undefined;
    if (!m || !def) {
      rest.push(arg);
      continue;
    }
    const name = m[1]!;
    if (def.type === "boolean") {
      values[name] = String(m[2] === undefined ? true : parseBool(name, m[2]));
    } else if (m[2] !== undefined) {
      values[name] = m[2];
    } else {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      values[name] = next;
    }
  }
  rest.push(...argv.slice(i));
  const dir = values.dir;
  return {
    rest,
    globals: {
      dir: resolve(dir ?? DEFAULT_DATA_DIR),
      dirFromFlag: dir !== undefined,
      systemConfig: resolve(values["system-config"] ?? DEFAULT_SYSTEM_CONFIG),
      localConfig: resolve(values["local-config"] ?? DEFAULT_LOCAL_CONFIG),
      userConfig: values["user-config"] ? resolve(values["user-config"]) : "",
      debug: values.debug === "true",
      insecure: parseInsecureOptions(values["insecure-options"] ?? "none"),
      trustKeysFromHttps: values["trust-keys-from-https"] === "true",
    },
  };
}
