// Images from http(s) URLs and from appc names (rkt's httpfetcher.go and namefetcher.go): the
// cache rules of layout.md §1 (fresh max-age → no request; ETag → If-None-Match, 304 reuses the
// blob), the signature downloaded before the image as rkt did (`<url>.asc` or discovery's URL; 202
// defers it until the image is in) and verified over the bytes as they stream into the store, the discovered name and
// labels checked against the manifest, and the store's remote row written with the import.
import { readFileSync } from "node:fs";
import { loadAuthConfig } from "../config/auth.ts";
import type { GlobalOptions } from "../config/options.ts";
import { FetchError, messageOf, VerificationError } from "../errors.ts";
import { diag, warn } from "../log.ts";
import type { ImageManifest } from "../schema/image-manifest.ts";
import type { AppString } from "../schema/types.ts";
import type { ImageStore } from "../store/store.ts";
import { trustDiscoveredKeys } from "../trust/discover-keys.ts";
import { isFresh } from "./cache.ts";
import { discoverAciEndpoints } from "./discovery.ts";
import { openDownload } from "./download.ts";
import { expectStatus, httpRequest, smallBody, type HttpOptions } from "./http.ts";
import { withProgress } from "./progress.ts";
import type { FetchTrust, ImageVerifier } from "./trusted.ts";

/** An image to download. */
export interface RemoteSource {
  url: string;
  /** the signature's URL when discovery gave one (default: rkt's `<url>.asc` rule) */
  ascUrl?: string;
  /** the name and labels that were asked for (discovery): checked against the manifest */
  app?: AppString;
  /** discovered without a version: the store marks it latest */
  latest?: boolean;
}

const authCache = new WeakMap<GlobalOptions, HttpOptions>();
let tlsWarned = false;

/** The request options of a fetch under `g` (auth.d read once per command). */
export function httpOptions(g: GlobalOptions): HttpOptions {
  let opts = authCache.get(g);
  if (!opts) {
    opts = { insecureTls: g.insecure.tls, allowHttp: g.insecure.http, auth: loadAuthConfig(g) };
    authCache.set(g, opts);
  }
  return opts;
}

/** rkt's ascURLFromImgURL: `x.aci` → `x.aci.asc`, anything else → `<path>.aci.asc` (query kept). */
export function signatureURL(url: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.endsWith(".aci") ? `${u.pathname}.asc` : `${u.pathname}.aci.asc`;
  return u.href;
}

/** The signature bytes, or "deferred" when the server answers 202 (it serves it once the image is out). */
async function getSignature(url: string, http: HttpOptions, deferrable: boolean): Promise<Uint8Array | "deferred"> {
  diag(`downloading signature from ${url}`);
  try {
    const res = await httpRequest(url, http, { what: "signature" });
    if (res.status === 202) {
      await res.body?.cancel();
      if (deferrable) {
        diag("server requested deferring the signature download");
        return "deferred";
      }
      throw new FetchError(`cannot fetch signature "${url}": the server asked to defer the download again`);
    }
    await expectStatus(res, "signature", url);
    return await smallBody(res, "signature", url);
  } catch (cause) {
    throw new FetchError(`cannot fetch the signature of the image (verification can be skipped with --insecure-options=image)`, { cause });
  }
}

/** rkt's ValidateName and ValidateLabels: what discovery asked for must be what came. */
function checkApp(m: ImageManifest, app: AppString): void {
  if (m.name !== app.name) throw new VerificationError(`cannot fetch image "${app.name}": the image is named "${m.name}"`);
  const have = new Map((m.labels ?? []).map((l) => [l.name, l.value]));
  for (const [name, want] of Object.entries(app.labels)) {
    const got = have.get(name);
    if (got === undefined) throw new VerificationError(`cannot fetch image "${app.name}": requested label "${name}" not provided by the image manifest`);
    if (got !== want) {
      throw new VerificationError(`cannot fetch image "${app.name}": requested value for label "${name}": "${want}" differs from fetched aci label value: "${got}"`);
    }
  }
}

