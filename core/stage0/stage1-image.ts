// Which stage1 a pod runs with (rkt's --stage1-{url,path,name,hash,from-dir}, layout.md §4). The
// built-in flavors need no image file: the default (rkt's stage1-coreos) and fly. stage0 records
// the choice as the pod's `stage1/manifest`, with rkt's stage1 annotations, so run-prepared, enter
// and gc find the same flavor later.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { UsageError } from "../errors.ts";
import { APPC_VERSION, rktVersion } from "../version.ts";

export const DEFAULT_IMAGE_NAME = "coreos.com/rkt/stage1-coreos";
export const FLY_IMAGE_NAME = "coreos.com/rkt/stage1-fly";

/** The --stage1-* flag values of run/prepare (at most one may be set). */
export interface Stage1Flags {
  url?: string;
  path?: string;
  name?: string;
  hash?: string;
  fromDir?: string;
}

/** The built-in stage1 image name the flags ask for (rkt's names and file names of its flavors). */
export function chooseStage1(flags: Stage1Flags): string {
  const given = Object.entries(flags).filter(([, v]) => v !== undefined);
  if (given.length > 1) throw new UsageError("the --stage1-url, --stage1-path, --stage1-name, --stage1-hash and --stage1-from-dir flags are mutually exclusive");
  if (given.length === 0) return DEFAULT_IMAGE_NAME;
  const [flag, value] = given[0]!;
  const name = flag === "name" ? value!.split(":")[0]! : basename(value!).replace(/\.aci$/, "");
  if (name === FLY_IMAGE_NAME || name === "stage1-fly") return FLY_IMAGE_NAME;
  if (name === DEFAULT_IMAGE_NAME || name === "stage1-coreos" || name === "stage1") return DEFAULT_IMAGE_NAME;
  throw new UsageError(`--stage1-${flag.replace("fromDir", "from-dir")}=${value}: only the built-in stage1 flavors (stage1-coreos, stage1-fly) are supported so far`);
}

/** The stage1 image name a pod was prepared with (the default for pods without `stage1/manifest`). */
export function stage1ImageName(podDir: string): string {
  try {
    return JSON.parse(readFileSync(join(podDir, "stage1", "manifest"), "utf8")).name ?? DEFAULT_IMAGE_NAME;
  } catch {
    return DEFAULT_IMAGE_NAME;
  }
}

/** Writes the pod's `stage1/manifest` for built-in stage1 `name`. */
export function writeStage1Manifest(podDir: string, name: string): void {
  const entry = (e: string) => ({ name: `coreos.com/rkt/stage1/${e}`, value: `/${e}` });
  const manifest = {
    acKind: "ImageManifest",
    acVersion: APPC_VERSION,
    name,
    labels: [{ name: "version", value: rktVersion() }, { name: "os", value: "linux" }, { name: "arch", value: process.arch === "x64" ? "amd64" : process.arch }],
    annotations: [
      ...["run", "enter", "gc", "stop"].map(entry),
      { name: "coreos.com/rkt/stage1/interface-version", value: name === FLY_IMAGE_NAME ? "5" : "6" },
    ],
  };
  mkdirSync(join(podDir, "stage1"), { recursive: true });
  writeFileSync(join(podDir, "stage1", "manifest"), JSON.stringify(manifest));
}
