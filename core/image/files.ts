// Images out of the store into files: `image export` (the blob as is, so its hash is the image ID),
// `image extract` (the raw layout) and `image render` (the tree with dependencies applied).
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AciLayoutSink } from "../aci/layout.ts";
import { SafeExtractor } from "../aci/extract.ts";
import { RktError } from "../errors.ts";
import type { ImageStore } from "../store/store.ts";
import { parseTarFile, renderChain } from "../store/render.ts";

function prepareOutput(out: string, overwrite: boolean): void {
  if (existsSync(out)) {
    if (!overwrite) throw new RktError(`cannot write "${out}": it already exists (use --overwrite)`);
    rmSync(out, { recursive: true, force: true });
  }
}

/** Copies the uncompressed ACI of `key` to `out`. */
export function exportImage(store: ImageStore, key: string, out: string, overwrite: boolean): void {
  prepareOutput(out, overwrite);
  copyFileSync(store.blobPath(key), out);
}

/** Extracts the image's own files: `manifest` + `rootfs/`, or only the rootfs contents. */
export function extractImage(store: ImageStore, key: string, dir: string, opts: { rootfsOnly: boolean; overwrite: boolean }): void {
  prepareOutput(dir, opts.overwrite);
  if (opts.rootfsOnly) {
    parseTarFile(store.blobPath(key), new AciLayoutSink(new SafeExtractor(dir)));
  } else {
    mkdirSync(dir, { recursive: true });
    parseTarFile(store.blobPath(key), new SafeExtractor(dir));
  }
}

/** Renders the image with its dependencies and path whitelist into `dir` (no overlay). */
export function renderImage(store: ImageStore, key: string, dir: string, opts: { rootfsOnly: boolean; overwrite: boolean }): void {
  prepareOutput(dir, opts.overwrite);
  const layers = store.dependencyChain(key).map((k) => ({ blob: store.blobPath(k), manifest: store.manifest(k) }));
  if (opts.rootfsOnly) {
    renderChain({ layers }, dir);
  } else {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "manifest"), store.manifestBytes(key));
    renderChain({ layers }, join(dir, "rootfs"));
  }
}
