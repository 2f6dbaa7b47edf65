// Tree stores by name: rkt's tree store ID of a dependency chain, and what rendering one takes.
// The rendering itself (core/store/render.ts) loads only when a tree must be made: `rkt run` of
// an image whose tree exists never loads the tar parser or the extractor.
import type { ImageManifest } from "../schema/image-manifest.ts";
import { keyOfDigest } from "./keys.ts";

export interface RenderPlan {
  /** blobs in rendering order: dependencies first, the image itself last */
  layers: { blob: string; manifest: ImageManifest }[];
}

/** rkt's tree store ID: "deps-" + key of sha512 over the comma-joined chain of keys. */
export function treeStoreID(chain: string[]): string {
  const h = new Bun.CryptoHasher("sha512").update(chain.join(",")).digest("hex");
  return `deps-${keyOfDigest(h)}`;
}
