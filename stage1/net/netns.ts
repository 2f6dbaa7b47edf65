// A pod's network namespace, kept alive by a bind mount under /var/run/netns (where `ip netns` finds
// it) so that the CNI plugins can still tear its links, addresses and masquerade rules down in
// `rkt gc` after every process of the pod is gone, as rkt's networking did. Only the main thread
// moves (DESIGN.md §3): it enters the new namespace, pins it and returns at once.
import { closeSync, mkdirSync, rmSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { CLONE, MNT, MS } from "../../ffi/constants.ts";
import { mount, umount } from "../../ffi/mount.ts";
import { openNs, setns, unshare } from "../../ffi/ns.ts";

export const NETNS_DIR = "/var/run/netns";

/** Runs `fn` on the main thread inside the network namespace at `path` (its children start there). */
export function inNetns<T>(path: string, fn: () => T): T {
  const home = openNs("/proc/thread-self/ns/net");
  const target = openNs(path);
  try {
    setns(target, CLONE.CLONE_NEWNET, path);
    try {
      return fn();
    } finally {
      setns(home, CLONE.CLONE_NEWNET, "/proc/thread-self/ns/net");
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

/** Creates a network namespace pinned at `path`. */
export function createNetns(path: string): void {
  mkdirSync(NETNS_DIR, { recursive: true, mode: 0o755 });
  writeFileSync(path, "", { flag: "wx", mode: 0o444 });
  const home = openNs("/proc/thread-self/ns/net");
  try {
    unshare(CLONE.CLONE_NEWNET);
    try {
      mount("/proc/thread-self/ns/net", path, undefined, MS.MS_BIND);
    } finally {
      setns(home, CLONE.CLONE_NEWNET, "/proc/thread-self/ns/net");
    }
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  } finally {
    closeSync(home);
  }
}

/** Unpins and removes the namespace at `path` (gone already is fine). */
export function removeNetns(path: string): void {
  try {
    umount(path, MNT.MNT_DETACH);
  } catch (e) {
    // EINVAL: not a mount point any more; ENOENT: removed already
    const code = (e as { code?: string }).code;
    if (code !== "EINVAL" && code !== "ENOENT") throw e;
  }
  rmSync(path, { force: true });
}