/**
 * Brings the image at `src.url` into the store (or finds it current there) and returns its key.
 * The pull policy's store phase is the caller's; this is rkt's remote phase.
 */
export async function fetchRemote(store: ImageStore, trust: FetchTrust, http: HttpOptions, src: RemoteSource): Promise<string> {
  const { url } = src;
  const row = store.getRemote(url);
  const stored = row && store.blobSize(row.blobkey) > 0 ? row : undefined;
  if (stored && isFresh(stored)) {
    diag(`image for ${url} isn't expired, not fetching.`);
    return stored.blobkey;
  }
  diag(`fetching image from ${url}`);
  if (http.insecureTls && !tlsWarned) warn("TLS verification has been disabled");
  tlsWarned ||= !!http.insecureTls;

  const ascUrl = src.ascUrl ?? signatureURL(url);
  let verifier: ImageVerifier | undefined;
  let deferred = false;
  if (trust.verifying()) {
    const asc = trust.signatureFile ? readFileSync(trust.signatureFile) : await getSignature(ascUrl, http, true);
    if (asc === "deferred") deferred = true;
    else {
      verifier = await trust.begin(asc);
      // The name is known before the bytes: refuse an untrusted signer before downloading anything.
      if (src.app) await verifier.check(src.app.name);
    }
  }

  using dl = await openDownload(store.paths.casTmp, url, http, { etag: stored?.etag || undefined });
  if (dl.notModified) {
    if (!stored) throw new FetchError(`cannot fetch image "${url}": the server answered 304 Not Modified to a request without an ETag`);
    diag(`image for ${url} not modified, using the stored one`);
    return stored.blobkey;
  }

  const imported = store.importAci(withProgress(dl.chunks(), "Downloading ACI", dl.total), {
    tap: verifier && ((c) => verifier!.push(c)),
    async beforeCommit(m) {
      if (src.app) checkApp(m, src.app);
      if (deferred) {
        const asc = await getSignature(ascUrl, http, false);
        verifier = await trust.begin(asc as Uint8Array);
        for await (const c of Bun.file(dl.path).stream()) verifier.push(c);
      }
      await verifier?.finish(m.name);
    },
    remote: { url, sigUrl: trust.signatureFile ?? ascUrl, etag: dl.etag, maxAge: dl.maxAge, latest: src.latest },
  });
  const { key } = await imported.catch((err: unknown) => {
    // Say which download a store-side failure (not an ACI, bad signature, wrong name) belongs to.
    throw err instanceof FetchError ? err : new FetchError(`cannot import image "${url}": ${messageOf(err)}`, { cause: err });
  });
  dl.complete();
  return key;
}

/**
 * rkt's name fetcher: discovers `app` (labels with os/arch defaulted by the caller), trusts the
 * published keys first when asked to (--trust-keys-from-https), and fetches the first endpoint.
 */
export async function fetchByName(store: ImageStore, trust: FetchTrust, app: AppString): Promise<string> {
  const http = httpOptions(trust.g);
  diag(`searching for app image ${app.name}`);
  const endpoints = await discoverAciEndpoints(app, http);
  const ep = endpoints[0]!;
  diag(`remote fetching from URL "${ep.aci}"`);
  const { insecure } = trust.g;
  // rkt's maybeFetchPubKeys: not over unverified TLS, and keys over http only with pubkey,http.
  if (trust.verifying() && trust.g.trustKeysFromHttps && (!insecure.tls || insecure.pubkey)) {
    try {
      await trustDiscoveredKeys(await trust.keystore(), app.name, { ...http, allowHttp: insecure.pubkey && insecure.http });
    } catch (err) {
      // Not fatal, as in rkt: the signature check that follows says what is missing.
      warn(`cannot trust the keys published for "${app.name}": ${messageOf(err)}`);
    }
  }
  return fetchRemote(store, trust, http, { url: ep.aci, ascUrl: ep.asc, app, latest: app.labels.version === undefined });
}
