// The arguments stage0 passes to a stage1 `run` entrypoint, by stage1 interface version
// (rkt Documentation/devel/stage1-implementors-guide.md; layout.md §4):
//   v1: [--debug] --net=<list> [--interactive] [--private-users=SHIFT:COUNT] [--mds-token=T]
//       [--local-config=DIR] <UUID>
//   v2: --hostname=H   v3: --disable-capabilities-restriction --disable-paths --disable-seccomp
//   v4: --dns-conf-mode=resolv=…,hosts=…   v5: --mutable   v6: --ipc=auto|private|parent
import { UsageError } from "../../core/errors.ts";
import { parseUidRange, type UidRange } from "../../core/pods/uid-range.ts";

export interface RunArgs {
  uuid: string;
  debug: boolean;
  /** network list as given (`host`, `none`, `default`, names with args) */
  net: string[];
  interactive: boolean;
  hostname?: string;
  privateUsers?: UidRange;
  mdsToken?: string;
  localConfig?: string;
  dnsConfMode: { resolv: string; hosts: string };
  disableCapabilities: boolean;
  disablePaths: boolean;
  disableSeccomp: boolean;
  mutable: boolean;
  ipc: "auto" | "private" | "parent";
}

const BOOL_FLAGS = {
  "--debug": "debug",
  "--interactive": "interactive",
  "--disable-capabilities-restriction": "disableCapabilities",
  "--disable-paths": "disablePaths",
  "--disable-seccomp": "disableSeccomp",
  "--mutable": "mutable",
} as const;

const VALUE_FLAGS = ["--net", "--hostname", "--private-users", "--mds-token", "--local-config", "--dns-conf-mode", "--ipc"];

/** Parses stage1 `run` arguments; unknown flags are a usage error, as in rkt's stage1. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const a: RunArgs = {
    uuid: "", debug: false, net: ["default"], interactive: false, dnsConfMode: { resolv: "default", hosts: "default" },
    disableCapabilities: false, disablePaths: false, disableSeccomp: false, mutable: false, ipc: "auto",
  };
  for (const arg of argv) {
    if (!arg.startsWith("--")) {
      if (a.uuid) throw new UsageError(`stage1: unexpected argument "${arg}" after UUID "${a.uuid}"`);
      a.uuid = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const [flag, value] = eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    if (flag in BOOL_FLAGS) {
      (a as unknown as Record<string, boolean>)[BOOL_FLAGS[flag as keyof typeof BOOL_FLAGS]] = value === undefined || value === "true";
      continue;
    }
    if (!VALUE_FLAGS.includes(flag)) throw new UsageError(`stage1: unknown flag ${flag}`);
    if (value === undefined) throw new UsageError(`stage1: flag ${flag} needs a value`);
    switch (flag) {
      case "--net":
        a.net = value.split(",").filter(Boolean);
        break;
      case "--hostname":
        a.hostname = value;
        break;
      case "--private-users":
        a.privateUsers = parseUidRange(value);
        if (!a.privateUsers) throw new UsageError(`stage1: invalid --private-users "${value}": expected SHIFT:COUNT`);
        break;
      case "--mds-token":
        a.mdsToken = value;
        break;
      case "--local-config":
        a.localConfig = value;
        break;
      case "--dns-conf-mode":
        for (const kv of value.split(",")) {
          const [k, v] = kv.split("=");
          if ((k === "resolv" || k === "hosts") && v) a.dnsConfMode[k] = v;
          else throw new UsageError(`stage1: invalid --dns-conf-mode "${value}": expected resolv=MODE,hosts=MODE`);
        }
        break;
      case "--ipc":
        if (value !== "auto" && value !== "private" && value !== "parent") throw new UsageError(`stage1: invalid --ipc "${value}": expected auto, private or parent`);
        a.ipc = value;
        break;
    }
  }
  if (!a.uuid) throw new UsageError("stage1: missing pod UUID");
  return a;
}
