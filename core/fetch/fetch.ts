// `rkt fetch`: bring images into the store (by file, URL or name) and report their keys.
import type { GlobalOptions } from "../config/options.ts";
import { UsageError } from "../errors.ts";
import { ImageStore } from "../store/store.ts";
import { findImage, type PullPolicy } from "./finder.ts";
import { signatureCheck } from "./trusted.ts";

export interface FetchOptions {
  images: string[];
  signature?: string;
  pullPolicy: PullPolicy;
}

/** Fetches every image in order; returns their store keys. */
export async function fetchImages(g: GlobalOptions, opts: FetchOptions): Promise<string[]> {
  if (opts.images.length === 0) throw new UsageError("fetch needs at least one image");
  if (opts.signature && opts.images.length > 1) throw new UsageError("--signature can only be used with a single image");
  using store = ImageStore.open(g.dir);
  const keys: string[] = [];
  for (const image of opts.images) {
    const signature = signatureCheck(g, image, opts.signature);
    keys.push(await findImage(image, { store, pullPolicy: opts.pullPolicy, signature }));
  }
  return keys;
}
