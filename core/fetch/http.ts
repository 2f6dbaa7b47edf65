// HTTP(S) requests for images, signatures, keys and discovery pages (rkt's httpops/resumablesession
// client and appc's discovery client): TLS verified unless --insecure-options=tls (extra CAs come
// from NODE_EXTRA_CA_CERTS, which the Bun runtime reads at start), plain http only with
// --insecure-options=http, redirects followed by hand so each hop gets only its own host's auth.d
// credentials and an https→http downgrade is refused like any other http URL. A server that takes
// the connection but never answers, or stops sending mid-body, is given up after 30 s (Go's dial
// timeout in the transport rkt used); `RKT_HTTP_TIMEOUT_MS` overrides that, a hook for tests.
import type { AuthConfig } from "../config/auth.ts";
import { authHeaders } from "../config/auth.ts";
import { FetchError } from "../errors.ts";
import { rktVersion } from "../version.ts";

/** How requests may be made (from the global --insecure-options and auth.d). */
export interface HttpOptions {
  /** skip certificate verification (--insecure-options=tls) */
  insecureTls?: boolean;
  /** allow plain http URLs (--insecure-options=http) */
  allowHttp?: boolean;
  /** auth.d credentials */
  auth?: AuthConfig;
}

export interface RequestInit {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** what is being fetched, for messages: "image", "signature", "key", "discovery page" */
  what: string;
}

/** No response, or a response cut short: what a retry or a resumed download may get past. */
export class ConnectionError extends FetchError {}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * How long a request may wait for its connection and response headers, and a body for its next
 * bytes: 30 s, or `RKT_HTTP_TIMEOUT_MS` (for tests, whose stalling servers should fail in a second).
 */
export function httpTimeoutMs(): number {
  const v = process.env.RKT_HTTP_TIMEOUT_MS;
  return v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : DEFAULT_TIMEOUT_MS;
}

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * `send(signal)`, a fetch, aborted with a ConnectionError when no response headers came within
 * httpTimeoutMs(). Other failures are passed on for the caller to name.
 */
export async function withResponseTimeout(what: string, url: string, send: (signal: AbortSignal) => Promise<Response>): Promise<Response> {
  const ms = httpTimeoutMs();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await send(abort.signal);
  } catch (err) {
    // the abort is ours: as a cause it would only say "The operation was aborted"
    if (abort.signal.aborted) throw new ConnectionError(`cannot fetch ${what} "${url}": no response within ${seconds(ms)}`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Connection failures said in words, in place of Bun's messages ("ECONNREFUSED: Unable to connect. Is the computer able to access the url?"). */
const CONNECT_FAILURES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** The code of a failed request's error (ofetch wraps the fetch error: its code is on the cause). */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return String(e?.code ?? e?.cause?.code ?? "");
}

/** A hint for the TLS failures a user can do something about. */
function tlsHint(code: string): string {
  return /CERT|VERIFY|SELF_SIGNED|ISSUER|HOSTNAME|ALTNAME/i.test(code) ? " (the server's certificate is not trusted; --insecure-options=tls skips the check)" : "";
}

/** Throws unless `url` is http(s) and allowed by the options. */
export function checkScheme(url: URL, opts: HttpOptions, what: string): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:") {
    if (opts.allowHttp) return;
    throw new FetchError(`cannot fetch ${what} "${url.href}": plain http is not allowed (use https, or --insecure-options=http)`);
  }
  throw new FetchError(`cannot fetch ${what} "${url.href}": expected an http or https URL`);
}

/**
 * One request, following up to 10 redirects. Resolves with the final response whatever its status
 * (callers decide what a 202, 304 or 404 means); rejects with a FetchError when no response came.
 */
