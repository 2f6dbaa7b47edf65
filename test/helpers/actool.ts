// ACIs made by the real appc `actool build` from a directory the test lays out, so our importer is
// checked against the reference tool's output rather than only our own builder's.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface ActoolImage {
  name: string;
  version?: string;
  labels?: Record<string, string>;
  /** extra manifest fields (app, dependencies, pathWhitelist, …) */
  manifest?: Record<string, unknown>;
  /** files to create under rootfs: path → contents; a value {symlink} makes a symlink */
  files?: Record<string, string | { symlink: string } | { copy: string; mode?: number }>;
}

/** The manifest object for `img` (os=linux, arch=amd64 unless labels say otherwise). */
export function manifestOf(img: ActoolImage): Record<string, unknown> {
  const labels = { ...(img.version ? { version: img.version } : {}), os: "linux", arch: "amd64", ...img.labels };
  return {
    acKind: "ImageManifest",
    acVersion: "0.8.11",
    name: img.name,
    labels: Object.entries(labels).filter(([, v]) => v !== "").map(([name, value]) => ({ name, value })),
    ...img.manifest,
  };
}

/** Builds `out` with `actool build` (gzip-compressed) from a layout made under `work`. */
export function actoolBuild(work: string, img: ActoolImage, out: string, opts: { noCompression?: boolean; invalid?: boolean } = {}): string {
  const layout = join(work, `layout-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(layout, "rootfs"), { recursive: true });
  writeFileSync(join(layout, "manifest"), JSON.stringify(manifestOf(img)));
  for (const [path, v] of Object.entries(img.files ?? {})) {
    const full = join(layout, "rootfs", path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof v === "string") writeFileSync(full, v);
    else if ("symlink" in v) symlinkSync(v.symlink, full);
    else {
      copyFileSync(v.copy, full);
      if (v.mode !== undefined) chmodSync(full, v.mode);
    }
  }
  // actool refuses to build what it finds invalid; `invalid` images are packed by tar instead.
  const cmd = opts.invalid
    ? ["tar", "-C", layout, "-cf", out, "manifest", "rootfs"]
    : ["actool", "build", ...(opts.noCompression ? ["--no-compression"] : []), "--overwrite", layout, out];
  const p = Bun.spawnSync(cmd);
  if (p.exitCode !== 0) throw new Error(`${cmd.slice(0, 2).join(" ")} failed: ${p.stderr}`);
  return out;
}

/** sha512 hex of the uncompressed tar inside an ACI (what rkt calls the image ID). */
export function uncompressedSha512(aci: string): string {
  const p = Bun.spawnSync(["sh", "-c", `(gzip -dc "$1" 2>/dev/null || cat "$1") | sha512sum`, "sh", aci]);
  return p.stdout.toString().split(" ")[0]!;
}
