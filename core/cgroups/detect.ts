// Picks the CgroupManager implementation for this host at run time (STYLE.md §14) from the calling
// process's mounts and cgroups (and, on v2, the controllers the root offers).
import { closeSync, openSync, readFileSync, readSync } from "../../ffi/sync-fs.ts";
import type { CgroupManager } from "./manager.ts";
import { parseMountLine, type MountInfo } from "./mounts.ts";
import { cgroupV1, mountedHierarchies, podHierarchies, v1Mount } from "./v1.ts";
import { cgroupV2 } from "./v2.ts";

/**
 * The lines of a mountinfo file (this process's by default), read only as far as they are consumed.
 * Every exited pod keeps its overlays mounted until gc, as rkt's do, so the file grows with them
 * (~0.1 ms of the kernel's time per 16 mounts here), while the cgroup mounts come first, from boot.
 */
export function* mountInfoLines(path = "/proc/self/mountinfo", chunk = 16 * 1024): Generator<string> {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(chunk);
    const decoder = new TextDecoder();
    let rest = "";
    for (let n; (n = readSync(fd, buf)) > 0; ) {
      const lines = (rest + decoder.decode(buf.subarray(0, n), { stream: true })).split("\n");
      rest = lines.pop()!;
      yield* lines;
    }
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

/**
 * The cgroup manager for this host: v1 when any v1 controller hierarchy is mounted (hybrid hosts
 * included), else v2; undefined without cgroups at all. `mountinfo` and `selfCgroup` are the
 * calling process's /proc files. Reading stops at the first mount of every hierarchy a pod needs
 * (of the cgroup2 one when the process is in no v1 hierarchy): the first is the one used.
 */
export function detectCgroups(
  mountinfo: string | Iterable<string> = mountInfoLines(),
  selfCgroup = readFileSync("/proc/self/cgroup", "utf8"),
): CgroupManager | undefined {
  const wanted = podHierarchies(selfCgroup);
  const mounts: MountInfo[] = [];
  for (const line of typeof mountinfo === "string" ? mountinfo.split("\n") : mountinfo) {
    // " - " only ever separates the fields: spaces in paths are escaped (\040)
    if (!line.includes(" - cgroup")) continue;
    const m = parseMountLine(line);
    mounts.push(m);
    if (wanted.length ? wanted.every((h) => v1Mount(mounts, h.controllers)) : m.fsType === "cgroup2") break;
  }
  const v1 = mountedHierarchies(mounts, wanted);
  if (v1.length) return cgroupV1(v1);
  const unified = mounts.find((m) => m.fsType === "cgroup2");
  if (!unified) return undefined;
  const own = /^0::(.*)$/m.exec(selfCgroup)?.[1] ?? "/";
  return cgroupV2(unified, readFileSync(`${unified.mountPoint}/cgroup.controllers`, "utf8").trim().split(/\s+/), own);
}
