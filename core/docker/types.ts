// The Docker and OCI image documents this project reads (image-spec v1 and Docker's schema2), their
// media types, the choice of one platform out of an index, and what every source of images
// (registry, docker-archive, OCI layout) resolves to: a config and the diff ID of each layer.
import { FetchError } from "../errors.ts";
import type { ImageOrigin } from "./convert.ts";

export const MEDIA = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An OCI image manifest or Docker schema2 manifest (same shape). */
export interface ImageManifestDoc {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** An OCI index or Docker manifest list (same shape). */
export interface IndexDoc {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The `config` part of an image configuration (the container defaults). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, unknown>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
}

/** An image configuration (application/vnd.oci.image.config.v1+json or Docker's container image v1). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig | null;
  rootfs: { type: string; diff_ids: string[] };
}

/** The documents of one image as a registry or an OCI layout holds them. */
export interface ImageDocs {
  /** digest of the manifest bytes (annotation appc.io/docker/manifesthash) */
  manifestDigest: string;
  manifest: ImageManifestDoc;
  config: ImageConfig;
  /** digest of the config blob: the Docker image ID (annotation appc.io/docker/imageid) */
  configDigest: string;
}

/** What a source resolved a reference to: everything conversion needs besides the layer bytes. */
export interface ResolvedImage {
  origin: ImageOrigin;
  config: ImageConfig;
  configDigest: string;
  /** absent for `docker save` archives, which have no registry manifest */
  manifestDigest?: string;
  /** bottom first: the diff ID (sha256 of the uncompressed tar) and the size as stored, if known */
  layers: { diffId: string; size?: number }[];
}

/** A registry repository or a local archive, after resolve() the bytes of each layer. */
export interface ImageSource {
  resolve(): Promise<ResolvedImage>;
  /** layer `i` as stored (compressed or not), checked against its digest where one is known */
  layer(i: number): AsyncIterable<Uint8Array>;
}

/** The platform of this process in Go/OCI terms (what images are picked for). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };
  return { os: process.platform, architecture: arch[process.arch] ?? process.arch };
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** Whether an index document (manifest list) is what a media type or body says. */
export function isIndex(mediaType: string | undefined, doc: { manifests?: unknown }): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList || (!mediaType && Array.isArray(doc.manifests));
}

/** The entry of an index for `want`; an index without one is an error listing what it has. */
export function selectPlatform(index: IndexDoc, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.platform?.os === want.os && m.platform.architecture === want.architecture,
  );
  const exact = candidates.find((m) => (m.platform?.variant ?? "") === (want.variant ?? ""));
  const chosen = exact ?? candidates[0];
  if (!chosen) {
    const have = index.manifests.map((m) => (m.platform ? platformString(m.platform) : "unknown")).join(", ");
    throw new FetchError(`cannot fetch image "${what}": no image for ${platformString(want)} (it has ${have || "none"})`);
  }
  return chosen;
}

/** Refuses a config for another platform, naming both. */
export function checkConfigPlatform(config: ImageConfig, want: Platform, what: string): void {
  if (config.os !== want.os || config.architecture !== want.architecture) {
    const have = platformString({ os: config.os, architecture: config.architecture, variant: config.variant });
    throw new FetchError(`cannot fetch image "${what}": it is built for ${have}, not ${platformString(want)}`);
  }
}

/**
 * Checks that a parsed manifest has the fields conversion relies on. Layer media types are not
 * checked: a layer's compression (gzip, zstd, or none) is read from its first bytes (layer-cache.ts).
 */
export function checkManifestDoc(doc: ImageManifestDoc, what: string): ImageManifestDoc {
  if (doc.schemaVersion !== 2 || !doc.config?.digest || !Array.isArray(doc.layers)) {
    throw new FetchError(`cannot read manifest of "${what}": expected schemaVersion 2 with config and layers`);
  }
  return doc;
}

/** Checks a parsed config: a rootfs with one diff ID per layer of the manifest. */
export function checkConfig(config: ImageConfig, manifest: ImageManifestDoc, what: string): ImageConfig {
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== manifest.layers.length) {
    throw new FetchError(
      `cannot read image config of "${what}": ${Array.isArray(ids) ? ids.length : "no"} diff IDs for ${manifest.layers.length} layers`,
    );
  }
  return config;
}
