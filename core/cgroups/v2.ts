// cgroup v2 (kernel Documentation/admin-guide/cgroup-v2): one hierarchy where a cgroup with
// processes cannot hand controllers to its children, so pods cannot nest below the caller's own
// cgroup as on v1; they go where systemd-machined put rkt's: `/machine.slice/machine-rkt\x2d….scope`,
// with memory and cpu delegated down to each app's cgroup when a limit needs them, and a device
// filter program on each app's cgroup. Pure.
import { CPU_PERIOD_US, cpuQuotaUs, planLayout, podScopeName, type AppResources, type CgroupManager, type CgroupPlan } from "./manager.ts";
import { compileDeviceFilter } from "./device-filter.ts";
import { cgroupDir, type MountInfo } from "./mounts.ts";

/** systemd's CPUShares= → cpu.weight (cgroup_cpu_shares_to_weight): 1024 shares = weight 100. */
export function sharesToWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.floor((shares * 100) / 1024)));
}

/**
 * The v2 manager for the cgroup2 mount `m`; `controllers` is its root's cgroup.controllers, `own`
 * the calling process's cgroup path ("0::<path>" of /proc/self/cgroup).
 */
export function cgroupV2(m: MountInfo, controllers: readonly string[], own: string): CgroupManager {
  const root = m.mountPoint.replace(/\/$/, "");
  const base = `${root}/machine.slice`;
  return {
    version: 2,
    ownProcs: `${cgroupDir(m, own)}/cgroup.procs`,
    planPod(uuid: string, apps: readonly AppResources[]): CgroupPlan {
      const { plan, appDirs } = planLayout([base], uuid, apps, `machine.slice/${podScopeName(uuid)}`);
      plan.mkdirs.unshift(base);
      const needed = new Set<string>();
      const limits = apps.flatMap(({ name, resources: r }) => {
        const dir = appDirs.get(name)![0]!;
        const out: [string, string, string][] = [];
        if (r.memoryLimit !== undefined) out.push(["memory", "memory.max", String(r.memoryLimit)]);
        if (r.cpuQuotaPercent !== undefined) out.push(["cpu", "cpu.max", `${cpuQuotaUs(r.cpuQuotaPercent)} ${CPU_PERIOD_US}`]);
        if (r.cpuShares !== undefined) out.push(["cpu", "cpu.weight", String(sharesToWeight(r.cpuShares))]);
        return out.map(([c, file, data]) => ({ c, path: `${dir}/${file}`, data }));
      });
      for (const l of limits) (controllers.includes(l.c) ? needed.add(l.c) : plan.unsupported.push(l.c));
      if (needed.size) {
        const enable = [...needed].map((c) => `+${c}`).join(" ");
        const scope = `${base}/${podScopeName(uuid)}`;
        for (const d of [root, base, scope, `${scope}/system.slice`]) plan.writes.push({ path: `${d}/cgroup.subtree_control`, data: enable });
      }
      plan.writes.push(...limits.filter((l) => needed.has(l.c)).map(({ path, data }) => ({ path, data })));
      for (const { name, devices } of apps) if (devices) plan.deviceFilters.push({ dir: appDirs.get(name)![0]!, program: compileDeviceFilter(devices) });
      plan.unsupported = [...new Set(plan.unsupported)];
      return plan;
    },
  };
}
