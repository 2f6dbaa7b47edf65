// `rkt prepare` and the first half of `rkt run` (rkt's stage0 Prepare): resolve the images into the
// store, create the pod directory (embryo → prepare, locked), write the pod manifest and appsinfo;
// copy each app's rootfs with --no-overlay (overlays are mounted when the pod runs, as rkt does).
// The caller gets the pod still locked in prepare/ and moves it on.
import { mkdirSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { readGivenFile } from "../errors.ts";
import type { GlobalOptions } from "../config/options.ts";
import { findImage, type PullPolicy } from "../fetch/finder.ts";
import { signatureCheck } from "../fetch/trusted.ts";
import { lock } from "../lock.ts";
import { warn } from "../log.ts";
import { dataPaths } from "../paths.ts";
import { createPod, type LockedPod } from "../pods/lifecycle.ts";
import { parsePodManifest, type PodManifest } from "../schema/pod-manifest.ts";
import { ImageStore } from "../store/store.ts";
import { generatePodManifest, type AppOptions, type PodOptions, type ResolvedImage } from "./manifest.ts";
import { overlayUnsupported } from "./rootfs.ts";
import { checkRunOptions, type RunOptions } from "./run.ts";
import type { Stage1Location } from "./stage1-image.ts";
import { writePodStage1 } from "./stage1-pod.ts";
import { selectStage1 } from "./stage1-select.ts";
import { mark } from "./trace.ts";
import type { UidRange } from "../pods/uid-range.ts";

export interface PrepareOptions extends PodOptions {
  apps: AppOptions[];
  /** a whole pod manifest instead of images (--pod-manifest) */
  podManifest?: string;
  noOverlay: boolean;
  /** --private-users: the pod's UID range (chosen by the command, as rkt's run/prepare do) */
  privateUsers?: UidRange;
  pullPolicy: PullPolicy;
  /** --uuid-file-save: written as soon as the pod exists, so `rm` can clean up failures */
  uuidFileSave?: string;
  /** the --stage1-* flag, if any (else stage1.d, else the built-in stage1: stage1-select.ts) */
  stage1?: Stage1Location;
}

interface PreparedImage extends ResolvedImage {
  treeStoreID: string;
  rootfs: string;
}

async function resolveImage(g: GlobalOptions, store: ImageStore, image: string, signature: string | undefined, pullPolicy: PullPolicy): Promise<PreparedImage> {
  const key = await findImage(image, { store, pullPolicy, signature: signatureCheck(g, image, signature) });
  mark("image found");
  const { treeStoreID, rootfs } = await store.renderTree(key);
  mark("tree rendered");
  store.markUsed(key);
  return { key, manifest: store.manifest(key), treeStoreID, rootfs };
}

/** Resolves images and builds the manifest: from the command line, or from --pod-manifest. */
async function podManifestAndImages(g: GlobalOptions, store: ImageStore, opts: PrepareOptions): Promise<{ manifest: PodManifest; images: PreparedImage[] }> {
  if (opts.podManifest) {
    const manifest = parsePodManifest(readGivenFile(opts.podManifest, "--pod-manifest"));
    const images: PreparedImage[] = [];
    for (const ra of manifest.apps) {
      const img = await resolveImage(g, store, ra.image.id, undefined, "never");
      ra.image.id = img.key;
      ra.app ??= img.manifest.app;
      images.push(img);
    }
    return { manifest, images };
  }
  const images: PreparedImage[] = [];
  for (const app of opts.apps) images.push(await resolveImage(g, store, app.image, app.signature, opts.pullPolicy));
  return { manifest: generatePodManifest(opts.apps, images, opts), images };
}

/**
 * Prepares a pod; returns it locked in prepare/ (an error leaves it there, "aborted prepare", for gc).
 * `run` (for `rkt run`) is checked against the chosen stage1 before the pod is made.
 */
export async function preparePod(g: GlobalOptions, opts: PrepareOptions, run?: RunOptions): Promise<LockedPod> {
  const paths = dataPaths(g.dir);
  using store = ImageStore.open(g.dir);
  mark("store open");
  const { manifest, images } = await podManifestAndImages(g, store, opts);
  const stage1 = await selectStage1(g, store, opts.stage1);
  mark("stage1 selected");
  if (run) checkRunOptions(g, run, "builtin" in stage1 ? stage1.builtin : undefined);
  // only pods with private users load their module
  const userns = opts.privateUsers && (await import("./userns.ts"));
  // as rkt's: where overlayfs cannot work, pods get copies, with a warning
  const noOverlay = opts.noOverlay ? undefined : overlayUnsupported(g.dir);
  if (noOverlay) warn(`disabling overlay support: "${noOverlay}"`);
  const overlay = !opts.noOverlay && !noOverlay;
  userns?.checkPrivateUsersOverlay(overlay);
  // image gc takes this lock exclusively: no tree can vanish while a pod is being prepared
  using _prepare = await lock(paths.prepareLock, { shared: true, create: true });
  const pod = createPod(paths);
  mark("pod created");
  try {
    if (opts.uuidFileSave) writeFileSync(opts.uuidFileSave, pod.uuid);
    writePodStage1(pod.path, stage1, overlay);
    manifest.apps.forEach((ra, i) => {
      const img = images[i]!;
      const info = join(pod.path, "appsinfo", ra.name);
      mkdirSync(info, { recursive: true });
      const imageManifest = store.manifestBytes(img.key);
      writeFileSync(join(info, "manifest"), imageManifest);
      writeFileSync(join(info, "treeStoreID"), img.treeStoreID);
      const appDir = join(pod.path, "stage1", "rootfs", "opt", "stage2", ra.name);
      mkdirSync(appDir, { recursive: true });
      writeFileSync(join(appDir, "manifest"), imageManifest);
      // loaded only for a copy (see stage1-pod.ts)
      if (!overlay) (require("../copy-tree.ts") as typeof import("../copy-tree.ts")).copyTree(img.rootfs, join(appDir, "rootfs"));
    });
    if (overlay) writeFileSync(join(pod.path, "overlay-prepared"), "");
    mkdirSync(join(pod.path, "stage1", "rootfs", "rkt", "status"), { recursive: true });
    if (userns) {
      // the stage1 image's copy and every app's, as rkt's copies with a UID range
      userns.shiftOwnership(join(pod.path, "stage1", "rootfs"), opts.privateUsers!);
      userns.recordUidRange(pod.path, opts.privateUsers!);
    }
    writeFileSync(join(pod.path, "pod"), JSON.stringify(manifest));
  } catch (e) {
    pod.lock.release();
    throw e;
  }
  mark("pod prepared");
  return pod;
}
