// `rkt fetch https://…` against a real HTTPS server on 127.0.0.1 (rkt_fetch_test.go: Any,
// NoStoreCacheControl, ResumedFetch, ResumedFetchInvalidCache, DeferredSignatureDownload): the
// signature checked before anything is stored, max-age and ETag caching counted in requests, pull
// policies, TLS and http rules, redirects, resumed downloads and the failures that store nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild, uncompressedSha512 } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { gpgHome, type GpgHome, type GpgKey } from "../helpers/gpg.ts";
import { busyboxAci } from "../helpers/images.ts";
import { makeTestCA, rktAsync, startDroppingServer, startHttpsServer, type HttpsServer, type TestCA } from "../helpers/https-server.ts";
import { requires } from "../helpers/requires.ts";

describe.skipIf(!!requires("gpg", "actool"))("rkt fetch over https", () => {
  let work: RktContext;
  let gpg: GpgHome;
  let key: GpgKey;
  let stranger: GpgKey;
  let ca: TestCA;
  let aci: string;
  let bytes: Uint8Array;
  let id: string;
  beforeAll(() => {
    work = rktContext("fetch-remote");
    gpg = gpgHome();
    key = gpg.genKey("Example ACI Builder <release@example.com>");
    stranger = gpg.genKey("Stranger <stranger@example.org>");
    ca = makeTestCA(join(work.tmp, "ca"));
    // Random content so the image is big enough to be cut in the middle and to show progress.
    const noise = join(work.tmp, "noise");
    Bun.spawnSync(["sh", "-c", `head -c 6000000 /dev/urandom > ${noise}`]);
    aci = actoolBuild(work.tmp, { name: "example.com/app", version: "1.0", files: { noise: { copy: noise }, "etc/motd": "hi\n" } }, join(work.tmp, "app.aci"));
    gpg.sign(key, aci);
    bytes = readFileSync(aci);
    id = `sha512-${uncompressedSha512(aci).slice(0, 32)}`;
  });
  afterAll(() => {
    gpg?.[Symbol.dispose]();
    work?.[Symbol.dispose]();
  });

  /** A server with the signed image at /app.aci (+ .asc); `file` overrides its serving options. */
  const serve = (file: Partial<Parameters<HttpsServer["files"]["set"]>[1]> = {}) => {
    const srv = startHttpsServer({ ca });
    srv.files.set("/app.aci", { body: bytes, ...file });
    srv.files.set("/app.aci.asc", { body: readFileSync(`${aci}.asc`) });
    return srv;
  };
  const trust = async (ctx: RktContext, k: GpgKey = key) =>
    expect((await rktAsync(ctx, ["trust", "--skip-fingerprint-review", "--prefix=example.com/app", k.path])).code).toBe(0);
  const images = (ctx: RktContext) => JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout || "[]") as { id: string }[];
  /** Nothing from a refused fetch may be left in the store or its temp area. */
  const storeEmpty = (ctx: RktContext) => {
    expect(images(ctx)).toEqual([]);
    expect(readdirSync(join(ctx.dir, "cas", "tmp"))).toEqual([]);
  };

  test("signed image: verified and stored; max-age reused without a request, then If-None-Match and 304", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve({ etag: '"v1"', cacheControl: "max-age=2" });
    await trust(ctx);
    const env = srv.env();
    const first = await rktAsync(ctx, ["fetch", `${srv.url}/app.aci`], { env });
    expect(first.stderr).toBe("rkt: signature verified:\n  Example ACI Builder <release@example.com>\n");
    expect(first.stdout).toBe(`${id}\n`);
    expect(first.code).toBe(0);
    expect([srv.count("/app.aci"), srv.count("/app.aci.asc")]).toEqual([1, 1]);
    const second = await rktAsync(ctx, ["--debug", "fetch", `${srv.url}/app.aci`], { env });
    expect(second.stdout).toBe(`${id}\n`);
    expect(second.stderr).toContain(`image for ${srv.url}/app.aci isn't expired, not fetching.`);
    expect([srv.count("/app.aci"), srv.count("/app.aci.asc")]).toEqual([1, 1]);
    await Bun.sleep(2100);
    const third = await rktAsync(ctx, ["--debug", "fetch", `${srv.url}/app.aci`], { env });
    expect(third.stdout).toBe(`${id}\n`);
    expect(third.stderr).toContain("not modified, using the stored one");
    const gets = srv.requests.filter((r) => r.path === "/app.aci");
    expect(gets.map((r) => r.headers.get("if-none-match"))).toEqual([null, '"v1"']);
    // As in rkt the signature comes first, so a revalidation asks for it too (it is not checked again).
    expect(srv.count("/app.aci.asc")).toBe(2);
    expect(images(ctx)).toHaveLength(1);
  });

  test("NoStoreCacheControl: no-store and no-cache revalidate on every fetch", async () => {
    for (const cacheControl of ["no-store", "no-cache", "max-age=0", "max-age=010"]) {
      using ctx = rktContext("fetch-remote");
      using srv = serve({ etag: '"v1"', cacheControl });
      for (let i = 0; i < 3; i++) {
        const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${srv.url}/app.aci`], { env: srv.env() });
        expect(r.stdout).toBe(`${id}\n`);
      }
      expect({ cacheControl, gets: srv.count("/app.aci") }).toEqual({ cacheControl, gets: 3 });
      expect(srv.requests.filter((r) => r.headers.get("if-none-match") === '"v1"')).toHaveLength(2);
    }
  });

  test("Any: pull policies new, update and never for an https URL", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve({ etag: '"v1"' });
    const env = srv.env();
    const url = `${srv.url}/app.aci`;
    const never = await rktAsync(ctx, ["--insecure-options=image", "fetch", "--pull-policy=never", url], { env });
    expect(never.code).toBe(254);
    expect(never.stderr).toContain(`image "${url}" is not in the store (--pull-policy=never)`);
    expect(srv.requests).toEqual([]);
    const fresh = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", "--pull-policy=new", url], { env });
    expect(fresh.stderr).toContain(`remote fetching from URL "${url}"`);
    expect(fresh.stdout).toBe(`${id}\n`);
    for (const policy of ["new", "never"]) {
      const r = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", `--pull-policy=${policy}`, url], { env });
      expect(r.stderr).toContain(`using image from local store for url ${url}`);
      expect(r.stdout).toBe(`${id}\n`);
    }
    expect(srv.count("/app.aci")).toBe(1);
    const update = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", "--pull-policy=update", url], { env });
    expect(update.stderr).toContain(`remote fetching from URL "${url}"`);
    expect(update.stdout).toBe(`${id}\n`);
    expect(srv.count("/app.aci")).toBe(2);
  });

  test("refused signatures store nothing: none served, an untrusted signer, no key at all", async () => {
    using srv = serve();
    srv.files.delete("/app.aci.asc");
    {
      using ctx = rktContext("fetch-remote");
      await trust(ctx);
      const r = await rktAsync(ctx, ["fetch", `${srv.url}/app.aci`], { env: srv.env() });
      expect(r.code).toBe(254);
      expect(r.stderr).toContain("cannot fetch the signature of the image");
      expect(r.stderr).toContain(`"${srv.url}/app.aci.asc": HTTP 404`);
      storeEmpty(ctx);
    }
    srv.files.set("/app.aci.asc", { body: readFileSync(`${aci}.asc`) });
    {
      using ctx = rktContext("fetch-remote");
      await trust(ctx, stranger);
      const r = await rktAsync(ctx, ["fetch", `${srv.url}/app.aci`], { env: srv.env() });
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(`made by key ${key.keyId.toUpperCase()}, which is not trusted for prefix "example.com/app"`);
      storeEmpty(ctx);
    }
    {
      using ctx = rktContext("fetch-remote");
      const r = await rktAsync(ctx, ["fetch", `${srv.url}/app.aci`], { env: srv.env() });
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(`no keys trusted for prefix "example.com/app"`);
      storeEmpty(ctx);
    }
  });

  test("--signature gives the signature of an https image: none is downloaded", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    srv.files.delete("/app.aci.asc");
    await trust(ctx);
    const r = await rktAsync(ctx, ["fetch", `--signature=${aci}.asc`, `${srv.url}/app.aci`], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(r.stderr).toContain("rkt: signature verified:");
    expect(srv.requests.map((q) => q.path)).toEqual(["/app.aci"]);
  });

  test("DeferredSignatureDownload: a 202 for the signature is retried once the image is in", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    srv.files.set("/app.aci.asc", { body: readFileSync(`${aci}.asc`), deferUntilRequested: "/app.aci" });
    await trust(ctx);
    const r = await rktAsync(ctx, ["--debug", "fetch", `${srv.url}/app.aci`], { env: srv.env() });
    expect(r.stderr).toContain("server requested deferring the signature download");
    expect(r.stderr).toContain("rkt: signature verified:\n  Example ACI Builder <release@example.com>\n");
    expect(r.stdout).toBe(`${id}\n`);
    expect(srv.count("/app.aci.asc")).toBe(2);
  });

  test.skipIf(!!requires("root", "busybox"))("DeferredSignatureDownload as rkt ran it: rkt run of an https image", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = startHttpsServer({ ca });
    const bb = join(ctx.tmp, "bb.aci");
    await busyboxAci(bb, { name: "example.com/app/bb", app: { exec: ["/bin/echo", "deferredSignatureDownloadWasSuccessful"] } });
    srv.files.set("/bb.aci", { body: readFileSync(bb) });
    srv.files.set("/bb.aci.asc", { body: Buffer.from(gpg.sign(key, bb)), deferUntilRequested: "/bb.aci" });
    await trust(ctx);
    const r = await rktAsync(ctx, ["--debug", "run", "--net=host", `${srv.url}/bb.aci`], { env: srv.env() });
    expect(r.stderr).toContain("server requested deferring the signature download");
    expect(r.stdout).toContain("deferredSignatureDownloadWasSuccessful");
    expect(r.code).toBe(0);
  });

  test("a deferred signature that does not verify stores nothing", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    const other = actoolBuild(ctx.tmp, { name: "example.com/app", version: "1.0", files: { "etc/motd": "other\n" } }, join(ctx.tmp, "other.aci"));
    srv.files.set("/app.aci.asc", { body: Buffer.from(gpg.sign(key, other)), deferUntilRequested: "/app.aci" });
    await trust(ctx);
    const r = await rktAsync(ctx, ["fetch", `${srv.url}/app.aci`], { env: srv.env() });
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(/bad signature for "example.com\/app"/);
    storeEmpty(ctx);
  });

  test("404, a connection dropped mid-body and a non-ACI body are clear errors that store nothing", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    const missing = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${srv.url}/missing.aci`], { env: srv.env() });
    expect(missing.code).toBe(254);
    expect(missing.stderr).toEndWith(`rkt: cannot fetch image "${srv.url}/missing.aci": HTTP 404 Not Found\n`);
    storeEmpty(ctx);

    using dropping = startDroppingServer(ca, bytes, 1_000_000);
    const cut = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${dropping.url}/app.aci`], { env: srv.env() });
    expect(cut.code).toBe(254);
    expect(cut.stderr).toContain(`cannot fetch image "${dropping.url}/app.aci": connection lost after 1000000 of ${bytes.length} bytes`);
    expect(images(ctx)).toEqual([]);
    // The part that came is kept for a resumed download (and only that: no import work area).
    expect(readdirSync(join(ctx.dir, "cas", "tmp")).filter((n) => !n.startsWith("download-"))).toEqual([]);

    srv.files.set("/page.aci", { body: Buffer.from("<html>not an image</html>") });
    const html = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${srv.url}/page.aci`], { env: srv.env() });
    expect(html.code).toBe(254);
    expect(html.stderr).toMatch(/^rkt: .+/);
    expect(images(ctx)).toEqual([]);
  });

  test("TLS: an untrusted certificate is refused unless --insecure-options=tls; http needs --insecure-options=http", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    const url = `${srv.url}/app.aci`;
    const untrusted = await rktAsync(ctx, ["--insecure-options=image", "fetch", url], { env: { NODE_EXTRA_CA_CERTS: "" } });
    expect(untrusted.code).toBe(254);
    expect(untrusted.stderr).toContain(`cannot fetch image "${url}" (the server's certificate is not trusted; --insecure-options=tls skips the check)`);
    storeEmpty(ctx);
    const skipped = await rktAsync(ctx, ["--insecure-options=image,tls", "fetch", url]);
    expect(skipped.stderr).toContain("TLS verification has been disabled");
    expect(skipped.stdout).toBe(`${id}\n`);

    using plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(bytes) });
    const httpUrl = `http://127.0.0.1:${plain.port}/app.aci`;
    const refused = await rktAsync(ctx, ["--insecure-options=image", "fetch", httpUrl]);
    expect(refused.code).toBe(254);
    expect(refused.stderr).toContain(`cannot fetch image "${httpUrl}": plain http is not allowed (use https, or --insecure-options=http)`);
    const allowed = await rktAsync(ctx, ["--insecure-options=image,http", "fetch", "--pull-policy=update", httpUrl]);
    expect(allowed.stdout).toBe(`${id}\n`);
  });

  test("redirects are followed, but not from https down to http", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    using redirector = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: readFileSync(ca.cert, "utf8"), key: readFileSync(ca.key, "utf8") },
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        const to = path === "/down.aci" ? `http://127.0.0.1:${srv.port}/app.aci` : `${srv.url}${path.replace("/old", "/app")}`;
        return new Response(null, { status: 302, headers: { location: to } });
      },
    });
    const base = `https://127.0.0.1:${redirector.port}`;
    await trust(ctx);
    const r = await rktAsync(ctx, ["fetch", `${base}/old.aci`], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    // The signature is looked for beside the URL asked for, and redirected the same way.
    expect([srv.count("/app.aci"), srv.count("/app.aci.asc")]).toEqual([1, 1]);
    const down = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${base}/down.aci`], { env: srv.env() });
    expect(down.code).toBe(254);
    expect(down.stderr).toContain("plain http is not allowed");
  });

  /** Starts `rkt fetch` of a download that stalls at `cut` bytes and kills it once those are on disk. */
  const interruptedFetch = async (ctx: RktContext, srv: HttpsServer, cut: number) => {
    const p = Bun.spawn(ctx.argv(["--insecure-options=image", "fetch", `${srv.url}/app.aci`]), { env: { ...process.env, ...srv.env() }, stdout: "ignore", stderr: "ignore" });
    const tmp = join(ctx.dir, "cas", "tmp");
    const partial = () => (existsSync(tmp) ? readdirSync(tmp) : []).find((n) => /^download-[0-9a-f]+$/.test(n));
    for (let i = 0; i < 400; i++) {
      const name = partial();
      if (name && statSync(join(tmp, name)).size >= cut) break;
      await Bun.sleep(25);
    }
    p.kill("SIGKILL");
    await p.exited;
    expect(statSync(join(tmp, partial()!)).size).toBe(cut);
  };

  test("ResumedFetch: a killed download continues from where it stopped", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve({ etag: '"v1"', ranges: true, stallAfter: Math.floor(bytes.length / 2) });
    const cut = Math.floor(bytes.length / 2);
    await interruptedFetch(ctx, srv, cut);
    expect(images(ctx)).toEqual([]);
    srv.files.set("/app.aci", { body: bytes, etag: '"v1"', ranges: true });
    const r = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", `${srv.url}/app.aci`], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(r.stderr).toContain(`resuming the download of ${srv.url}/app.aci at byte ${cut}`);
    const last = srv.requests.filter((q) => q.method === "GET").at(-1)!;
    expect([last.headers.get("range"), last.headers.get("if-range")]).toEqual([`bytes=${cut}-`, '"v1"']);
    expect(srv.count("/app.aci", "HEAD")).toBe(1);
    expect(images(ctx)).toHaveLength(1);
    expect(readdirSync(join(ctx.dir, "cas", "tmp"))).toEqual([]);
  });

  test("ResumedFetchInvalidCache: a changed resource (or no range support) starts over", async () => {
    for (const change of [{ etag: '"v2"', ranges: true }, { etag: '"v1"', ranges: false }]) {
      using ctx = rktContext("fetch-remote");
      using srv = serve({ etag: '"v1"', ranges: true, stallAfter: 1_000_000 });
      await interruptedFetch(ctx, srv, 1_000_000);
      srv.files.set("/app.aci", { body: bytes, ...change });
      const r = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", `${srv.url}/app.aci`], { env: srv.env() });
      expect(r.stdout).toBe(`${id}\n`);
      expect(r.stderr).toContain(change.ranges ? "resource updated" : "range request unsupported");
      const last = srv.requests.filter((q) => q.method === "GET").at(-1)!;
      expect(last.headers.get("range")).toBeNull();
      expect(readdirSync(join(ctx.dir, "cas", "tmp"))).toEqual([]);
    }
  });

  test("image gc removes partial downloads left by interrupted fetches", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve({ etag: '"v1"', ranges: true, stallAfter: 1_000_000 });
    await interruptedFetch(ctx, srv, 1_000_000);
    const tmp = join(ctx.dir, "cas", "tmp");
    expect(readdirSync(tmp).some((n) => n.startsWith("download-"))).toBe(true);
    expect(ctx.rkt(["image", "gc"]).stdout).not.toContain("partial download");
    const r = ctx.rkt(["image", "gc", "--grace-period=0s"]);
    expect(r.stdout).toContain('removed partial download "download-');
    expect(readdirSync(tmp).filter((n) => n.startsWith("download-"))).toEqual([]);
  });

  test("progress on a terminal shows the download against its Content-Length", async () => {
    using ctx = rktContext("fetch-remote");
    using srv = serve();
    const env = Object.entries(srv.env()).map(([k, v]) => `${k}='${v}'`).join(" ");
    const cmd = `env ${env} ${ctx.argv(["--insecure-options=image", "fetch", `${srv.url}/app.aci`]).map((a) => `'${a}'`).join(" ")}`;
    const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    expect(out).toContain("Downloading ACI: [");
    expect(out).toMatch(new RegExp(`/${(bytes.length / 2 ** 20).toFixed(1).replace(".", "\\.")} MiB`));
    expect(out).toContain(id);
  });
});
