// Each app's isolators as the built-in stage1 enforces them (rkt's prepareApp and appSystemdUnit):
// cgroup resources, oom score, the capability bounding set, no-new-privileges and the seccomp
// filter, under stage1's --disable-capabilities-restriction and --disable-seccomp. Pod-level
// isolators are not enforced, as in rkt. Pure but for warnings.
import type { Resources } from "../../core/cgroups/manager.ts";
import { RktError } from "../../core/errors.ts";
import { warn } from "../../core/log.ts";
import { isolatorValue, type Isolator, type IsolatorValue } from "../../core/schema/isolators.ts";
import { compileSeccomp } from "../isolators/bpf.ts";
import { appCapabilities, capabilityDropMask } from "../isolators/capabilities.ts";
import { appSeccomp, DEFAULT_FILTER, seccompPolicy } from "../isolators/seccomp.ts";
import { defaultSeccompProgram } from "../isolators/seccomp.ts" with { type: "macro" };

/** The program of DEFAULT_FILTER, compiled when the binary is built (or the module transpiled). */
const DEFAULT_PROGRAM = defaultSeccompProgram();

/** rkt's MaxMilliValue: a CPU limit whose millicores overflow an int64 is refused. */
const MAX_MILLI = Number.MAX_SAFE_INTEGER;

/** What stage1 knows of the host and its own arguments, for every app. */
export interface IsolationOptions {
  disableCapabilities: boolean;
  disableSeccomp: boolean;
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  /** process.arch: seccomp filters are compiled for x64 (the release architecture) only */
  arch: string;
}

/** How one app process is isolated (SpawnSpec fields and cgroup limits). */
export interface AppIsolation {
  resources: Resources;
  oomScoreAdj?: number;
  capDrop: bigint;
  noNewPrivs: boolean;
  seccomp?: Uint8Array;
}

/** The cgroup limits of `values`; a later isolator of the same kind wins, as a later systemd setting does. */
function resources(app: string, values: readonly IsolatorValue[]): Resources {
  const r: Resources = {};
  for (const v of values) {
    if (v.kind === "resource/memory" && v.limit !== undefined) r.memoryLimit = v.limit;
    if (v.kind === "resource/cpu" && v.limit !== undefined) {
      const milli = Math.round(v.limit * 1000);
      if (milli > MAX_MILLI) throw new RktError(`cannot run app "${app}": cpu limit exceeds the maximum millivalue: ${v.limit}`);
      r.cpuQuotaPercent = Math.floor(milli / 10);
    }
    if (v.kind === "os/linux/cpu-shares") r.cpuShares = v.shares;
  }
  return r;
}

/** The isolation of app `app` running as `uid`, from its manifest isolators. */
export function appIsolation(app: string, isolators: readonly Isolator[] | undefined, uid: number, opts: IsolationOptions): AppIsolation {
  const values = (isolators ?? []).map(isolatorValue);
  const last = <K extends IsolatorValue["kind"]>(kind: K) => values.findLast((v): v is Extract<IsolatorValue, { kind: K }> => v.kind === kind);
  const out: AppIsolation = {
    resources: resources(app, values),
    oomScoreAdj: last("os/linux/oom-score-adj")?.score,
    capDrop: opts.disableCapabilities ? 0n : capabilityDropMask(appCapabilities(values), opts.lastCap),
    noNewPrivs: last("os/linux/no-new-privileges")?.enabled ?? false,
  };
  const filter = opts.disableSeccomp ? undefined : appSeccomp(values);
  if (!filter) return out;
  if (opts.arch !== "x64") {
    warn(`seccomp filters are built for x86_64 only: app "${app}" runs without one on ${opts.arch}`);
    return out;
  }
  out.seccomp = filter === DEFAULT_FILTER ? Buffer.from(DEFAULT_PROGRAM, "base64") : compileSeccomp(seccompPolicy(filter));
  // a process without CAP_SYS_ADMIN may only load a filter under no-new-privileges
  if (uid !== 0) out.noNewPrivs = true;
  return out;
}

/** What the app process writes before its root changes: its cgroups (`joins`), then its oom score. */
export function isolationWrites(joins: readonly string[], oomScoreAdj: number | undefined): { path: string; data: string }[] {
  const writes = joins.map((path) => ({ path, data: "0" }));
  if (oomScoreAdj !== undefined) writes.push({ path: "/proc/self/oom_score_adj", data: String(oomScoreAdj) });
  return writes;
}
