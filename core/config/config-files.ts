// rkt's configuration files (rkt/config/config.go, layout.md §3): `*.json` files directly inside
// `<dir>/<sub>.d` of each config directory — system (/usr/lib/rkt) < local (/etc/rkt) < user — each
// with `rktKind` and `rktVersion`. Subdirectories, symlinks and other names are ignored, as rkt did.
// Kinds (auth, paths, stage1, …) parse the bodies; this module only finds, reads and checks headers.
import { lstatSync, readdirSync, readFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { RktError } from "../errors.ts";

/** The three config directories, lowest precedence first; "" means not set (the user dir usually). */
export interface ConfigDirs {
  systemConfig: string;
  localConfig: string;
  userConfig?: string;
}

/** One configuration file as read. */
export interface ConfigFile {
  path: string;
  kind: string;
  version: string;
  /** the whole JSON object, header included */
  body: Record<string, unknown>;
}

/** A config error: `cannot read configuration "<path>": …`. */
export class ConfigError extends RktError {}

function jsonFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    if (code === "ENOTDIR") throw new ConfigError(`cannot read configuration directory "${dir}": expected a directory`, { cause: err });
    throw new ConfigError(`cannot read configuration directory "${dir}"`, { cause: err });
  }
  // rkt's walker took regular files only: a symlink is not followed, a subdirectory not entered.
  return names
    .filter((n) => n.endsWith(".json"))
    .map((n) => join(dir, n))
    .filter((p) => lstatSync(p, { throwIfNoEntry: false })?.isFile());
}

/** Reads and header-checks one file; `kinds` are those this subdirectory may hold. */
function readConfigFile(path: string, kinds: readonly string[]): ConfigFile {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError(`cannot read configuration "${path}": expected a JSON object`, { cause });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ConfigError(`cannot read configuration "${path}": expected a JSON object`);
  }
  const { rktKind, rktVersion } = body as { rktKind?: unknown; rktVersion?: unknown };
  if (typeof rktKind !== "string" || rktKind === "") throw new ConfigError(`cannot read configuration "${path}": no rktKind specified`);
  if (typeof rktVersion !== "string" || rktVersion === "") throw new ConfigError(`cannot read configuration "${path}": no rktVersion specified`);
  if (!kinds.includes(rktKind)) {
    throw new ConfigError(`cannot read configuration "${path}": expected rktKind ${kinds.map((k) => `"${k}"`).join(" or ")}, got "${rktKind}"`);
  }
  if (rktVersion !== "v1") throw new ConfigError(`cannot read configuration "${path}": expected rktVersion "v1" for kind "${rktKind}", got "${rktVersion}"`);
  return { path, kind: rktKind, version: rktVersion, body: body as Record<string, unknown> };
}

/**
 * The configuration files of `<dir>/<sub>` for each config directory, one list per directory in
 * precedence order (system, local, user), each list in file-name order. Callers merge: a later
 * directory overrides an earlier one; within one directory a repeated entry is their error to report.
 */
export function readConfigFiles(dirs: ConfigDirs, sub: string, kinds: readonly string[]): ConfigFile[][] {
  return [dirs.systemConfig, dirs.localConfig, dirs.userConfig ?? ""]
    .filter((d) => d !== "")
    .map((d) => jsonFiles(join(d, sub)).map((p) => readConfigFile(p, kinds)));
}
