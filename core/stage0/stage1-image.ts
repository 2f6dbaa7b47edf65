// Which stage1 a pod runs with, as names and facts shared by stage0 and stage1 (layout.md §4). The
// binary carries two stage1 images of its own, run in-process (DESIGN.md §3): rkt's default
// (stage1-coreos) and fly, at rkt's version and ours. Any other stage1 is an image in the store,
// rendered into the pod; `stage1/manifest` records either, so run-prepared, enter, stop and gc
// find the same stage1 later, and `stage1TreeStoreID` exists only for a stage1 image.
import { mkdirSync, readFileSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { UsageError } from "../errors.ts";
import { APPC_VERSION, rktVersion } from "../version.ts";

export const DEFAULT_IMAGE_NAME = "coreos.com/rkt/stage1-coreos";
export const FLY_IMAGE_NAME = "coreos.com/rkt/stage1-fly";
/** rkt's stage1 annotation prefix; `<prefix>run`, `<prefix>enter`, … name the entrypoints. */
export const ENTRYPOINT_ANNOTATION = "coreos.com/rkt/stage1/";
export const INTERFACE_VERSION_ANNOTATION = "coreos.com/rkt/stage1/interface-version";
/** The pod file naming the tree a stage1 image was rendered from (absent for the built-in stage1). */
export const STAGE1_TREE_ID_FILE = "stage1TreeStoreID";

/** The rkt release whose stage1 interface and flavor names this implementation follows. */
const RKT_COMPAT_VERSION = "1.30.0";

/** The --stage1-* flag values of run/prepare (at most one may be set). */
export interface Stage1Flags {
  url?: string;
  path?: string;
  name?: string;
  hash?: string;
  fromDir?: string;
}

/** One --stage1-* flag: which kind of location, and its value. */
export interface Stage1Location {
  kind: "url" | "path" | "name" | "hash" | "from-dir";
  location: string;
}

/** What runs a pod: a built-in flavor, by its image name, or a stage1 image in the store, by key. */
export type Stage1Choice = { builtin: string } | { image: string };

/** The --stage1-* flag given, if any; two of them are a usage error (rkt's stage1ImageLocationFlag). */
export function chooseStage1(flags: Stage1Flags): Stage1Location | undefined {
  const given = (Object.entries(flags) as [keyof Stage1Flags, string | undefined][]).filter(([, v]) => v !== undefined);
  const flag = (k: string) => `--stage1-${k === "fromDir" ? "from-dir" : k}`;
  if (given.length > 1) throw new UsageError(`flags ${flag(given[1]![0])} and ${flag(given[0]![0])} are mutually exclusive`);
  if (given.length === 0) return undefined;
  const [kind, location] = given[0]!;
  if (!location) throw new UsageError(`${flag(kind)} needs a value`);
  return { kind: kind === "fromDir" ? "from-dir" : kind, location };
}

/**
 * The built-in flavor an image name (and version, when given) stands for: rkt's names at rkt's
 * version or ours. `undefined` for any other image.
 */
export function builtinFlavor(name: string, version?: string): string | undefined {
  if (name !== DEFAULT_IMAGE_NAME && name !== FLY_IMAGE_NAME) return undefined;
  return version === undefined || version === rktVersion() || version === RKT_COMPAT_VERSION ? name : undefined;
}

/** The built-in flavor a stage1 image file name stands for (`stage1-fly.aci`, as rkt's from-dir names it). */
export function builtinFlavorFile(file: string): string | undefined {
  return { "stage1-coreos.aci": DEFAULT_IMAGE_NAME, "stage1-fly.aci": FLY_IMAGE_NAME }[file];
}

/** The stage1 image name a pod was prepared with (the default for pods without `stage1/manifest`). */
export function stage1ImageName(podDir: string): string {
  try {
    return JSON.parse(readFileSync(join(podDir, "stage1", "manifest"), "utf8")).name ?? DEFAULT_IMAGE_NAME;
  } catch {
    return DEFAULT_IMAGE_NAME;
  }
}

/** The manifest of built-in flavor `name` at `version`, as our release's stage1 ACIs carry it (release/stage1/). */
export function builtinStage1Manifest(name: string, version = rktVersion()) {
  const entry = (e: string) => ({ name: `${ENTRYPOINT_ANNOTATION}${e}`, value: `/${e}` });
  return {
    acKind: "ImageManifest",
    acVersion: APPC_VERSION,
    name,
    labels: [{ name: "version", value: version }, { name: "os", value: "linux" }, { name: "arch", value: process.arch === "x64" ? "amd64" : process.arch }],
    annotations: [
      ...["run", "enter", "gc", "stop"].map(entry),
      // fly is rkt's interface version 5; the default flavor 6 (layout.md §4)
      { name: INTERFACE_VERSION_ANNOTATION, value: name === FLY_IMAGE_NAME ? "5" : "6" },
    ],
  };
}

/** Writes the pod's `stage1/manifest` for built-in stage1 `name`. */
export function writeStage1Manifest(podDir: string, name: string): void {
  mkdirSync(join(podDir, "stage1"), { recursive: true });
  writeFileSync(join(podDir, "stage1", "manifest"), JSON.stringify(builtinStage1Manifest(name)));
}
