// A Docker Registry HTTP API v2 client for pulling: the `/v2/` probe (https first, plain http only
// when allowed), anonymous, basic and Bearer-token auth from `WWW-Authenticate` challenges,
// manifests (schema2, OCI, manifest lists and OCI indexes narrowed to one platform; schema1 refused)
// and blobs streamed with their digest checked (reference/docker-and-net.md §A.2). Requests and
// bodies have core/fetch/http.ts's timeouts: a registry that stops answering fails the fetch.
import { FetchError, RktError, VerificationError } from "../errors.ts";
import { bodyChunks, smallBody, withResponseTimeout } from "../fetch/http.ts";
import { checkDigest, sha256Digest, verifyStream } from "./digest.ts";
import { MAX_DOCUMENT, resolveDocs, type DocReader } from "./resolve.ts";
import type { DockerReference } from "./reference.ts";
import { hostPlatform, MEDIA, type Descriptor, type ImageDocs, type ImageSource, type Platform } from "./types.ts";

/** `dockerAuth` credentials from auth.d for one registry. */
export interface DockerCredentials {
  user: string;
  password: string;
}

export interface RegistryOptions {
  /** skip TLS certificate verification (`--insecure-options=tls`) */
  insecureTls?: boolean;
  /** fall back to plain http when https fails (`--insecure-options=http`) */
  http?: boolean;
  credentials?: DockerCredentials;
  /** the platform to pick from an index (default: this host's) */
  platform?: Platform;
}

const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.dockerList,
  MEDIA.ociManifest,
  MEDIA.dockerManifest,
  MEDIA.dockerSchema1Signed,
  MEDIA.dockerSchema1,
].join(", ");

/** Parses `Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params, quoted or not). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  if (!m) return { scheme: "", params };
  for (const p of m[2]!.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/** The error message of a registry error body (`{"errors":[{"code","message"}]}`), if it has one. */
async function registryErrorText(res: Response, what: string): Promise<string> {
  const text = await smallBody(res, what, res.url, MAX_DOCUMENT).then((b) => new TextDecoder().decode(b), () => "");
  try {
    const errs = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
    if (errs?.length) return errs.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
  } catch {
    // not JSON: the status line says enough
  }
  return "";
}

function basicAuth(c: DockerCredentials | undefined): string | undefined {
  return c ? `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}` : undefined;
}

/** A document (manifest, config) read whole; refused when bigger than any should be. */
async function documentBody(res: Response, what: string): Promise<Uint8Array> {
  const len = Number(res.headers.get("content-length") ?? 0);
  if (len > MAX_DOCUMENT) {
    void res.body?.cancel();
    throw new FetchError(`cannot fetch ${what}: ${len} bytes is too big`);
  }
  return smallBody(res, what, res.url, MAX_DOCUMENT);
}