export async function httpRequest(url: string | URL, opts: HttpOptions, init: RequestInit): Promise<Response> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    checkScheme(current, opts, init.what);
    // identity: Range offsets and lengths must be those of the file, never of a re-encoding.
    const method = init.method ?? "GET";
    const headers: Record<string, string> = { "user-agent": `rkt/${rktVersion()}`, "accept-encoding": "identity", ...init.headers };
    // last: an aws signature covers the other headers
    Object.assign(headers, authHeaders(opts.auth, { method, url: current, headers }));
    const href = current.href;
    let res: Response;
    try {
      // ofetch (the client's HTTP library), kept to a plain request: no retries, no status errors, the
      // body as a stream, redirects by hand; `tls` passes through to Bun's fetch underneath.
      const { ofetch } = await import("ofetch");
      res = await withResponseTimeout(init.what, href, (signal) =>
        ofetch.raw(href, {
          method,
          headers,
          signal,
          redirect: "manual",
          responseType: "stream",
          ignoreResponseError: true,
          retry: 0,
          tls: { rejectUnauthorized: !opts.insecureTls },
        } as Parameters<typeof ofetch.raw>[1]),
      );
    } catch (cause) {
      if (cause instanceof ConnectionError) throw cause;
      const code = errorCode(cause);
      // a reason in words says all; Bun's error stays the cause otherwise (--debug shows it)
      if (CONNECT_FAILURES[code]) throw new ConnectionError(`cannot fetch ${init.what} "${href}": ${CONNECT_FAILURES[code]}`);
      throw new ConnectionError(`cannot fetch ${init.what} "${href}"${tlsHint(code)}`, { cause });
    }
    const location = res.headers.get("location");
    if (!REDIRECTS.has(res.status) || !location) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new FetchError(`cannot fetch ${init.what} "${url}": more than ${MAX_REDIRECTS} redirects`);
    current = new URL(location, current);
  }
}

/** Throws a FetchError naming the status unless `res` is one of `ok` (default 200). */
export async function expectStatus(res: Response, what: string, url: string, ok: number[] = [200]): Promise<void> {
  if (ok.includes(res.status)) return;
  await res.body?.cancel();
  throw new FetchError(`cannot fetch ${what} "${url}": HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`);
}

/**
 * The body of `res` as chunks; a connection lost before Content-Length bytes arrived is a
 * ConnectionError saying how far it got (Bun reports ECONNRESET; a short clean close is caught
 * too), and so is a body that sends nothing for httpTimeoutMs() while it is being read.
 */
export async function* bodyChunks(res: Response, what: string, url: string, expected?: number): AsyncIterable<Uint8Array> {
  const ms = httpTimeoutMs();
  const progress = (got: number) => `${got}${expected ? ` of ${expected}` : ""} bytes`;
  let got = 0;
  const reader = res.body?.getReader();
  let ended = !reader;
  try {
    while (reader && !ended) {
      let timer: Timer | undefined;
      const idle = new Promise<"idle">((resolve) => (timer = setTimeout(() => resolve("idle"), ms)));
      let r: Awaited<ReturnType<typeof reader.read>> | "idle";
      try {
        r = await Promise.race([reader.read(), idle]);
      } catch (cause) {
        throw new ConnectionError(`cannot fetch ${what} "${url}": connection lost after ${progress(got)}`, { cause });
      } finally {
        clearTimeout(timer);
      }
      if (r === "idle") throw new ConnectionError(`cannot fetch ${what} "${url}": no data for ${seconds(ms)} after ${progress(got)}`);
      ended = r.done;
      if (r.value) {
        got += r.value.length;
        yield r.value;
      }
    }
  } finally {
    // stopped early, stalled or failed: close the connection
    if (!ended) reader?.cancel().catch(() => {});
  }
  if (expected !== undefined && got < expected) {
    throw new ConnectionError(`cannot fetch ${what} "${url}": connection closed after ${progress(got)}`);
  }
}

/** A small body read whole (signatures, keys, discovery pages), refused beyond `limit` bytes. */
export async function smallBody(res: Response, what: string, url: string, limit = 4 * 2 ** 20): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of bodyChunks(res, what, url)) {
    size += chunk.length;
    if (size > limit) {
      await res.body?.cancel().catch(() => {});
      throw new FetchError(`cannot fetch ${what} "${url}": larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** GET a small document that must answer 200. */
export async function getSmall(url: string, opts: HttpOptions, what: string): Promise<Uint8Array> {
  const res = await httpRequest(url, opts, { what });
  await expectStatus(res, what, url);
  return smallBody(res, what, url);
}

/** Content-Length of a response, when it gave a valid one. */
export function contentLength(res: Response): number | undefined {
  const v = res.headers.get("content-length");
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}
