// Choosing and fetching the stage1 of a new pod, in rkt's order (rkt/stage1hash.go, layout.md §4):
// a --stage1-* flag, else `stage1.d` (name+version in the store, then its location, then a file of
// the same name next to the rkt binary), else the build default — here the built-in stage1, which
// needs neither store nor file. Images from the default stage1 images directory or rkt's own
// directory need no signature; any other needs one unless --insecure-options=image.
import { existsSync, readlinkSync } from "../../ffi/sync-fs.ts";
import { basename, dirname, isAbsolute, join, resolve } from "../posix-path.ts";
import type { GlobalOptions } from "../config/options.ts";
import { NotFoundError, RktError } from "../errors.ts";
import { classifyImage, findImage } from "../fetch/finder.ts";
import { signatureCheck, type FetchTrust } from "../fetch/trusted.ts";
import { diag } from "../log.ts";
import { parseAppString } from "../schema/types.ts";
import type { ImageStore } from "../store/store.ts";
import { configuredStage1ImagesDir, loadStage1Config } from "./stage1-config.ts";
import {
  builtinFlavor, builtinFlavorFile, DEFAULT_IMAGE_NAME, ENTRYPOINT_ANNOTATION, type Stage1Choice, type Stage1Location,
} from "./stage1-image.ts";

/** The stage1 images directory of an installed rkt (rkt's configure default). */
export const DEFAULT_STAGE1_IMAGES_DIR = "/usr/lib/rkt/stage1-images";

/** A stage1 ready for a pod: a built-in flavor, or an image with its rendered tree. */
export type SelectedStage1 = { builtin: string } | { image: string; manifestBytes: Uint8Array; treeStoreID: string; rootfs: string };

/** The directory of the running rkt binary (/proc/self/exe, as rkt). */
function rktBinaryDir(): string {
  return dirname(readlinkSync("/proc/self/exe"));
}

/** rkt's isTrustedLocation: under the default stage1 images directory, or beside the rkt binary. */
function isTrustedLocation(path: string): boolean {
  const abs = resolve(path);
  return abs.startsWith(`${DEFAULT_STAGE1_IMAGES_DIR}/`) || dirname(abs) === rktBinaryDir();
}

/** The signature policy of a stage1 image: none for trusted locations, else the usual one. */
function stage1Trust(g: GlobalOptions, location: string, trusted: boolean): FetchTrust {
  const usual = signatureCheck(g, location);
  return trusted ? { ...usual, verifying: () => false, start: async () => undefined } : usual;
}

/**
 * Gets the image at `location` into the store, as rkt's stage1 finder (no discovery). A path's image
 * needs no signature from a trusted location (rkt compares the location as given, so never a URL's).
 */
async function fetchStage1(g: GlobalOptions, store: ImageStore, location: string, opts: { asPath?: boolean; trusted?: boolean } = {}): Promise<string> {
  const ref = opts.asPath ? { kind: "path" as const, path: resolve(location) } : classifyImage(location);
  if (ref.kind !== "path") return findImage(location, { store, pullPolicy: "new", signature: signatureCheck(g, location) });
  const isUrl = location.startsWith("file://");
  diag(`using image from file ${isUrl ? ref.path : location}`);
  const trusted = opts.trusted || (!isUrl && isTrustedLocation(ref.path));
  return findImage(ref.path, { store, pullPolicy: "new", signature: stage1Trust(g, ref.path, trusted) });
}

