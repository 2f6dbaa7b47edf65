// Where pods live in the cgroup tree, behind one interface for cgroup v1 and v2 (STYLE.md §14),
// chosen at run time from the mounts: this machine and CI are v1 "hybrid" (controllers on a tmpfs
// at /sys/fs/cgroup, an empty cgroup2 at /sys/fs/cgroup/unified). Names follow rkt's nspawn stage1:
// a pod is `machine-rkt\x2d<uuid>.scope`, an app `<pod>/system.slice/<app>.service`. Pure:
// core/cgroups/detect.ts picks the implementation, stage1/cgroups does the I/O.
import type { DeviceRule } from "./devices.ts";

/** The resource isolators that become cgroup limits (rkt's appResources). */
export interface Resources {
  /** memory limit in bytes (systemd's MemoryLimit=) */
  memoryLimit?: number;
  /** CPU time per second in percent of one CPU, 100 = one core (systemd's CPUQuota=) */
  cpuQuotaPercent?: number;
  /** relative CPU weight, 2…262144 (systemd's CPUShares=) */
  cpuShares?: number;
}

/** systemd's CPU period (CPUQuotaPeriodSec= default), in µs. */
export const CPU_PERIOD_US = 100_000;

/** The CPU quota in µs per CPU_PERIOD_US for `percent` of one CPU (systemd's CPUQuota=). */
export function cpuQuotaUs(percent: number): number {
  return Math.round((percent * CPU_PERIOD_US) / 100);
}

/** One file write of a cgroup plan. */
export interface CgroupWrite {
  path: string;
  data: string;
  /** a grant the caller's own cgroup may lack (the kernel refuses it): skipped then */
  optional?: boolean;
}

/** What stage1 does to the cgroup tree for one pod, in order. */
export interface CgroupPlan {
  /** directories to create, parents first (existing ones are fine) */
  mkdirs: string[];
  /** the pod's own directories among `mkdirs`, parents first: what gc removes */
  owned: string[];
  /** files to write once the directories exist (controllers, limits) */
  writes: CgroupWrite[];
  /** cgroup v2 directories and the device filter (core/cgroups/device-filter.ts) each gets, after `writes` */
  deviceFilters: { dir: string; program: Uint8Array }[];
  /** per app: the cgroup.procs files its processes write "0" to before execve */
  joins: Record<string, string[]>;
  /** rkt's `subcgroup` file: the pod's cgroup path in the main hierarchy */
  subcgroup: string;
  /** limits this host cannot apply, for rkt's "isolator set but support disabled" warning */
  unsupported: string[];
}

/** An app of the pod and the limits of its cgroup. */
export interface AppResources {
  name: string;
  resources: Resources;
  /** the only devices it may use; undefined: no device restriction (--insecure-options=paths) */
  devices?: readonly DeviceRule[];
}

/** The cgroup tree of this host, as seen from the calling process. */
export interface CgroupManager {
  readonly version: 1 | 2;
  /** cgroup.procs of the calling process's own cgroup: writing "0" there moves it nowhere */
  readonly ownProcs: string;
  /** the directories, cgroup files and joins that put pod `uuid`'s apps in their own cgroups */
  planPod(uuid: string, apps: readonly AppResources[]): CgroupPlan;
}

/** systemd's unit name escaping of `-` as rkt applied it to the machine ID `rkt-<uuid>`. */
export function podScopeName(uuid: string): string {
  return `machine-${`rkt-${uuid}`.replaceAll("-", "\\x2d")}.scope`;
}

/** An app's cgroup below its pod's, as systemd inside rkt's stage1 made it. */
export function appCgroupName(app: string): string {
  return `system.slice/${app}.service`;
}

/**
 * The layout both versions share, for the pod's cgroup directory in each of `bases` (one per
 * hierarchy): the scope, its system.slice and one cgroup per app, which the app joins in every
 * hierarchy. Returns the plan without writes and, per app, its directory in each base (same order).
 */
export function planLayout(bases: readonly string[], uuid: string, apps: readonly AppResources[], subcgroup: string): { plan: CgroupPlan; appDirs: Map<string, string[]> } {
  const scopes = bases.map((b) => `${b}/${podScopeName(uuid)}`);
  const plan: CgroupPlan = { mkdirs: [], owned: [], writes: [], deviceFilters: [], joins: {}, subcgroup, unsupported: [] };
  const appDirs = new Map<string, string[]>();
  for (const s of scopes) plan.owned.push(s, `${s}/system.slice`);
  for (const app of apps) {
    const dirs = scopes.map((s) => `${s}/${appCgroupName(app.name)}`);
    appDirs.set(app.name, dirs);
    plan.owned.push(...dirs);
    plan.joins[app.name] = dirs.map((d) => `${d}/cgroup.procs`);
  }
  plan.mkdirs = [...plan.owned];
  return { plan, appDirs };
}
