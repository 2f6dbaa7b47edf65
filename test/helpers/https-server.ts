// A real HTTPS server for fetch tests (Bun.serve on 127.0.0.1, TLS with a certificate signed on the
// spot by a throwaway CA made with openssl). rkt trusts that CA through NODE_EXTRA_CA_CERTS, which
// the Bun runtime reads at start; discovery reaches the server through RKT_DISCOVERY_PORT (see
// core/fetch/discovery.ts) with names under `localhost/`. Every request is recorded so tests can
// count them; files can carry ETags, Cache-Control, Last-Modified, ranges, auth, 202 deferral and
// a stall mid-body. A server that drops the connection mid-body needs the socket, so
// startDroppingServer is a raw TLS listener (Bun.serve re-frames streamed bodies as chunked).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RktContext, RunResult } from "./context.ts";

export interface TestCA {
  caFile: string;
  /** a certificate + key for 127.0.0.1 and localhost signed by this CA */
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  const p = Bun.spawnSync(["openssl", ...args], { stderr: "pipe", stdout: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${p.stderr.toString()}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA and a server certificate it signed (`selfSigned`: a certificate nobody trusts instead). */
export function makeTestCA(dir: string, opts: { selfSigned?: boolean } = {}): TestCA {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const san = "subjectAltName=IP:127.0.0.1,DNS:localhost";
  if (opts.selfSigned) {
    openssl(["req", "-x509", ...EC, "-keyout", f("self.key"), "-out", f("self.crt"), "-days", "2", "-subj", "/CN=localhost", "-addext", san]);
    return { caFile: f("self.crt"), cert: f("self.crt"), key: f("self.key") };
  }
  openssl(["req", "-x509", ...EC, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=rkt test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", ...EC, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(f("server.ext"), `${san}\n`);
  openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-out", f("server.crt"), "-days", "2", "-extfile", f("server.ext")]);
  return { caFile: f("ca.crt"), cert: f("server.crt"), key: f("server.key") };
}

/** One served file. */
export interface ServedFile {
  body: Uint8Array;
  etag?: string;
  cacheControl?: string;
  lastModified?: string;
  /** answer `Range: bytes=N-` with 206 (and HEAD with Accept-Ranges) */
  ranges?: boolean;
  /** send this many bytes, then hang until the server stops: a download to interrupt */
  stallAfter?: number;
  /** answer 202 until the file at this path has been asked for (a deferred signature, as quay.io did) */
  deferUntilRequested?: string;
}

export interface RecordedRequest {
  method: string;
  /** pathname + search */
  path: string;
  headers: Headers;
}

export type ServerAuth = { type: "basic"; user: string; password: string } | { type: "oauth"; token: string };

export interface HttpsServer extends Disposable {
  port: number;
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** `localhost:PORT`: what auth.d domains must name */
  host: string;
  ca: TestCA;
  files: Map<string, ServedFile>;
  /** discovery pages (answers to `?ac-discovery=1`) by pathname: `/` is the `localhost` prefix */
  pages: Map<string, string>;
  requests: RecordedRequest[];
  /** requests to `path` (pathname, with or without query), optionally of one method */
  count(path: string, method?: string): number;
  /** the environment rkt needs to reach this server: CA and discovery port */
  env(): Record<string, string>;
  stop(): void;
}

/** `<meta>` tags for a discovery page. */
export function metaTags(tags: { discovery?: string[]; pubkeys?: string[] }): string {
  const meta = (name: string, content: string) => `<meta name="${name}" content="${content}">`;
  return `<!DOCTYPE html><html><head>${[
    ...(tags.discovery ?? []).map((c) => meta("ac-discovery", c)),
    ...(tags.pubkeys ?? []).map((c) => meta("ac-discovery-pubkeys", c)),
  ].join("")}</head><body></body></html>`;
}

function authorized(req: Request, auth?: ServerAuth): boolean {
  if (!auth) return true;
  const h = req.headers.get("authorization") ?? "";
  return auth.type === "basic" ? h === `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}` : h === `Bearer ${auth.token}`;
}

/** Starts the server (port 0: any free port). */
export function startHttpsServer(opts: { ca: TestCA; port?: number; auth?: ServerAuth }): HttpsServer {
  const files = new Map<string, ServedFile>();
  const pages = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  let stopped = false;
  const stallers: (() => void)[] = [];

  const serveFile = (req: Request, file: ServedFile): Response => {
    if (file.deferUntilRequested && !requests.some((r) => r.method === "GET" && r.path === file.deferUntilRequested)) {
      return new Response(null, { status: 202 });
    }
    const headers: Record<string, string> = {};
    if (file.etag) headers.etag = file.etag;
    if (file.cacheControl) headers["cache-control"] = file.cacheControl;
    if (file.lastModified) headers["last-modified"] = file.lastModified;
    if (file.ranges) headers["accept-ranges"] = "bytes";
    if (file.etag && req.headers.get("if-none-match") === file.etag) return new Response(null, { status: 304, headers });
    if (req.method === "HEAD") return new Response(null, { headers: { ...headers, "content-length": String(file.body.length) } });
    const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    const ifRange = req.headers.get("if-range");
    if (range && file.ranges && (!ifRange || ifRange === file.etag)) {
      const start = Number(range[1]);
      if (start >= file.body.length) return new Response(null, { status: 416, headers: { "content-range": `bytes */${file.body.length}` } });
      headers["content-range"] = `bytes ${start}-${file.body.length - 1}/${file.body.length}`;
      return new Response(file.body.subarray(start), { status: 206, headers });
    }
    if (file.stallAfter !== undefined) {
      const cut = file.stallAfter;
      const body = new ReadableStream({
        start(c) {
          c.enqueue(file.body.subarray(0, cut));
          stallers.push(() => c.error(new Error("server stopped")));
        },
      });
      return new Response(body, { headers });
    }
    return new Response(file.body, { headers });
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    tls: { cert: readFileSync(opts.ca.cert, "utf8"), key: readFileSync(opts.ca.key, "utf8") },
    fetch(req) {
      const u = new URL(req.url);
      requests.push({ method: req.method, path: u.pathname + u.search, headers: req.headers });
      if (!authorized(req, opts.auth)) return new Response("unauthorized\n", { status: 401 });
      if (u.searchParams.get("ac-discovery") === "1") {
        const page = pages.get(u.pathname);
        return page === undefined ? new Response("not found\n", { status: 404 }) : new Response(page, { headers: { "content-type": "text/html" } });
      }
      const file = files.get(u.pathname);
      return file ? serveFile(req, file) : new Response("not found\n", { status: 404 });
    },
  });
  const port = server.port!;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const s of stallers) s();
    server.stop(true);
  };
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    host: `localhost:${port}`,
    ca: opts.ca,
    files,
    pages,
    requests,
    count: (path, method) => requests.filter((r) => (r.path === path || r.path.split("?")[0] === path) && (!method || r.method === method)).length,
    env: () => ({ NODE_EXTRA_CA_CERTS: opts.ca.caFile, RKT_DISCOVERY_PORT: String(port) }),
    stop,
    [Symbol.dispose]: stop,
  };
}

/**
 * A TLS server that answers every request with `Content-Length: body.length` but only the first
 * `cutAt` bytes, then closes the connection: a server failing mid-body.
 */
export function startDroppingServer(ca: TestCA, body: Uint8Array, cutAt: number): { url: string; stop(): void } & Disposable {
  const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  // What is left to send on each connection; TLS sockets take large writes in parts.
  const pending = new Map<unknown, Uint8Array>();
  const flush = (sock: { write(b: Uint8Array): number; end(): void }) => {
    const left = pending.get(sock);
    if (!left) return;
    const rest = left.subarray(Math.max(0, sock.write(left)));
    pending.set(sock, rest);
    if (rest.length === 0) setTimeout(() => sock.end(), 50);
  };
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(ca.cert, "utf8"), key: readFileSync(ca.key, "utf8") },
    socket: {
      data(sock) {
        if (pending.has(sock)) return;
        pending.set(sock, Buffer.concat([head, body.subarray(0, cutAt)]));
        flush(sock);
      },
      drain: flush,
      close: (sock) => void pending.delete(sock),
    },
  });
  const stop = () => listener.stop(true);
  return { url: `https://127.0.0.1:${listener.port}`, stop, [Symbol.dispose]: stop };
}

/**
 * Runs rkt like ctx.rkt, but without blocking this process: the servers above live in the test's
 * own event loop, which Bun.spawnSync would freeze.
 */
export async function rktAsync(
  ctx: RktContext,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<RunResult> {
  const p = Bun.spawn(ctx.argv(args), {
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
    cwd: ctx.tmp,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

// `bun test/helpers/https-server.ts DIR FILE PORTFILE`: serves FILE at /<its name> over TLS (CA in
// DIR/ca.crt) and writes the port to PORTFILE, until killed. For benchmarks, whose timing loop
// blocks in spawnSync and so cannot host the server in its own process.
if (import.meta.main) {
  const [dir, file, portFile] = process.argv.slice(2) as [string, string, string];
  const srv = startHttpsServer({ ca: makeTestCA(dir) });
  srv.files.set(`/${file.split("/").pop()}`, { body: readFileSync(file) });
  writeFileSync(portFile, String(srv.port));
}
