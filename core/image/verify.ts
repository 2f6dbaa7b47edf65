// `rkt image verify`: check an image's rendered tree and render it again when it was changed.
import type { ImageStore } from "../store/store.ts";
import { verifyTree } from "../store/verify.ts";

export interface VerifyResult {
  key: string;
  treeStoreID: string;
  /** what differed; empty when the tree was intact */
  problems: string[];
}

/** Verifies (rendering first when missing) and repairs the tree store of `key`. */
export async function verifyImage(store: ImageStore, key: string): Promise<VerifyResult> {
  const { treeStoreID, rootfs } = await store.renderTree(key);
  const layers = store.dependencyChain(key).map((k) => ({ blob: store.blobPath(k), manifest: store.manifest(k) }));
  const problems = verifyTree(rootfs, layers);
  if (problems.length > 0) {
    await store.removeTree(treeStoreID);
    await store.renderTree(key);
  }
  return { key, treeStoreID, problems };
}
