// Removing a pod directory for good (rkt's stage0 gc deletePod): stage1's gc entrypoint first (it
// frees what the pod held outside its directory), then every mount still under the directory —
// overlays stage0 made, anything a killed stage1 left — deepest first, lazily when busy, then the
// files, the pod manifest last.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MNT } from "../../ffi/constants.ts";
import { SyscallError } from "../../ffi/errors.ts";
import { linuxSys, type Sys } from "../../ffi/sys.ts";
import { parseMountLine } from "../cgroups/mounts.ts";
import { RktError } from "../errors.ts";

/** The mount points of `mountinfo` (this process's by default), escapes decoded, in mount order. */
export function mountPoints(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  return mountinfo.split("\n").map((l) => parseMountLine(l).mountPoint);
}

/** The mount points (from mountPoints, this process's by default) at or below `dir`, deepest last. */
export function mountsBelow(dir: string, points = mountPoints()): string[] {
  return points.filter((m) => m === dir || m.startsWith(dir + "/"));
}

/** Unmounts every mount point of `mounts` (from mountsBelow), deepest first; busy ones are detached. */
export function unmountAll(mounts: readonly string[], sys: Sys = linuxSys): void {
  for (const m of mounts.toReversed()) {
    try {
      sys.umount(m);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      if (e.code === "EINVAL" || e.code === "ENOENT") continue; // already gone with its parent
      sys.umount(m, MNT.MNT_DETACH);
    }
  }
}

/** Unmounts everything at or below `dir`, deepest first; a busy mount is detached (MNT_DETACH). */
export function unmountBelow(dir: string): void {
  unmountAll(mountsBelow(dir));
}

/**
 * Deletes pod directory `path`: mounts, files, and the `pod` manifest last. `points` (from
 * mountPoints) lets gc read the mount table once for all its pods: exited pods keep their overlays
 * mounted until gc, so with N of them it is N lines long, and reading it per pod made gc quadratic.
 */
export function deletePodDir(uuid: string, path: string, points?: string[]): void {
  try {
    unmountAll(mountsBelow(path, points));
    for (const entry of ["stage1", "overlay", "appsinfo", "sharedVolumes"]) rmSync(join(path, entry), { recursive: true, force: true });
    rmSync(path, { recursive: true, force: true });
  } catch (e) {
    throw new RktError(`cannot remove pod "${uuid}"`, { cause: e });
  }
}
