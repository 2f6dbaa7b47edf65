// From a tag or descriptor to one image's documents, the same for registries and OCI layouts:
// read the manifest, follow an index (manifest list) to the wanted platform, refuse schema1, read
// and check the config (one diff ID per layer, the wanted platform).
import { FetchError } from "../errors.ts";
import {
  checkConfig,
  checkConfigPlatform,
  checkManifestDoc,
  isIndex,
  MEDIA,
  selectPlatform,
  type Descriptor,
  type ImageConfig,
  type ImageDocs,
  type ImageManifestDoc,
  type IndexDoc,
  type Platform,
} from "./types.ts";

/** Manifests and configs are small: a bigger one is refused rather than read into memory. */
export const MAX_DOCUMENT = 4 << 20;

/** Where documents come from: `manifest` by tag, digest or descriptor; `blob` checked against `desc`. */
export interface DocReader {
  manifest(ref: string | Descriptor): Promise<{ bytes: Uint8Array; mediaType?: string; digest: string }>;
  blob(desc: Descriptor, what: string): Promise<Uint8Array>;
}

function parseDoc<T>(bytes: Uint8Array, what: string, kind: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (err) {
    throw new FetchError(`cannot read ${kind} of "${what}": not JSON`, { cause: err });
  }
}

/** Resolves `ref` to the documents of the image for platform `want`. */
export async function resolveDocs(reader: DocReader, ref: string | Descriptor, want: Platform, what: string): Promise<ImageDocs> {
  for (let depth = 0; ; depth++) {
    const got = await reader.manifest(ref);
    if (got.bytes.length > MAX_DOCUMENT) throw new FetchError(`cannot read manifest of "${what}": ${got.bytes.length} bytes is too big`);
    const doc = parseDoc<{ mediaType?: string; schemaVersion?: number; manifests?: unknown }>(got.bytes, what, "manifest");
    const mediaType = doc.mediaType ?? got.mediaType;
    if (doc.schemaVersion === 1 || mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed) {
      throw new FetchError(
        `cannot fetch image "${what}": it has a Docker schema1 manifest, which is deprecated and not supported; push it again with a current client`,
      );
    }
    if (isIndex(mediaType, doc)) {
      if (depth > 0) throw new FetchError(`cannot fetch image "${what}": an index inside an index is not supported`);
      ref = selectPlatform(doc as IndexDoc, want, what);
      continue;
    }
    const manifest = checkManifestDoc(doc as ImageManifestDoc, what);
    if (manifest.config.size > MAX_DOCUMENT) throw new FetchError(`cannot read image config of "${what}": ${manifest.config.size} bytes is too big`);
    const config = checkConfig(parseDoc<ImageConfig>(await reader.blob(manifest.config, "image config"), what, "image config"), manifest, what);
    checkConfigPlatform(config, want, what);
    return { manifestDigest: got.digest, manifest, config, configDigest: manifest.config.digest };
  }
}
