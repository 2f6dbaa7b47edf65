// Resumable downloads (rkt's resumablesession.go and its `<file>.etag` sidecar): the raw bytes of an
// image download are kept in `cas/tmp/download-<hash of URL>` while they stream on to the importer,
// with the response's ETag beside them. When a download is cut (connection lost, process killed),
// the next fetch of that URL asks with HEAD whether the resource is unchanged (same ETag, or
// Last-Modified before the partial file) and ranges are served, then requests only the rest
// (Range + If-Range); anything else starts over. One flock per URL keeps two fetches apart.
import { closeSync, fstatSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FetchError } from "../errors.ts";
import { lock, type FileLock } from "../lock.ts";
import { diag } from "../log.ts";
import { maxAgeOf } from "./cache.ts";
import { bodyChunks, ConnectionError, contentLength, expectStatus, httpRequest, type HttpOptions } from "./http.ts";

/** An opened image download. Dispose it; call complete() once its bytes are safely imported. */
export interface Download extends Disposable {
  /** the server answered 304 to If-None-Match: the stored image is current */
  readonly notModified: boolean;
  /** ETag and max-age for the store's remote row */
  readonly etag: string;
  readonly maxAge: number;
  /** the whole size, when the server said */
  readonly total?: number;
  /** bytes that were on disk from an interrupted download and are not downloaded again */
  readonly resumedFrom: number;
  /** the raw download (complete once chunks() has ended) */
  readonly path: string;
  /** every byte of the image in order: the kept part first, then the network (read once) */
  chunks(): AsyncIterable<Uint8Array>;
  /** the bytes are in the store: the kept download is not needed any more */
  complete(): void;
}

/** Locks the download file of a URL; retries when the file was replaced while waiting. */
async function lockDownload(path: string): Promise<FileLock> {
  for (;;) {
    const held = await lock(path, { create: true });
    const st = statSync(path, { throwIfNoEntry: false });
    if (st && st.ino === fstatSync(held.fd).ino) return held;
    held.release();
  }
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

function readSidecar(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** rkt's verifyAcceptRange: may the kept bytes be continued? */
async function canResume(url: string, http: HttpOptions, path: string, savedEtag: string | undefined): Promise<boolean> {
  const res = await httpRequest(url, http, { method: "HEAD", what: "image" });
  await res.body?.cancel();
  if (res.status !== 200) {
    diag(`cannot use cached partial download: HEAD answered HTTP ${res.status}`);
    return false;
  }
  const ranges = (res.headers.get("accept-ranges") ?? "").split(",").map((r) => r.trim());
  const lastModified = Date.parse(res.headers.get("last-modified") ?? "");
  const etag = res.headers.get("etag");
  const unchanged = (etag !== null && etag === savedEtag) || lastModified < statSync(path).mtimeMs;
  if (!ranges.includes("bytes")) diag("cannot use cached partial download, range request unsupported.");
  else if (!unchanged) diag("cannot use cached partial download, resource updated.");
  return ranges.includes("bytes") && unchanged;
}

/** `bytes 100-199/1000` → 100 and 1000 (total undefined for `*`). */
function contentRange(res: Response): { start: number; total?: number } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
  return m ? { start: Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) } : undefined;
}

/**
 * Starts downloading the image at `url` into `casTmp`, continuing an interrupted download of the
 * same URL when the server allows. `etag` is the stored image's, sent as If-None-Match.
 * Errors are FetchErrors; a ConnectionError keeps the partial download for the next attempt.
 */
export async function openDownload(casTmp: string, url: string, http: HttpOptions, opts: { etag?: string } = {}): Promise<Download> {
  const path = join(casTmp, `download-${new Bun.CryptoHasher("sha256").update(url).digest("hex").slice(0, 32)}`);
  const etagPath = `${path}.etag`;
  const held = await lockDownload(path);
  let completed = false;
  let lost = false;
  let response: Response | undefined;
  let reading = false;
  const discard = () => {
    rmSync(path, { force: true });
    rmSync(etagPath, { force: true });
  };
  const dispose = () => {
    // Keep only what can be resumed: bytes that came before the connection was lost.
    if (!completed && !(lost && fileSize(path) > 0)) discard();
    // A body nobody read (a refused signature, say) must not hold its connection open.
    if (!reading) response?.body?.cancel().catch(() => {});
    held.release();
  };

  try {
    let from = fileSize(path);
    const savedEtag = readSidecar(etagPath);
    if (from > 0 && !(await canResume(url, http, path, savedEtag))) {
      discard();
      from = 0;
    }
    const request = (start: number) => {
      const headers: Record<string, string> = {};
      if (opts.etag) headers["if-none-match"] = opts.etag;
      if (start > 0) {
        headers.range = `bytes=${start}-`;
        // If-Range takes strong validators only; without one the HEAD check above has to do.
        if (savedEtag && !savedEtag.startsWith("W/")) headers["if-range"] = savedEtag;
      }
      return httpRequest(url, http, { headers, what: "image" });
    };
    let res = await request(from);
    if (res.status === 416 && from > 0) {
      await res.body?.cancel();
      discard();
      from = 0;
      res = await request(0);
    }
    response = res;
    const notModified = res.status === 304;
    let total: number | undefined;
    if (notModified) {
      await res.body?.cancel();
    } else if (res.status === 206 && from > 0 && contentRange(res)?.start === from) {
      diag(`resuming the download of ${url} at byte ${from}`);
      const length = contentLength(res);
      total = contentRange(res)?.total ?? (length === undefined ? undefined : from + length);
    } else {
      await expectStatus(res, "image", url);
      from = 0;
      total = contentLength(res);
    }
    const etag = res.headers.get("etag") ?? "";
    if (!notModified) {
      if (etag) writeFileSync(etagPath, etag);
      else rmSync(etagPath, { force: true });
    }
    const start = from;
    return {
      notModified,
      etag,
      maxAge: maxAgeOf(res.headers.get("cache-control")),
      total,
      resumedFrom: start,
      path,
      async *chunks() {
        reading = true;
        if (start > 0) yield* Bun.file(path).slice(0, start).stream();
        const fd = openSync(path, start > 0 ? "r+" : "w");
        let pos = start;
        try {
          const rest = total === undefined ? undefined : total - start;
          for await (const chunk of bodyChunks(res, "image", url, rest)) {
            for (let off = 0; off < chunk.length; ) {
              const n = writeSync(fd, chunk, off, chunk.length - off, pos);
              off += n;
              pos += n;
            }
            yield chunk;
          }
        } catch (err) {
          if (err instanceof ConnectionError) lost = true;
          throw err;
        } finally {
          closeSync(fd);
        }
      },
      complete() {
        completed = true;
        discard();
      },
      [Symbol.dispose]: dispose,
    };
  } catch (err) {
    if (err instanceof ConnectionError) lost = true;
    dispose();
    if (err instanceof FetchError) throw err;
    throw new FetchError(`cannot download image "${url}"`, { cause: err });
  }
}
