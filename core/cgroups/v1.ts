// cgroup v1 (kernel Documentation/admin-guide/cgroup-v1): one hierarchy per mount, controllers alone
// or co-mounted. Pods go below the calling process's own cgroup in each hierarchy, as rkt's stage1
// did without systemd-machined: `<own>/machine-rkt\x2d<uuid>.scope` (which also keeps them inside
// whatever limits the caller itself runs under). Pure.
import { CPU_PERIOD_US, cpuQuotaUs, planLayout, podScopeName, type AppResources, type CgroupManager, type CgroupPlan } from "./manager.ts";
import { formatDeviceRule } from "./devices.ts";
import { cgroupDir, type MountInfo } from "./mounts.ts";

/** One mounted v1 hierarchy: its controllers, and the calling process's cgroup path and directory in it. */
export interface V1Hierarchy {
  controllers: string[];
  path: string;
  dir: string;
}

/** The hierarchies a pod gets a cgroup in: systemd's, and those of the limit, device and accounting controllers. */
const POD_CONTROLLERS = new Set(["name=systemd", "cpu", "cpuacct", "memory", "pids", "devices"]);

/** The v1 hierarchies a pod gets a cgroup in, from /proc/<pid>/cgroup ("id:controllers:path" lines). */
export function podHierarchies(selfCgroup: string): Omit<V1Hierarchy, "dir">[] {
  return selfCgroup.split("\n").flatMap((line) => {
    const [, list = "", ...rest] = line.split(":");
    const controllers = list.split(",").filter(Boolean);
    return controllers.some((c) => POD_CONTROLLERS.has(c)) ? [{ controllers, path: rest.join(":") }] : [];
  });
}

/** The first mount in `mounts` of the v1 hierarchy of `controllers`. */
export function v1Mount(mounts: readonly MountInfo[], controllers: readonly string[]): MountInfo | undefined {
  return mounts.find((x) => x.fsType === "cgroup" && controllers.every((c) => x.superOptions.includes(c)));
}

/** The pod hierarchies (from podHierarchies) that are mounted in `mounts`, with their directories. */
export function mountedHierarchies(mounts: readonly MountInfo[], wanted: readonly Omit<V1Hierarchy, "dir">[]): V1Hierarchy[] {
  return wanted.flatMap((h) => {
    const m = v1Mount(mounts, h.controllers);
    return m ? [{ ...h, dir: cgroupDir(m, h.path) }] : [];
  });
}

/** The v1 manager over `hierarchies` (from mountedHierarchies): limits as systemd v233 wrote them. */
export function cgroupV1(hierarchies: readonly V1Hierarchy[]): CgroupManager {
  const index = (c: string) => hierarchies.findIndex((h) => h.controllers.includes(c));
  const main = hierarchies[Math.max(0, index("name=systemd"))]!;
  return {
    version: 1,
    ownProcs: `${main.dir}/cgroup.procs`,
    planPod(uuid: string, apps: readonly AppResources[]): CgroupPlan {
      const subcgroup = `${main.path.replace(/\/$/, "")}/${podScopeName(uuid)}`;
      const { plan, appDirs } = planLayout(hierarchies.map((h) => h.dir), uuid, apps, subcgroup);
      for (const { name, resources: r, devices: allowed } of apps) {
        const dirs = appDirs.get(name)!;
        const set = (controller: string, file: string, value: number) => {
          const i = index(controller);
          if (i < 0) plan.unsupported.push(controller);
          else plan.writes.push({ path: `${dirs[i]}/${file}`, data: String(value) });
        };
        if (r.memoryLimit !== undefined) set("memory", "memory.limit_in_bytes", r.memoryLimit);
        if (r.cpuQuotaPercent !== undefined) {
          set("cpu", "cpu.cfs_period_us", CPU_PERIOD_US);
          set("cpu", "cpu.cfs_quota_us", cpuQuotaUs(r.cpuQuotaPercent));
        }
        if (r.cpuShares !== undefined) set("cpu", "cpu.shares", r.cpuShares);
        const devices = index("devices");
        if (devices >= 0 && allowed) {
          // an empty list first (allowed in a cgroup without children: the app's), then each grant
          plan.writes.push({ path: `${dirs[devices]}/devices.deny`, data: "a" });
          for (const rule of allowed) plan.writes.push({ path: `${dirs[devices]}/devices.allow`, data: formatDeviceRule(rule), optional: true });
        }
      }
      plan.unsupported = [...new Set(plan.unsupported)];
      return plan;
    },
  };
}
