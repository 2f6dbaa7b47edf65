// Builds OCI image layouts for Docker tests from directory trees: each layer is a tree on disk packed
// with GNU tar (whiteouts are plain `.wh.<name>` / `.wh..wh..opq` files in the tree, as in layers
// made by docker), gzipped (or zstd-compressed, or left plain), addressed by sha256, and described by a config and manifest (and, for
// multi-platform images, a nested index) as the image spec says. skopeo then pushes the layout
// to a registry or turns it into other formats.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";

export type LayerCompression = "gzip" | "zstd" | "none";

export interface OciImageSpec {
  /** one directory per layer, bottom first */
  layerDirs: string[];
  /** the `config` part of the image config (Entrypoint, Cmd, Env, …) */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  /** the tag written in index.json's `org.opencontainers.image.ref.name` */
  tag?: string;
  /** how layers are stored (default gzip), for all or layer by layer */
  compression?: LayerCompression | LayerCompression[];
  /** wrap the manifest in a nested index (a multi-platform image) with this platform */
  indexPlatform?: { os: string; architecture: string; variant?: string };
}

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
}

const sha256 = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

/** A reproducible tar of a directory's contents (names `./…`, owner 0:0, sorted). */
export function tarDir(dir: string): Uint8Array {
  const p = Bun.spawnSync(
    ["tar", "--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@1500000000", "-C", dir, "-cf", "-", "."],
    { stderr: "pipe", stdout: "pipe" },
  );
  if (p.exitCode !== 0) throw new Error(`tar of ${dir} failed: ${p.stderr.toString()}`);
  return p.stdout;
}

/** Writes an OCI image layout (oci-layout, index.json, blobs/sha256/…) for `spec` at `dir`. */
export function writeOciLayout(dir: string, spec: OciImageSpec): BuiltImage {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const diffIds: string[] = [];
  const layers = spec.layerDirs.map((d, i) => {
    const tar = tarDir(d);
    diffIds.push(sha256(tar));
    const c = (Array.isArray(spec.compression) ? spec.compression[i] : spec.compression) ?? "gzip";
    const blob = put(c === "gzip" ? gzipSync(tar) : c === "zstd" ? zstdCompressSync(tar) : tar);
    return { mediaType: `application/vnd.oci.image.layer.v1.tar${c === "none" ? "" : `+${c}`}`, ...blob };
  });
  const config = {
    created: "2017-07-14T02:40:00Z",
    author: "rkt tests",
    architecture: spec.architecture ?? "amd64",
    os: spec.os ?? "linux",
    config: spec.config ?? {},
    rootfs: { type: "layers", diff_ids: diffIds },
    history: spec.layerDirs.map(() => ({ created: "2017-07-14T02:40:00Z", created_by: "rkt test" })),
  };
  const cfg = put(new TextEncoder().encode(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg },
    layers,
  };
  const man = put(new TextEncoder().encode(JSON.stringify(manifest)));
  let top = { mediaType: manifest.mediaType, ...man };
  if (spec.indexPlatform) {
    const nested = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ ...top, platform: spec.indexPlatform }] };
    top = { mediaType: nested.mediaType, ...put(new TextEncoder().encode(JSON.stringify(nested))) };
  }
  const index = {
    schemaVersion: 2,
    manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": spec.tag ?? "latest" } }],
  };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return { manifestDigest: man.digest, configDigest: cfg.digest, layerDigests: layers.map((l) => l.digest), diffIds };
}
