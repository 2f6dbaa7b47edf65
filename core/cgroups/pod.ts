// The cgroups a pod's stage1 made, as it recorded them in the pod directory: read back by gc and rm
// (which may run in another cgroup than the pod's stage1 did, so the paths cannot be recomputed).
import { readFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";

/** The record of pod `podDir`'s own cgroup directories, one absolute path a line, parents first. */
export function podCgroupsFile(podDir: string): string {
  return join(podDir, "stage1", "rootfs", "rkt", "cgroups");
}

/** The cgroup directories pod `podDir` owns, parents first; none when its stage1 made none. */
export function readPodCgroups(podDir: string): string[] {
  try {
    return readFileSync(podCgroupsFile(podDir), "utf8").split("\n").filter(Boolean);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw e;
  }
}
