// The entry point for Docker and OCI images: `docker://…` (Registry v2) and local archives
// (`docker-archive:`, `oci-archive:`, `oci:`) in, one squashed ACI out, as rkt's docker fetcher
// with docker2aci did. Layers land in the layer cache first (downloaded in parallel, checked), so
// that every failure (auth, 404, digest mismatch, wrong platform) happens before the caller reads
// a byte; the ACI is then streamed from the cached layers.
import { resolve } from "node:path";
import { type ImageManifest, serializeImageManifest } from "../schema/image-manifest.ts";
import { archiveSource, isArchiveArg } from "./archive.ts";
import { dockerToAppcManifest } from "./convert.ts";
import { LayerCache } from "./layer-cache.ts";
import { formatDockerReference, parseDockerReference } from "./reference.ts";
import { registrySource, type DockerCredentials } from "./registry.ts";
import { squashToAci } from "./squash.ts";
import { hostPlatform, type ImageSource, type Platform } from "./types.ts";

/** Progress of one layer: bytes read of it as stored (compressed), for a progress display. */
export interface LayerProgress {
  /** 0 for the bottom layer */
  layer: number;
  layers: number;
  diffId: string;
  done: number;
  /** bytes of the layer as stored, when the source says */
  total?: number;
  /** the layer was in the cache: nothing to download */
  cached: boolean;
}

export interface DockerFetchOptions {
  /** the data directory (`--dir`): the layer cache is `<dataDir>/cas/docker-layers` */
  dataDir: string;
  /** skip TLS certificate verification (`--insecure-options=tls`) */
  insecureTls?: boolean;
  /** allow plain http when https fails (`--insecure-options=http`) */
  http?: boolean;
  /** `dockerAuth` credentials from auth.d, by registry host (with port, if any) */
  credentials?: Record<string, DockerCredentials>;
  /** the platform to pick (default: this host's) */
  platform?: Platform;
  onProgress?: (p: LayerProgress) => void;
  /** how many layers download at once (default 3) */
  parallel?: number;
}

export interface ConvertedImage {
  /** the appc manifest of the ACI (also its `manifest` entry) */
  manifest: ImageManifest;
  /** where it came from, for the store's remote table: `docker://registry/repo:tag`, or the archive argument with an absolute path */
  url: string;
  /** whether the image was asked for by the tag `latest` (rkt's "latest" flag) */
  latest: boolean;
  /** the uncompressed ACI tar; read it once, to its end (new layers join the cache then) */
  aci: AsyncIterable<Uint8Array>;
}

/** Whether `arg` is for this module: `docker:`, `docker://`, `docker-archive:`, `oci-archive:`, `oci:`. */
export function isDockerImageArg(arg: string): boolean {
  return arg.startsWith("docker:") || isArchiveArg(arg);
}

async function* counted(src: AsyncIterable<Uint8Array>, report: (done: number) => void): AsyncGenerator<Uint8Array> {
  let done = 0;
  for await (const c of src) {
    done += c.length;
    report(done);
    yield c;
  }
}

/**
 * Runs `fn` over `items` with at most `limit` running at once; results in order. After a failure no
 * new item starts, and the first error is thrown only once the running ones have finished, so no
 * layer download goes on writing after the fetch has failed.
 */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return out;
}

/**
 * The canonical URL of a Docker/OCI image argument, as the store's remote table keys it:
 * `docker://registry/repository:tag` (defaults filled in), or the archive argument with its path made absolute.
 */
export function dockerImageURL(arg: string): string {
  if (!isArchiveArg(arg)) return formatDockerReference(parseDockerReference(arg));
  const [transport, ...rest] = arg.split(":");
  return `${transport}:${resolve(rest[0]!)}${rest.length > 1 ? `:${rest.slice(1).join(":")}` : ""}`;
}

/**
 * Fetches a Docker/OCI image (registry or local archive) and converts it to one squashed ACI.
 * Resolves once every layer is in the layer cache; throws FetchError/VerificationError/UsageError.
 */
export async function fetchDockerImage(arg: string, opts: DockerFetchOptions): Promise<ConvertedImage> {
  const platform = opts.platform ?? hostPlatform();
  let source: ImageSource;
  if (isArchiveArg(arg)) {
    source = archiveSource(arg, platform);
  } else {
    const ref = parseDockerReference(arg);
    source = registrySource(ref, {
      insecureTls: opts.insecureTls,
      http: opts.http,
      credentials: opts.credentials?.[ref.registry],
      platform,
    });
  }
  const url = dockerImageURL(arg);
  const image = await source.resolve();
  const manifest = dockerToAppcManifest(image.config, image.origin, image);
  const cache = new LayerCache(opts.dataDir);
  const n = image.layers.length;
  let files: string[];
  try {
    files = await mapLimit(image.layers, opts.parallel ?? 3, (layer, i) => {
      const progress = (done: number, cached: boolean) =>
        opts.onProgress?.({ layer: i, layers: n, diffId: layer.diffId, done, total: layer.size, cached });
      if (cache.has(layer.diffId)) progress(layer.size ?? 0, true);
      return cache.ensure(layer.diffId, () => counted(source.layer(i), (done) => progress(done, false)));
    });
  } catch (err) {
    await cache.settle();
    throw err;
  }
  const json = new TextEncoder().encode(serializeImageManifest(manifest));
  return { manifest, url, latest: image.origin.tag === "latest", aci: settling(squashToAci(files, json), cache) };
}

/** The ACI stream, after which (or after its consumer stops) the cache commits its new layers. */
async function* settling(aci: AsyncIterable<Uint8Array>, cache: LayerCache): AsyncGenerator<Uint8Array> {
  try {
    yield* aci;
  } finally {
    await cache.settle();
  }
}
