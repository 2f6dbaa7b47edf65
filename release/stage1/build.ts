// Builds our stage1 images, `stage1-coreos.aci` and `stage1-fly.aci`: the built-in flavors as rkt
// stage1 images (layout.md §4), for --stage1-path/-url/-hash/-from-dir and stage1.d. Each rootfs
// holds the rkt binary (as /bin/rkt: /rkt is the stage1's reserved status directory) and one script
// per entrypoint that execs it as `rkt _stage1-<name>`, so a
// pod run from such an image goes through the exec'd stage1 interface, as rkt's own images do.
// Install them in /usr/lib/rkt/stage1-images or beside rkt, where no signature is required.
//   bun release/stage1/build.ts [RKT_BINARY [OUT_DIR [COMPRESSION]]]   (dist/rkt, dist/stage1-images, gzip)
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json";
import { buildAci } from "../../core/aci/builder.ts";
import type { Compression } from "../../core/aci/compression.ts";
import { builtinStage1Manifest, DEFAULT_IMAGE_NAME, FLY_IMAGE_NAME } from "../../core/stage0/stage1-image.ts";

const FLAVORS = { "stage1-coreos.aci": DEFAULT_IMAGE_NAME, "stage1-fly.aci": FLY_IMAGE_NAME } as const;

/** Writes both stage1 images of `rktBinary` into `outDir`; returns their paths. */
export async function buildStage1Images(rktBinary: string, outDir: string, compression: Compression = "gzip", version = process.env.RKT_VERSION ?? pkg.version): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const rootfs = mkdtempSync(join(tmpdir(), "rkt-stage1-rootfs-"));
  try {
    chmodSync(rootfs, 0o755);
    mkdirSync(join(rootfs, "bin"), { mode: 0o755 });
    copyFileSync(rktBinary, join(rootfs, "bin", "rkt"));
    chmodSync(join(rootfs, "bin", "rkt"), 0o755);
    for (const ep of ["run", "enter", "gc", "stop"]) {
      // stage0 runs entrypoints by absolute host path: the binary is the script's neighbour
      writeFileSync(join(rootfs, ep), `#!/bin/sh\nexec "\${0%/*}/bin/rkt" _stage1-${ep} "$@"\n`, { mode: 0o755 });
    }
    const out: string[] = [];
    for (const [file, name] of Object.entries(FLAVORS)) {
      const path = join(outDir, file);
      await buildAci({ manifest: builtinStage1Manifest(name, version), rootfs, out: path, compression });
      out.push(path);
    }
    return out;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const root = new URL("../..", import.meta.url).pathname;
  const [bin = `${root}dist/rkt`, outDir = `${root}dist/stage1-images`, compression = "gzip"] = process.argv.slice(2);
  for (const p of await buildStage1Images(bin, outDir, compression as Compression)) console.log(`built ${p}`);
}
