// `rkt image rm` and `rkt image gc`: images leave the index first, then their files; tree stores
// go only when no pod references them (a prepared pod keeps running after its image is removed).
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { LayerCache } from "../docker/layer-cache.ts";
import { lock } from "../lock.ts";
import type { ImageStore } from "../store/store.ts";
import { referencedTrees } from "./references.ts";

/** Removes an image and the tree stores rendered for it that no pod uses. */
export async function removeImage(store: ImageStore, key: string): Promise<void> {
  await store.removeImage(key);
  const used = referencedTrees(store.paths);
  for (const id of store.treeIDs()) {
    if (store.treeImage(id) === key && !used.has(id)) await store.removeTree(id);
  }
}

export interface GcResult {
  removedTrees: string[];
  removedImages: string[];
  /** Docker layers (sha256 hex) no fetch used within the grace period */
  removedLayers: string[];
  /** partial downloads (kept for resuming) not touched within the grace period */
  removedDownloads: string[];
}

/** Interrupted downloads in cas/tmp (`download-*` and their `.etag`) last written before `cutoff`. */
function pruneDownloads(casTmp: string, cutoff: number): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(casTmp)) {
    if (!name.startsWith("download-")) continue;
    const file = join(casTmp, name);
    if (statSync(file).mtimeMs < cutoff) {
      rmSync(file, { force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * Removes tree stores no pod references, then images, cached Docker layers and partial downloads not
 * used within `graceMs`. Holds the prepare
 * lock exclusively so no pod is being prepared on top of a tree being deleted (layout.md §1).
 */
export async function gcImages(store: ImageStore, graceMs: number): Promise<GcResult> {
  using _ = await lock(store.paths.prepareLock, { create: true });
  const used = referencedTrees(store.paths);
  const removedTrees: string[] = [];
  for (const id of store.treeIDs()) {
    if (!used.has(id)) {
      await store.removeTree(id);
      removedTrees.push(id);
    }
  }
  const removedImages: string[] = [];
  const cutoff = Date.now() - graceMs;
  for (const info of store.list()) {
    if (info.lastUsed.getTime() < cutoff) {
      await store.removeImage(info.key);
      removedImages.push(info.key);
    }
  }
  const removedLayers = new LayerCache(store.paths.root).prune(cutoff);
  const removedDownloads = pruneDownloads(store.paths.casTmp, cutoff);
  return { removedTrees, removedImages, removedLayers, removedDownloads };
}
