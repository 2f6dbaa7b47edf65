// Picks the CgroupManager implementation for this host at run time (STYLE.md §14) from the calling
// process's mounts and cgroups (and, on v2, the controllers the root offers).
import { readFileSync } from "../../ffi/sync-fs.ts";
import type { CgroupManager } from "./manager.ts";
import { parseMountInfo } from "./mounts.ts";
import { cgroupV1, parseV1Hierarchies } from "./v1.ts";
import { cgroupV2 } from "./v2.ts";

/**
 * The cgroup manager for this host: v1 when any v1 controller hierarchy is mounted (hybrid hosts
 * included), else v2; undefined without cgroups at all. `mountinfo` and `selfCgroup` are the
 * calling process's /proc files.
 */
export function detectCgroups(
  mountinfo = readFileSync("/proc/self/mountinfo", "utf8"),
  selfCgroup = readFileSync("/proc/self/cgroup", "utf8"),
): CgroupManager | undefined {
  const mounts = parseMountInfo(mountinfo);
  const v1 = parseV1Hierarchies(mounts, selfCgroup);
  if (v1.length) return cgroupV1(v1);
  const unified = mounts.find((m) => m.fsType === "cgroup2");
  if (!unified) return undefined;
  const own = /^0::(.*)$/m.exec(selfCgroup)?.[1] ?? "/";
  return cgroupV2(unified, readFileSync(`${unified.mountPoint}/cgroup.controllers`, "utf8").trim().split(/\s+/), own);
}
