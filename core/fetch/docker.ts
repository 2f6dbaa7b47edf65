// Docker and OCI images in the store: converted to one ACI by core/docker and imported like any
// other image, with rkt's rules — never signed, so only with --insecure-options=image; remote rows
// keyed by the docker:// URL (no ETag), the store-first lookup of pull policy "new".
import { loadAuthConfig } from "../config/auth.ts";
import type { GlobalOptions } from "../config/options.ts";
import { isArchiveArg } from "../docker/archive.ts";
import { dockerImageURL, fetchDockerImage, type LayerProgress } from "../docker/fetch.ts";
import { FetchError, NotFoundError } from "../errors.ts";
import { diag } from "../log.ts";
import type { ImageStore } from "../store/store.ts";
import type { PullPolicy } from "./finder.ts";
import { withProgress } from "./progress.ts";
import { stderrIsTerminal, writeStderr } from "../../ffi/stdio.ts";

/** One progress line per layer on a terminal. */
function layerProgress(ref: string): ((p: LayerProgress) => void) | undefined {
  if (!stderrIsTerminal()) return undefined;
  let last = 0;
  return (p) => {
    const now = performance.now();
    const finished = p.cached || (p.total !== undefined && p.done >= p.total);
    if (!finished && now - last < 100) return;
    last = now;
    const size = p.total ? `${(p.done / 2 ** 20).toFixed(1)}/${(p.total / 2 ** 20).toFixed(1)} MiB` : `${(p.done / 2 ** 20).toFixed(1)} MiB`;
    writeStderr(`\r\x1b[KDownloading ${ref}: layer ${p.layer + 1}/${p.layers} ${p.cached ? "cached" : size}${finished ? "\n" : ""}`);
  };
}

/** Brings a docker:, docker://, docker-archive:, oci-archive: or oci: image into the store. */
export async function fetchDocker(store: ImageStore, g: GlobalOptions, ref: string, pullPolicy: PullPolicy): Promise<string> {
  if (!g.insecure.image) {
    throw new FetchError(`cannot fetch image "${ref}": Docker images are not signed; fetching them needs --insecure-options=image`);
  }
  // Local archives are read every time, as local ACI files are; registry images may come from the store.
  if (pullPolicy !== "update" && !isArchiveArg(ref)) {
    const row = store.getRemote(dockerImageURL(ref));
    if (row && store.blobSize(row.blobkey) > 0) {
      diag(`using image from local store for ${ref}`);
      return row.blobkey;
    }
  }
  if (pullPolicy === "never") throw new NotFoundError(`image "${ref}" is not in the store (--pull-policy=never)`);
  const image = await fetchDockerImage(ref, {
    dataDir: g.dir,
    insecureTls: g.insecure.tls,
    http: g.insecure.http,
    // auth.d `dockerAuth` entries, by registry host
    credentials: Object.fromEntries(loadAuthConfig(g).docker),
    onProgress: layerProgress(ref),
  });
  const { key } = await store.importAci(withProgress(image.aci, `Converting ${ref}`), {
    remote: { url: image.url, latest: image.latest },
  });
  await store.renderTree(key);
  return key;
}
