// rkt's positional per-app arguments for run and prepare (port of rkt/cli_apps.go parseApps):
// images start apps; per-app flags (--exec, --name, …) bind to the image before them; `--`
// starts the app's arguments and `---` ends them; pod-wide flags may appear anywhere, and
// `--mount` is pod-wide before the first image and per-app after it.
import type { ArgsDef } from "citty";
import { UsageError } from "../core/errors.ts";
import { parseBool } from "./_shared.ts";

/** The flags that belong to the image before them. */
export const APP_FLAGS = {
  signature: { type: "string", description: "local signature file to use in validating the preceding image", valueHint: "FILE" },
  exec: { type: "string", description: "override the exec command for the preceding image", valueHint: "PATH" },
  name: { type: "string", description: "set the name of the app (default: the image's base name)" },
  user: { type: "string", description: "user override for the preceding image (uid, name or file path)" },
  group: { type: "string", description: "group override for the preceding image (gid, name or file path)" },
  "supplementary-gids": { type: "string", description: "supplementary group IDs override for the preceding image (comma-separated)" },
  "working-dir": { type: "string", description: "override the working directory of the preceding image" },
  "readonly-rootfs": { type: "boolean", description: "mount the rootfs of the preceding image read-only" },
  environment: { type: "string", description: "set the app's environment variable (KEY=VALUE)" },
  memory: { type: "string", description: "memory limit for the preceding image (e.g. 16M)" },
  cpu: { type: "string", description: "CPU limit for the preceding image (e.g. 500m)" },
  "cpu-shares": { type: "string", description: "CPU shares for the preceding image (2..262144)" },
  "caps-retain": { type: "string", description: "capabilities to retain for the preceding image" },
  "caps-remove": { type: "string", description: "capabilities to remove for the preceding image" },
  "cap-retain": { type: "string", description: "deprecated alias of --caps-retain" },
  "cap-remove": { type: "string", description: "deprecated alias of --caps-remove" },
  seccomp: { type: "string", description: "seccomp filter override for the preceding image: mode=retain|remove[,errno=ENAME],syscall|@group,… (groups: @appc.io/all, @appc.io/empty, @rkt/ and @docker/default-whitelist|-blacklist, @systemd/clock|default-whitelist|mount|network-io|obsolete|privileged|process|raw-io)" },
  "oom-score-adj": { type: "string", description: "OOM score adjustment for the preceding image (-1000..1000)" },
  "user-annotation": { type: "string", description: "set the app's user annotation (KEY=VALUE)" },
  "user-label": { type: "string", description: "set the app's user label (KEY=VALUE)" },
  annotation: { type: "string", description: "set the app's annotation (KEY=VALUE)" },
  stdin: { type: "string", description: "stdin mode for the preceding image (experimental)" },
  stdout: { type: "string", description: "stdout mode for the preceding image (experimental)" },
  stderr: { type: "string", description: "stderr mode for the preceding image (experimental)" },
} as const satisfies ArgsDef;

/** Per-app flags that may be given several times (values accumulate in order). */
const REPEATABLE = new Set(["environment", "user-annotation", "user-label", "annotation", "mount"]);

/** One image with its per-app flags and arguments. */
export interface AppArgs {
  image: string;
  /** per-app flag values: strings, booleans, or lists for repeatable flags */
  flags: Record<string, string | boolean | string[]>;
  /** arguments after `--` */
  args: string[];
}

export interface ParsedApps {
  /** pod-wide flag values (repeatable ones as lists) */
  pod: Record<string, string | boolean | string[]>;
  apps: AppArgs[];
}

function put(target: Record<string, string | boolean | string[]>, name: string, value: string | boolean, repeatable: boolean): void {
  if (!repeatable) {
    target[name] = value;
    return;
  }
  const list = target[name];
  target[name] = [...(Array.isArray(list) ? list : []), String(value)];
}

/**
 * Parses run/prepare argv. `podFlags` are the command's pod-wide flags (`repeatable` lists those
 * that accumulate); `allowAppArgs` is false for commands without `--` app arguments.
 */
export function parseApps(
  argv: readonly string[],
  podFlags: ArgsDef,
  podRepeatable: ReadonlySet<string>,
  allowAppArgs = true,
  /** flags whose value is optional (`--net` alone means `default`) and their value when absent */
  optionalValue: Readonly<Record<string, string>> = {},
): ParsedApps {
  const pod: ParsedApps["pod"] = {};
  const apps: AppArgs[] = [];
  let appsAtLastArgs = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      if (!allowAppArgs) throw new UsageError("app arguments unsupported");
      if (apps.length === appsAtLastArgs) {
        throw new UsageError(apps.length === 0 ? "an image is required before any app arguments" : "only one set of app arguments allowed per image");
      }
      const start = ++i;
      while (i < argv.length && argv[i] !== "---") i++;
      apps.at(-1)!.args.push(...argv.slice(start, i));
      appsAtLastArgs = apps.length;
      continue;
    }
    // a "---" that ends no argument list is not an image: rkt ignores it
    if (a === "---") continue;
    if (!a.startsWith("-") || a === "-") {
      apps.push({ image: a, flags: {}, args: [] });
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name in APP_FLAGS && apps.length === 0) throw new UsageError(`--${name} must follow an image`);
    const isApp = name in APP_FLAGS || (name === "mount" && apps.length > 0);
    const def = isApp ? (APP_FLAGS as ArgsDef)[name] ?? { type: "string" } : podFlags[name];
    if (!def || def.type === "positional") throw new UsageError(`unknown flag: --${name}`);
    let value: string | boolean;
    if (def.type === "boolean") {
      value = inline === undefined ? true : parseBool(name, inline);
    } else if (inline !== undefined) {
      value = inline;
    } else if (name in optionalValue) {
      value = optionalValue[name]!;
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
      value = argv[++i]!;
    }
    if (isApp) put(apps.at(-1)!.flags, name, value, REPEATABLE.has(name));
    else put(pod, name, value, podRepeatable.has(name));
  }
  return { pod, apps };
}
