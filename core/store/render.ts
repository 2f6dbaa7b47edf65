// Rendering a tree store from blobs (appc §5 "Filesystem rendering"): each image of the dependency
// chain is extracted in order over the same rootfs, later layers overwriting earlier ones, then the
// top image's pathWhitelist applies. Synchronous: it runs under the tree's lock and nothing else.
import { closeSync, openSync, readSync } from "node:fs";
import { AciLayoutSink } from "../aci/layout.ts";
import { SafeExtractor } from "../aci/extract.ts";
import { TarParser, type TarSink } from "../aci/tar.ts";
import type { RenderPlan } from "./tree.ts";

/** Feeds a tar file through `sink` with synchronous reads. */
export function parseTarFile(path: string, sink: TarSink): void {
  const parser = new TarParser(sink);
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) parser.push(buf.subarray(0, n));
    parser.finish();
  } finally {
    closeSync(fd);
  }
}

/** Renders the plan into `rootfs` (which must not exist); returns the bytes of regular files written. */
export function renderChain(plan: RenderPlan, rootfs: string): number {
  const top = plan.layers[plan.layers.length - 1]!.manifest;
  const whitelist = top.pathWhitelist?.length ? new Set(top.pathWhitelist) : undefined;
  let bytes = 0;
  for (const layer of plan.layers) {
    const extractor = new SafeExtractor(rootfs, { whitelist });
    const sizing: TarSink = {
      entry(h) {
        if (h.type === "file" && (!whitelist || whitelist.has("/" + h.name.replace(/^\.?\/*/, "")))) bytes += h.size;
        extractor.entry(h);
      },
      data: (c) => extractor.data(c),
      end: () => extractor.end(),
      finish: () => extractor.finish(),
    };
    parseTarFile(layer.blob, new AciLayoutSink(sizing));
  }
  return bytes;
}
