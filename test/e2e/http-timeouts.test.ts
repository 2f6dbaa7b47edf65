// A server that stalls must not hang rkt: one that takes the TCP connection and never answers fails
// the fetch when no response came within the timeout, one that stops sending mid-body when no data
// came within it; neither leaves an image or a partial blob in the store (only the resumable
// download, which the next fetch continues). The same for a Docker registry. RKT_HTTP_TIMEOUT_MS
// (core/fetch/http.ts) is 1 s here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild, uncompressedSha512 } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { makeTestCA, rktAsync, startHttpsServer, type TestCA } from "../helpers/https-server.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { requires } from "../helpers/requires.ts";

const TIMEOUT = { RKT_HTTP_TIMEOUT_MS: "1000" };

describe.skipIf(!!requires("actool"))("http timeouts", () => {
  let work: RktContext;
  let ca: TestCA;
  let bytes: Uint8Array;
  let id: string;
  beforeAll(() => {
    work = rktContext("http-timeouts");
    ca = makeTestCA(join(work.tmp, "ca"));
    const noise = join(work.tmp, "noise");
    Bun.spawnSync(["sh", "-c", `head -c 3000000 /dev/urandom > ${noise}`]);
    const aci = actoolBuild(work.tmp, { name: "example.com/app", files: { noise: { copy: noise } } }, join(work.tmp, "app.aci"));
    bytes = readFileSync(aci);
    id = `sha512-${uncompressedSha512(aci).slice(0, 32)}`;
  });
  afterAll(() => work?.[Symbol.dispose]());

  /** `rkt fetch` of `url`, timed. */
  const fetch = async (ctx: RktContext, url: string, env: Record<string, string> = {}, insecure = "image") => {
    const start = performance.now();
    const r = await rktAsync(ctx, [`--insecure-options=${insecure}`, "fetch", url], { env: { NODE_EXTRA_CA_CERTS: ca.caFile, ...TIMEOUT, ...env } });
    return { ...r, seconds: (performance.now() - start) / 1000 };
  };
  const noImages = (ctx: RktContext) => expect(ctx.rkt(["image", "list", "--format=json"]).stdout.trim()).toBe("[]");
  const tmpFiles = (ctx: RktContext) => readdirSync(join(ctx.dir, "cas", "tmp")).sort();

  /** A TCP server that accepts connections and never says a word (under https, not even TLS). */
  function silentServer() {
    const seen = { accepted: 0 };
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void seen.accepted++, data() {} } });
    return { host: `127.0.0.1:${l.port}`, seen, [Symbol.dispose]: () => l.stop(true) };
  }

  test("a port no server listens on: connection refused, in words", async () => {
    using ctx = rktContext("http-timeouts");
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const url = `https://127.0.0.1:${l.port}/app.aci`;
    l.stop(true);
    const r = await fetch(ctx, url);
    expect(r.code).toBe(254);
    expect(r.stderr).toEndWith(`rkt: cannot fetch image "${url}": connection refused\n`);
    noImages(ctx);
  });

  test("a server that accepts the connection and never answers", async () => {
    using ctx = rktContext("http-timeouts");
    using silent = silentServer();
    const url = `https://${silent.host}/app.aci`;
    const r = await fetch(ctx, url);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain(`rkt: cannot fetch image "${url}": no response within 1 s\n`);
    expect(r.seconds).toBeLessThan(10);
    expect(silent.seen.accepted).toBe(1);
    noImages(ctx);
    expect(tmpFiles(ctx)).toEqual([]);
  });

  test("a body that stops mid-way fails after the idle timeout; the next fetch resumes it", async () => {
    using ctx = rktContext("http-timeouts");
    using srv = startHttpsServer({ ca });
    const cut = 1_000_000;
    srv.files.set("/app.aci", { body: bytes, etag: '"v1"', ranges: true, stallAfter: cut });
    const url = `${srv.url}/app.aci`;
    const r = await fetch(ctx, url);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain(`rkt: cannot fetch image "${url}": no data for 1 s after ${cut} bytes`);
    expect(r.seconds).toBeLessThan(10);
    // No image, no partial blob or tree: only the download kept for resuming, with its ETag.
    noImages(ctx);
    expect(tmpFiles(ctx)).toEqual([expect.stringMatching(/^download-[0-9a-f]+$/), expect.stringMatching(/^download-[0-9a-f]+\.etag$/)]);
    expect(readdirSync(join(ctx.dir, "cas", "blob", "sha512"))).toEqual([]);
    expect(readdirSync(join(ctx.dir, "cas", "tree"))).toEqual([]);

    srv.files.set("/app.aci", { body: bytes, etag: '"v1"', ranges: true });
    const again = await fetch(ctx, url, { RKT_HTTP_TIMEOUT_MS: "" });
    expect(again.stdout).toBe(`${id}\n`);
    expect(srv.requests.filter((q) => q.method === "GET").at(-1)!.headers.get("range")).toBe(`bytes=${cut}-`);
    expect(tmpFiles(ctx)).toEqual([]);
  });

  describe("a Docker registry", () => {
    test("that never answers", async () => {
      using ctx = rktContext("http-timeouts");
      using silent = silentServer();
      const r = await fetch(ctx, `docker://${silent.host}/t/app:1.0`);
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(`rkt: cannot reach registry "${silent.host}"`);
      expect(r.stderr).toContain("no response within 1 s");
      expect(r.seconds).toBeLessThan(10);
      noImages(ctx);
    });

    test("whose layer download stops mid-way", async () => {
      using ctx = rktContext("http-timeouts");
      const layer = join(ctx.tmp, "layer");
      mkdirSync(layer);
      writeFileSync(join(layer, "noise"), crypto.getRandomValues(new Uint8Array(60_000)));
      const layout = join(ctx.tmp, "oci");
      const img = writeOciLayout(layout, { layerDirs: [layer], tag: "1.0" });
      const blob = (digest: string) => readFileSync(join(layout, "blobs", "sha256", digest.slice(7)));
      const cut = 5000;
      // Just enough of the Registry v2 API, over plain http, for one image whose layer stalls.
      using registry = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(req) {
          const path = new URL(req.url).pathname;
          if (path === "/v2/") return Response.json({}, { headers: { "docker-distribution-api-version": "registry/2.0" } });
          if (path === "/v2/t/app/manifests/1.0") {
            return new Response(blob(img.manifestDigest), { headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
          }
          const digest = path.replace("/v2/t/app/blobs/", "");
          if (digest !== img.layerDigests[0]) return new Response(blob(digest));
          const body = blob(digest);
          return new Response(new ReadableStream({ start: (c) => c.enqueue(body.subarray(0, cut)) }), {
            headers: { "content-length": String(body.length) },
          });
        },
      });
      const r = await fetch(ctx, `docker://127.0.0.1:${registry.port}/t/app:1.0`, {}, "image,http");
      expect(r.code).toBe(254);
      expect(r.stderr).toMatch(new RegExp(`rkt: .*cannot fetch blob ".*${img.layerDigests[0]}": no data for 1 s after ${cut} of \\d+ bytes`));
      expect(r.seconds).toBeLessThan(10);
      noImages(ctx);
      const layers = join(ctx.dir, "cas", "docker-layers", "sha256");
      expect(existsSync(layers) ? readdirSync(layers) : []).toEqual([]);
    });
  });
});
