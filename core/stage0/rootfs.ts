// An app's rootfs in the pod directory (layout.md §2): overlayfs with the tree store's rendered
// rootfs as lower layer and upper/work dirs in the pod (mounted in the host's mount namespace, so
// gc unmounts it), or a copy (core/copy-tree.ts) with --no-overlay or where overlayfs cannot be used
// (overlayUnsupported).
import { chmodSync, existsSync, mkdirSync, readFileSync, statfsSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { mount } from "../../ffi/mount.ts";
import { RktError } from "../errors.ts";

/** Whether the running kernel offers overlayfs. */
export function overlaySupported(): boolean {
  try {
    return /\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"));
  } catch {
    return false;
  }
}

/**
 * Filesystems (statfs f_type) that overlayfs refuses as upper layer: rkt's PathSupportsOverlay
 * list, and overlayfs itself, where rkt runs inside a container (users.md #5).
 */
const NO_OVERLAY_UPPER: Readonly<Record<number, string>> = { 0x794c7630: "overlay", 0x61756673: "aufs", 0x2fc12fc1: "zfs" };

/** Why pods in data directory `dir` cannot have overlay rootfs (rkt's ErrOverlayUnsupported texts); undefined when they can. */
export function overlayUnsupported(dir: string): string | undefined {
  if (!overlaySupported()) return "overlay entry not present in /proc/filesystems";
  const fs = NO_OVERLAY_UPPER[statfsSync(dir).type];
  return fs === undefined ? undefined : `unsupported filesystem: ${fs}`;
}

/** Escapes a path for overlay's mount options, where ",", ":" and "\" separate (OverlayMount test). */
export function overlayEscape(path: string): string {
  return path.replace(/[\\,:]/g, (c) => `\\${c}`);
}

/** Mounts app `app`'s rootfs at `dest` as an overlay over `lower` (upper/work under the pod's overlay/). */
export function mountOverlay(podDir: string, treeStoreID: string, app: string, lower: string, dest: string): void {
  const upper = join(podDir, "overlay", treeStoreID, "upper", app);
  const work = join(podDir, "overlay", treeStoreID, "work", app);
  for (const d of [upper, work, dest]) mkdirSync(d, { recursive: true, mode: 0o755 });
  // a setgid upper dir would hand its group to every file the app creates (rkt clears it too)
  chmodSync(upper, 0o755);
  mount("overlay", dest, "overlay", 0, `lowerdir=${overlayEscape(lower)},upperdir=${overlayEscape(upper)},workdir=${overlayEscape(work)}`);
}

/**
 * Mounts the overlay rootfs of every app of a pod prepared with overlay (rkt's setupAppImage), with
 * the tree store `treesDir` as lower layers; nothing to do for pods prepared with --no-overlay.
 */
export function mountAppOverlays(podDir: string, apps: readonly string[], treesDir: string): void {
  if (!existsSync(join(podDir, "overlay-prepared"))) return;
  if (!overlaySupported()) throw new RktError("cannot run pod: it was prepared with overlay but overlayfs is not available");
  for (const app of apps) {
    const id = readFileSync(join(podDir, "appsinfo", app, "treeStoreID"), "utf8").trim();
    mountOverlay(podDir, id, app, join(treesDir, id, "rootfs"), join(podDir, "stage1", "rootfs", "opt", "stage2", app, "rootfs"));
  }
}