/** The image named `ref` (`name:version`) if the store has it. */
async function fromStore(g: GlobalOptions, store: ImageStore, ref: string): Promise<string | undefined> {
  try {
    return await findImage(ref, { store, pullPolicy: "never", signature: signatureCheck(g, ref) });
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** --stage1-from-dir: the file in the stage1 images directory (paths.d, else the defaults). */
async function fromDir(g: GlobalOptions, store: ImageStore, file: string): Promise<Stage1Choice> {
  const configured = configuredStage1ImagesDir(g);
  const dirs = configured ? [configured] : [DEFAULT_STAGE1_IMAGES_DIR, rktBinaryDir()];
  const path = dirs.map((d) => join(d, file)).find((p) => existsSync(p));
  if (path) return { image: await fetchStage1(g, store, path) };
  const flavor = builtinFlavorFile(file);
  if (flavor) return { builtin: flavor };
  throw new NotFoundError(`cannot find stage1 image "${file}" in ${dirs.map((d) => `"${d}"`).join(" or ")}`);
}

/** What one --stage1-* flag names (rkt's getStage1HashFromFlag): no second chances. */
async function fromFlag(g: GlobalOptions, store: ImageStore, loc: Stage1Location): Promise<Stage1Choice> {
  switch (loc.kind) {
    case "hash": {
      const key = store.resolveKey(loc.location);
      diag(`using image from the store with hash ${key}`);
      return { image: key };
    }
    case "name": {
      const stored = await fromStore(g, store, loc.location);
      if (stored) return { image: stored };
      const app = parseAppString(loc.location);
      const flavor = builtinFlavor(app.name, app.labels.version);
      if (flavor) return { builtin: flavor };
      return { image: await findImage(loc.location, { store, pullPolicy: "new", signature: signatureCheck(g, loc.location) }) };
    }
    case "path":
      return { image: await fetchStage1(g, store, loc.location, { asPath: true }) };
    case "url":
      return { image: await fetchStage1(g, store, loc.location) };
    case "from-dir":
      return fromDir(g, store, loc.location);
  }
}

/** A configured absolute location, else the file of the same name beside the rkt binary. */
async function fromPath(g: GlobalOptions, store: ImageStore, location: string): Promise<string> {
  let first: unknown;
  try {
    return await fetchStage1(g, store, location);
  } catch (e) {
    first = e;
  }
  const fallback = join(rktBinaryDir(), basename(location));
  try {
    return await fetchStage1(g, store, fallback, { trusted: true });
  } catch (e) {
    const err = new RktError(`cannot fetch stage1 image "${location}", nor fall back to "${fallback}" in the rkt directory`, { cause: first });
    err.cleanupError = e;
    throw err;
  }
}

/**
 * The stage1 of `stage1.d` (rkt's getConfiguredStage1Hash): a configured name+version from the
 * store, else the configured location. The built-in stage1 stands for rkt's build defaults — the
 * default name at rkt's version, always at hand, and the default location — so it serves when
 * nothing is configured, and a location configured alone is used rather than shadowed by it.
 */
async function fromConfig(g: GlobalOptions, store: ImageStore): Promise<Stage1Choice> {
  const cfg = loadStage1Config(g);
  if (cfg.name) {
    const flavor = builtinFlavor(cfg.name, cfg.version);
    if (flavor) return { builtin: flavor };
    const stored = await fromStore(g, store, `${cfg.name}:${cfg.version}`);
    if (stored) return { image: stored };
  }
  if (!cfg.location) return { builtin: DEFAULT_IMAGE_NAME };
  if (!isAbsolute(cfg.location)) return { image: await fetchStage1(g, store, cfg.location) };
  return { image: await fromPath(g, store, cfg.location) };
}

/**
 * The stage1 for a new pod: from the --stage1-* flag `loc`, else from the configuration; an image
 * is fetched into the store, checked to be a stage1 image and its tree rendered.
 */
export async function selectStage1(g: GlobalOptions, store: ImageStore, loc: Stage1Location | undefined): Promise<SelectedStage1> {
  const choice = loc ? await fromFlag(g, store, loc) : await fromConfig(g, store);
  if ("builtin" in choice) return choice;
  const manifest = store.manifest(choice.image);
  if (!manifest.annotations?.some((a) => a.name === `${ENTRYPOINT_ANNOTATION}run`)) {
    throw new RktError(`cannot use image "${manifest.name}" as stage1: it has no "${ENTRYPOINT_ANNOTATION}run" annotation`);
  }
  const { treeStoreID, rootfs } = await store.renderTree(choice.image);
  store.markUsed(choice.image);
  return { image: choice.image, manifestBytes: store.manifestBytes(choice.image), treeStoreID, rootfs };
}
