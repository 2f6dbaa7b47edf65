// Tiny static probe programs for test images (busybox-static plus a probe, as issue #3 asks),
// compiled with the host's gcc and copied into an image's /bin.
import { copyFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

/** Builds C `source` as the static executable `name` in `dir`; returns its path. */
export function staticProgram(dir: string, name: string, source: string): string {
  writeFileSync(join(dir, `${name}.c`), source);
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", join(dir, name), join(dir, `${name}.c`)], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`gcc: ${cc.stderr}`);
  return join(dir, name);
}

/** busyboxAci options that copy `programs` into the image's /bin. */
export function withPrograms(...programs: string[]): { customize: (rootfs: string) => void } {
  return { customize: (rootfs) => programs.forEach((p) => copyFileSync(p, join(rootfs, "bin", basename(p)))) };
}