/** One repository on one registry, with the base URL and token found on first use. */
export class RegistryClient implements DocReader {
  private base?: Promise<string>;
  private token?: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly opts: RegistryOptions = {},
  ) {}

  /** The documents of `reference` (tag or digest) for the wanted platform, all digests checked. */
  resolve(reference: string): Promise<ImageDocs> {
    const what = `${this.registry}/${this.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
    return resolveDocs(this, reference, this.opts.platform ?? hostPlatform(), what);
  }

  /** The bytes of a blob, checked against `desc` while they stream. */
  async *blobStream(desc: Descriptor): AsyncGenerator<Uint8Array> {
    const res = await this.get(`blobs/${desc.digest}`, "*/*", `blob "${desc.digest}"`);
    if (!res.body) throw new FetchError(`cannot fetch blob "${desc.digest}": empty response`);
    try {
      yield* verifyStream(bodyChunks(res, "blob", res.url, desc.size), desc.digest, "blob", desc.size);
    } catch (err) {
      if (err instanceof RktError) throw err;
      throw new FetchError(`cannot fetch blob "${desc.digest}": the download broke off`, { cause: err });
    }
  }

  /** A small blob (a config), read whole and checked. */
  async blob(desc: Descriptor, what: string): Promise<Uint8Array> {
    const res = await this.get(`blobs/${desc.digest}`, "*/*", `${what} "${desc.digest}"`);
    const bytes = await documentBody(res, `${what} "${desc.digest}"`);
    checkDigest(bytes, desc.digest, what, desc.size);
    return bytes;
  }

  /** A manifest or index by tag, digest or descriptor; a digest is checked against the bytes. */
  async manifest(ref: string | Descriptor): Promise<{ bytes: Uint8Array; mediaType?: string; digest: string }> {
    const reference = typeof ref === "string" ? ref : ref.digest;
    const res = await this.get(`manifests/${reference}`, MANIFEST_ACCEPT, `manifest "${this.repository}:${reference}"`);
    const bytes = await documentBody(res, `manifest "${this.repository}:${reference}"`);
    const digest = sha256Digest(bytes);
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new VerificationError(`cannot verify manifest "${this.repository}@${reference}": the registry served ${digest}`);
    }
    return { bytes, mediaType: res.headers.get("content-type")?.split(";")[0]?.trim(), digest };
  }

  /** GET `/v2/<repo>/<path>` with auth; after a Bearer challenge (or an expired token) once more with a new token. */
  private async get(path: string, accept: string, what: string): Promise<Response> {
    const base = await this.baseUrl();
    const url = `${base}/v2/${this.repository}/${path}`;
    let res = await this.send(url, accept, what);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
      await res.body?.cancel();
      if (challenge.scheme !== "bearer") {
        throw new FetchError(`cannot fetch ${what}: unauthorized (HTTP 401)${this.opts.credentials ? "" : ", no credentials configured"}`);
      }
      this.token = await this.fetchToken(challenge.params, what);
      res = await this.send(url, accept, what);
    }
    if (!res.ok) {
      const detail = await registryErrorText(res, what);
      throw new FetchError(`cannot fetch ${what}: HTTP ${res.status}${detail ? ` ${detail}` : ""}`);
    }
    return res;
  }

  /**
   * One request, following redirects by hand: credentials go to the registry's own origin only,
   * never to the storage a blob redirects to (signed URLs refuse a second auth mechanism).
   */
  private async send(url: string, accept: string, what: string): Promise<Response> {
    const origin = new URL(url).origin;
    for (let hops = 0; hops < 10; hops++) {
      const headers: Record<string, string> = { accept };
      const auth = new URL(url).origin === origin ? this.authorization() : undefined;
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await withResponseTimeout(what, url, (signal) =>
          fetch(url, { headers, signal, redirect: "manual", tls: { rejectUnauthorized: !this.opts.insecureTls } }),
        );
      } catch (err) {
        if (err instanceof FetchError) throw err;
        throw new FetchError(`cannot fetch ${what} from "${url}"`, { cause: err });
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status > 399 || !location) return res;
      await res.body?.cancel();
      url = new URL(location, url).href;
    }
    throw new FetchError(`cannot fetch ${what}: too many redirects`);
  }

  private authorization(): string | undefined {
    return this.token !== undefined ? `Bearer ${this.token}` : basicAuth(this.opts.credentials);
  }

  private async fetchToken(params: Record<string, string>, what: string): Promise<string> {
    if (!params.realm) throw new FetchError(`cannot fetch ${what}: Bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", params.scope ?? `repository:${this.repository}:pull`);
    const auth = basicAuth(this.opts.credentials);
    const headers: Record<string, string> = auth ? { authorization: auth } : {};
    let res: Response;
    try {
      res = await withResponseTimeout("a registry token", url.href, (signal) =>
        fetch(url, { headers, signal, tls: { rejectUnauthorized: !this.opts.insecureTls } }),
      );
    } catch (err) {
      throw new FetchError(`cannot get a registry token from "${url.origin}${url.pathname}"`, { cause: err });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`cannot get a registry token from "${url.origin}${url.pathname}": HTTP ${res.status}`);
    }
    let body: { token?: string; access_token?: string } = {};
    try {
      body = JSON.parse(new TextDecoder().decode(await documentBody(res, "a registry token")));
    } catch (err) {
      if (err instanceof RktError) throw err; // not JSON: no token, as said below
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new FetchError(`cannot get a registry token from "${url.origin}${url.pathname}": no token in the answer`);
    return token;
  }

  /**
   * `https://host`, or `http://host` when https cannot be reached and http is allowed. A registry
   * answers `/v2/` with 200 or 401 and `Docker-Distribution-API-Version: registry/2.0`.
   */
  private baseUrl(): Promise<string> {
    this.base ??= (async () => {
      const tries = this.opts.http ? ["https", "http"] : ["https"];
      let lastErr: unknown;
      for (const scheme of tries) {
        const base = `${scheme}://${this.registry}`;
        try {
          const res = await this.send(`${base}/v2/`, "application/json", `registry "${this.registry}"`);
          await res.body?.cancel();
          const api = res.headers.get("docker-distribution-api-version");
          if ((res.ok || res.status === 401) && (api === null || api.startsWith("registry/2"))) return base;
          lastErr = new FetchError(`registry "${this.registry}" answered /v2/ with HTTP ${res.status}`);
        } catch (err) {
          lastErr = err;
        }
      }
      throw new FetchError(
        `cannot reach registry "${this.registry}"${this.opts.http ? "" : " over https (plain http needs --insecure-options=http)"}`,
        { cause: lastErr },
      );
    })();
    return this.base;
  }
}

/** A `docker://` reference as an image source (tag or digest, the platform from `opts`). */
export function registrySource(ref: DockerReference, opts: RegistryOptions): ImageSource {
  const client = new RegistryClient(ref.registry, ref.repository, opts);
  let layers: Descriptor[] = [];
  return {
    async resolve() {
      const docs = await client.resolve(ref.digest ?? ref.tag!);
      layers = docs.manifest.layers;
      return {
        origin: { originalName: ref.original, registry: ref.registry, repository: ref.repository, tag: ref.tag },
        config: docs.config,
        configDigest: docs.configDigest,
        manifestDigest: docs.manifestDigest,
        layers: layers.map((l, i) => ({ diffId: docs.config.rootfs.diff_ids[i]!, size: l.size })),
      };
    },
    layer: (i) => client.blobStream(layers[i]!),
  };
}
