// A pod's stage1 on disk (layout.md §2, §4). prepare writes `stage1/manifest` and, for a stage1
// image, `stage1TreeStoreID` and (--no-overlay) a copy of its rootfs into `stage1/rootfs`; run
// mounts the image's rootfs as an overlay there (rkt's setupStage1Image), keeping what prepare put
// in `stage1/rootfs` as the upper layer. Later commands read the interface version and entrypoints.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { dirname, join } from "../posix-path.ts";
import { RktError } from "../errors.ts";
import { mountOverlay } from "./rootfs.ts";
import { ENTRYPOINT_ANNOTATION, INTERFACE_VERSION_ANNOTATION, STAGE1_TREE_ID_FILE, writeStage1Manifest } from "./stage1-image.ts";
import type { SelectedStage1 } from "./stage1-select.ts";

/** The stage1 entrypoints stage0 invokes. */
export type EntrypointName = "run" | "enter" | "gc" | "stop";

/** Writes the pod's stage1 as prepare does (before the apps' directories under `stage1/rootfs`). */
export function writePodStage1(podDir: string, stage1: SelectedStage1, overlay: boolean): void {
  if ("builtin" in stage1) return writeStage1Manifest(podDir, stage1.builtin);
  mkdirSync(join(podDir, "stage1"), { recursive: true });
  writeFileSync(join(podDir, "stage1", "manifest"), stage1.manifestBytes);
  writeFileSync(join(podDir, STAGE1_TREE_ID_FILE), stage1.treeStoreID);
  // loaded only for a copy: it is on node:fs (ffi/sync-fs.ts says why that is kept off the pod path)
  if (!overlay) (require("../copy-tree.ts") as typeof import("../copy-tree.ts")).copyTree(stage1.rootfs, join(podDir, "stage1", "rootfs"));
}

/** The tree a pod's stage1 image was rendered from; undefined for the built-in stage1. */
export function podStage1Tree(podDir: string): string | undefined {
  try {
    return readFileSync(join(podDir, STAGE1_TREE_ID_FILE), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Mounts the stage1 image's rootfs over `stage1/rootfs` of a pod prepared with overlay (lower: its
 * tree in `treesDir`; upper: `overlay/<tree>/upper`, which starts as what prepare wrote there).
 */
export function mountStage1Overlay(podDir: string, treesDir: string): void {
  const tree = podStage1Tree(podDir);
  if (!tree || !existsSync(join(podDir, "overlay-prepared"))) return;
  const rootfs = join(podDir, "stage1", "rootfs");
  const upper = join(podDir, "overlay", tree, "upper");
  mkdirSync(dirname(upper), { recursive: true });
  renameSync(rootfs, upper);
  mountOverlay(podDir, tree, "", join(treesDir, tree, "rootfs"), rootfs);
}

function stage1Annotations(podDir: string): Map<string, string> {
  try {
    const m = JSON.parse(readFileSync(join(podDir, "stage1", "manifest"), "utf8")) as { annotations?: { name: string; value: string }[] };
    return new Map((m.annotations ?? []).map((a) => [a.name, a.value]));
  } catch (e) {
    throw new RktError(`cannot read the stage1 manifest of pod "${podDir}"`, { cause: e });
  }
}

/** The pod's stage1 interface version (rkt's getStage1InterfaceVersion: no annotation means 1). */
export function stage1InterfaceVersion(podDir: string): number {
  const v = stage1Annotations(podDir).get(INTERFACE_VERSION_ANNOTATION);
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RktError(`cannot use stage1 of pod "${podDir}": invalid interface version "${v}"`);
  return n;
}

/**
 * The host path of the pod's stage1 image entrypoint `name`: in the pod's `stage1/rootfs`, else in
 * the image's tree (rkt's enter and a gc after the overlay is gone use the tree); undefined when the
 * image has no such annotation.
 */
export function stage1Entrypoint(podDir: string, treesDir: string, name: EntrypointName): string | undefined {
  const ep = stage1Annotations(podDir).get(`${ENTRYPOINT_ANNOTATION}${name}`);
  if (!ep) return undefined;
  const inPod = join(podDir, "stage1", "rootfs", ep);
  const tree = podStage1Tree(podDir);
  return existsSync(inPod) || !tree ? inPod : join(treesDir, tree, "rootfs", ep);
}
