// rkt's protection of kernel tunables, unless --insecure-options=paths (stage1/init/common/app.go
// protectKernel*, applied by systemd with ReadOnlyPaths=, InaccessiblePaths= and v233's
// ProtectKernelTunables=): parts of an app's /proc become read-only, and /proc files and /sys
// directories that expose the host are covered by an empty node of mode 000. Paths this kernel does
// not have are skipped, as systemd's "-" prefix does. Pure planner; /sys is read-only already.
import { existsSync } from "../../ffi/sync-fs.ts";
import { join } from "../../core/posix-path.ts";
import { MS } from "../../ffi/constants.ts";
import type { SetupOp } from "../../ffi/spawn.ts";

/** rkt's ReadOnlyPaths= under /proc (/proc/sys covers its core_pattern, modprobe and panic_on_oom) and ProtectKernelTunables=. */
const READ_ONLY = ["/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/acpi", "/proc/irq", "/proc/fs", "/proc/asound", "/proc/latency_stats", "/proc/timer_stats"];
/** rkt's protectKernelHiddenPaths (files) */
const HIDDEN_FILES = ["/proc/config.gz", "/proc/kallsyms", "/proc/sched_debug", "/proc/kcore", "/proc/kmem", "/proc/mem"];
/** rkt's protectKernelHiddenDirs */
const HIDDEN_DIRS = ["/sys/firmware", "/sys/fs", "/sys/hypervisor", "/sys/module", "/sys/power"];

const { MS_BIND, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC } = MS;
const LOCKED = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/**
 * The pod's mode-000 directory and file that hidden paths are covered with, in the pod's run
 * directory `runDir` (systemd's /run/systemd/inaccessible).
 */
function inaccessible(runDir: string): { dir: string; file: string } {
  const base = join(runDir, "inaccessible");
  return { dir: join(base, "dir"), file: join(base, "file") };
}

/** Creates the pod's inaccessible nodes in `runDir`, once per pod before any app's paths are covered. */
export function planInaccessibleNodes(runDir: string): SetupOp[] {
  const n = inaccessible(runDir);
  return [
    { op: "mkdir", path: n.dir, mode: 0 },
    { op: "mknod", path: n.file, mode: 0o100000 /* S_IFREG, no permission bits */, major: 0, minor: 0 },
  ];
}

/**
 * The mounts that restrict the /proc and (unless a volume replaced it) /sys of the app with root
 * `root`, after both are mounted, with the inaccessible nodes of `runDir`. `exists` says whether
 * the host's kernel has a path.
 */
export function planRestrictedPaths(runDir: string, root: string, sys: boolean, exists: (p: string) => boolean = existsSync): SetupOp[] {
  const n = inaccessible(runDir);
  const cover = (source: string, p: string): SetupOp[] => [
    { op: "mount", source, target: join(root, p), flags: MS_BIND },
    { op: "mount", target: join(root, p), flags: LOCKED },
  ];
  return [
    // a bind of /proc/x keeps /proc's nosuid,nodev,noexec only if the remount says them again
    ...READ_ONLY.filter(exists).flatMap((p) => cover(join(root, p), p)),
    ...HIDDEN_FILES.filter(exists).flatMap((p) => cover(n.file, p)),
    ...(sys ? HIDDEN_DIRS.filter(exists).flatMap((p) => cover(n.dir, p)) : []),
  ];
}
