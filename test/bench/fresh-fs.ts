// The bench's scratch filesystems (see freshFilesystem) and its shell helper, shared by bench.ts and
// docker.ts.
import { mkdirSync, rmSync } from "node:fs";

/** Runs `cmd` with sh; throws with its stderr when it fails. */
export function sh(cmd: string): void {
  const p = Bun.spawnSync(["sh", "-c", cmd], { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`bench: "${cmd}" failed: ${p.stderr}`);
}

/**
 * A new ext4 filesystem (a sparse file on a loop device) mounted at `dir` for a section whose commands
 * write big trees, removed when disposed. On ext4, creating files after tens of thousands of
 * deletions is several times slower for a while (the recently_deleted check): on one shared disk,
 * whatever an earlier section or run deleted decided the ratio (https measured 1.1 and 4.5 in one
 * afternoon). Both sides of a comparison write there, each run in a directory of its own, deleted
 * only with the filesystem, and each run starts after a `sync` (untimed), so that no run pays for
 * writing back what the one before it wrote. Without root (no loop mounts) it is a plain directory.
 */
export function freshFilesystem(dir: string): { dir: string } & Disposable {
  const image = `${dir}.ext4`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mounted = process.getuid?.() === 0;
  // inode tables and journal written now, not by ext4lazyinit during the measurements
  if (mounted) sh(`truncate -s 32G ${image} && mkfs.ext4 -q -F -N 1500000 -J size=128 -E lazy_itable_init=0,lazy_journal_init=0 ${image} && mount -o loop ${image} ${dir}`);
  return {
    dir,
    [Symbol.dispose]() {
      if (mounted) sh(`umount ${dir} && rm -f ${image}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

