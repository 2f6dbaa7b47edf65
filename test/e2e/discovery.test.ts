// Fetching by appc name through meta discovery against a real HTTPS server (rkt_fetch_test.go
// DifferentDiscoveryLabels, rkt_image_dependencies_test.go ImageDependencies/RenderOnFetch, the
// trust scenarios with discovered keys). Names live under `localhost/`, which resolves to 127.0.0.1;
// the server's port reaches rkt through RKT_DISCOVERY_PORT (appc discovery's port argument), and
// one test runs on port 443 without it when that port can be bound here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild, uncompressedSha512, type ActoolImage } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { gpgHome, type GpgHome, type GpgKey } from "../helpers/gpg.ts";
import { makeTestCA, metaTags, rktAsync, startHttpsServer, type HttpsServer, type TestCA } from "../helpers/https-server.ts";
import { requires } from "../helpers/requires.ts";

/** Whether this process may listen on 127.0.0.1:443 (root, and nobody else there). */
function port443Free(): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port: 443, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!!requires("gpg", "actool"))("rkt fetch by name (appc discovery)", () => {
  let work: RktContext;
  let gpg: GpgHome;
  let key: GpgKey;
  let ca: TestCA;
  const built = new Map<string, { path: string; id: string }>();
  beforeAll(() => {
    work = rktContext("discovery");
    gpg = gpgHome();
    key = gpg.genKey("Example ACI Builder <release@example.com>");
    ca = makeTestCA(join(work.tmp, "ca"));
  });
  afterAll(() => {
    gpg?.[Symbol.dispose]();
    work?.[Symbol.dispose]();
  });

  /** A signed ACI (built once per distinct image). */
  const image = (img: ActoolImage): { path: string; id: string; bytes: Uint8Array; asc: Uint8Array } => {
    const k = JSON.stringify(img);
    let b = built.get(k);
    if (!b) {
      const path = actoolBuild(work.tmp, img, join(work.tmp, `img-${built.size}.aci`));
      gpg.sign(key, path);
      b = { path, id: `sha512-${uncompressedSha512(path).slice(0, 32)}` };
      built.set(k, b);
    }
    return { ...b, bytes: readFileSync(b.path), asc: readFileSync(`${b.path}.asc`) };
  };
  /** Serves `img` at `path` (+ `.asc`). */
  const put = (srv: HttpsServer, path: string, img: ActoolImage) => {
    const i = image(img);
    srv.files.set(path, { body: i.bytes });
    srv.files.set(`${path}.asc`, { body: i.asc });
    return i;
  };
  const app: ActoolImage = { name: "localhost/example/app", version: "1.0", files: { "etc/motd": "hi\n" } };
  const template = (srv: HttpsServer, prefix = "localhost/example") => `${prefix} https://localhost:${srv.port}/{name}-{version}-{os}-{arch}.{ext}`;
  const trust = async (ctx: RktContext, prefix = "localhost/example") =>
    expect((await rktAsync(ctx, ["trust", "--skip-fingerprint-review", `--prefix=${prefix}`, key.path])).code).toBe(0);
  const images = (ctx: RktContext) => JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout || "[]") as { id: string; name: string }[];

  test("a name with a version: template rendered with version, os and arch; signature from the .aci.asc URL", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/example/app", metaTags({ discovery: [template(srv)] }));
    const { id } = put(srv, "/localhost/example/app-1.0-linux-amd64.aci", app);
    await trust(ctx);
    const r = await rktAsync(ctx, ["--debug", "fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(r.stderr).toContain(`remote fetching from URL "https://localhost:${srv.port}/localhost/example/app-1.0-linux-amd64.aci"`);
    expect(r.stderr).toContain("rkt: signature verified:\n  Example ACI Builder <release@example.com>\n");
    expect(srv.requests.map((q) => q.path)).toEqual([
      "/example/app?ac-discovery=1",
      "/localhost/example/app-1.0-linux-amd64.aci.asc",
      "/localhost/example/app-1.0-linux-amd64.aci",
    ]);
    // The default pull policy of fetch is update: discovery again. With new, the store answers.
    const again = await rktAsync(ctx, ["--debug", "fetch", "--pull-policy=new", "localhost/example/app:1.0"], { env: srv.env() });
    expect(again.stdout).toBe(`${id}\n`);
    expect(again.stderr).toContain("using image from local store for image name localhost/example/app:1.0");
    expect(srv.requests).toHaveLength(3);
  });

  test("without a version: {version} is latest, and the image is marked latest in the store", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/example/app", metaTags({ discovery: [template(srv)] }));
    const { id } = put(srv, "/localhost/example/app-latest-linux-amd64.aci", app);
    const pinned = put(srv, "/localhost/example/app-1.0-linux-amd64.aci", app);
    expect(pinned.id).toBe(id);
    await trust(ctx);
    const withVersion = await rktAsync(ctx, ["fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(withVersion.stdout).toBe(`${id}\n`);
    expect(ctx.rkt(["image", "list", "--fields=name,latest", "--no-legend"]).stdout).toMatch(/^localhost\/example\/app:1\.0\s+false\n$/);
    const r = await rktAsync(ctx, ["fetch", "localhost/example/app"], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(srv.count("/localhost/example/app-latest-linux-amd64.aci")).toBe(1);
    expect(ctx.rkt(["image", "list", "--fields=name,latest", "--no-legend"]).stdout).toMatch(/^localhost\/example\/app:1\.0\s+true\n$/);
  });

  test("walks up the name's path; tags for other prefixes, without {ext} or with unknown variables are skipped", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/example", "<html><head><title>no tags here</title></head></html>");
    srv.pages.set(
      "/",
      metaTags({
        discovery: [
          `localhost/other https://localhost:${srv.port}/wrong/{name}.{ext}`,
          `localhost https://localhost:${srv.port}/noext/{name}.aci`,
          `localhost https://localhost:${srv.port}/{channel}/{name}.{ext}`,
          `localhost https://localhost:${srv.port}/{name}-{version}.{ext}`,
        ],
      }),
    );
    const { id } = put(srv, "/localhost/example/app-1.0.aci", app);
    const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(srv.requests.map((q) => q.path)).toEqual([
      "/example/app?ac-discovery=1",
      "/example?ac-discovery=1",
      "/?ac-discovery=1",
      "/localhost/example/app-1.0.aci",
    ]);
    // Other labels fill their own variables.
    srv.files.set("/beta/localhost/example/app.aci", { body: readFileSync(image(app).path) });
    const beta = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", "localhost/example/app,channel=beta,version=1.0"], { env: srv.env() });
    expect(beta.stderr).toContain(`remote fetching from URL "https://localhost:${srv.port}/beta/localhost/example/app.aci"`);
    expect(beta.code).toBe(254);
    expect(beta.stderr).toContain(`requested label "channel" not provided by the image manifest`);
  });

  test("DifferentDiscoveryLabels: what was asked for must be what came, else nothing is stored", async () => {
    using srv = startHttpsServer({ ca });
    srv.pages.set("/", metaTags({ discovery: [`localhost https://localhost:${srv.port}/{name}.{ext}`] }));
    put(srv, "/localhost/example/app.aci", { ...app, version: "1.2.0" });
    put(srv, "/localhost/example/impostor.aci", { ...app, version: "1.2.0" });
    const cases: [string, string][] = [
      ["localhost/example/app:2.0", `requested value for label "version": "2.0" differs from fetched aci label value: "1.2.0"`],
      ["localhost/example/app:latest", `requested value for label "version": "latest" differs from fetched aci label value: "1.2.0"`],
      ["localhost/example/app,arch=armv7b", `requested value for label "arch": "armv7b" differs from fetched aci label value: "amd64"`],
      ["localhost/example/app,unexistinglabel=bla", `requested label "unexistinglabel" not provided by the image manifest`],
      ["localhost/example/impostor", `cannot fetch image "localhost/example/impostor": the image is named "localhost/example/app"`],
    ];
    for (const [name, message] of cases) {
      using ctx = rktContext("discovery");
      await trust(ctx);
      const r = await rktAsync(ctx, ["fetch", name], { env: srv.env() });
      expect({ name, code: r.code }).toEqual({ name, code: 254 });
      expect(r.stderr).toContain(message);
      expect(images(ctx)).toEqual([]);
    }
  });

  test("discovery failures: pages without meta tags store nothing; an http discovery server is used only with --insecure-options=http", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/", "<html><body>hello</body></html>");
    const none = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/example/app"], { env: srv.env() });
    expect(none.code).toBe(254);
    expect(none.stderr).toContain(`cannot discover image "localhost/example/app": localhost/example/app: cannot fetch discovery page`);
    expect(none.stderr).toContain("localhost: no usable ac-discovery meta tag");
    expect(images(ctx)).toEqual([]);

    // A plain http discovery server on the discovery port: reached only when http is allowed.
    put(srv, "/localhost/example/app-1.0-linux-amd64.aci", app);
    using plain = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => new Response(new URL(req.url).pathname === "/" ? metaTags({ discovery: [template(srv, "localhost")] }) : "no", { status: new URL(req.url).pathname === "/" ? 200 : 404 }),
    });
    const env = { ...srv.env(), RKT_DISCOVERY_PORT: String(plain.port) };
    const refused = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/example/app:1.0"], { env });
    expect(refused.code).toBe(254);
    expect(refused.stderr).toContain(`cannot discover image "localhost/example/app"`);
    const allowed = await rktAsync(ctx, ["--insecure-options=image,http", "fetch", "localhost/example/app:1.0"], { env });
    expect(allowed.stdout).toBe(`${image(app).id}\n`);
  });

  test("ImageDependencies and RenderOnFetch: dependencies found in the store or by discovery, tree rendered at fetch", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/", metaTags({ discovery: [`localhost https://localhost:${srv.port}/{name}.{ext}`] }));
    const dep = (name: string, version?: string) => ({ imageName: name, ...(version ? { labels: [{ name: "version", value: version }] } : {}) });
    const img = (n: string, deps: object[], file: string): ActoolImage => ({
      name: `localhost/image-${n}`,
      version: "1",
      files: { [file]: `${n}\n` },
      manifest: deps.length ? { dependencies: deps } : {},
    });
    // rkt issue #1752: A→B,C,D; C→B,E:1; D→B,E:1; E→example.com/base (in the store, as B).
    const base = actoolBuild(ctx.tmp, { name: "example.com/base", version: "1", files: { "base.txt": "base\n" } }, join(ctx.tmp, "base.aci"));
    const b = image(img("b", [], "b.txt"));
    for (const f of [base, b.path]) expect((await rktAsync(ctx, ["--insecure-options=image", "fetch", f])).code).toBe(0);
    put(srv, "/localhost/image-a.aci", img("a", [dep("localhost/image-b"), dep("localhost/image-c"), dep("localhost/image-d")], "a.txt"));
    put(srv, "/localhost/image-c.aci", img("c", [dep("localhost/image-b"), dep("localhost/image-e", "1")], "c.txt"));
    put(srv, "/localhost/image-d.aci", img("d", [dep("localhost/image-b"), dep("localhost/image-e", "1")], "d.txt"));
    put(srv, "/localhost/image-e.aci", img("e", [dep("example.com/base")], "e.txt"));
    const r = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", "localhost/image-a"], { env: srv.env() });
    expect(r.code).toBe(0);
    for (const n of ["a", "c", "d", "e"]) expect(r.stderr).toContain(`fetching image from https://localhost:${srv.port}/localhost/image-${n}.aci`);
    expect(srv.count("/localhost/image-b.aci")).toBe(0);
    expect(srv.count("/localhost/image-e.aci")).toBe(1);
    expect(images(ctx).map((i) => i.name).sort()).toEqual(["example.com/base:1", ...["a", "b", "c", "d", "e"].map((n) => `localhost/image-${n}:1`)]);
    // The top image's tree holds every layer's files (rendered at fetch, no run needed).
    const trees = readdirSync(join(ctx.dir, "cas", "tree")).map((t) => join(ctx.dir, "cas", "tree", t, "rootfs"));
    expect(trees.some((t) => ["a", "b", "c", "d", "e", "base"].every((f) => existsSync(join(t, `${f}.txt`))))).toBe(true);
  });

  test("rkt trust --prefix without a key: discovered key shown and asked for; refused, accepted, or taken over https with --trust-keys-from-https", async () => {
    using srv = startHttpsServer({ ca });
    srv.pages.set("/example", metaTags({ pubkeys: [`localhost/example https://localhost:${srv.port}/keys/example.asc`] }));
    srv.files.set("/keys/example.asc", { body: Buffer.from(key.armored) });
    const keyUrl = `https://localhost:${srv.port}/keys/example.asc`;
    const stored = (ctx: RktContext) => join(ctx.localConfig, "trustedkeys/prefix.d/localhost/example", key.fingerprint);
    {
      using ctx = rktContext("discovery");
      const no = await rktAsync(ctx, ["trust", "--prefix=localhost/example"], { env: srv.env(), stdin: "no\n" });
      expect(no.code).toBe(254);
      expect(no.stdout).toContain(`Prefix: "localhost/example"\nKey: "${keyUrl}"\nGPG key fingerprint is: `);
      expect(no.stdout).toContain("\tExample ACI Builder <release@example.com>\nAre you sure you want to trust this key (yes/no)? ");
      expect(no.stderr).toBe(`rkt: not trusting "${keyUrl}"\n`);
      expect(existsSync(join(ctx.localConfig, "trustedkeys"))).toBe(false);
      const yes = await rktAsync(ctx, ["trust", "--prefix=localhost/example"], { env: srv.env(), stdin: "yes\n" });
      expect(yes.code).toBe(0);
      expect(yes.stdout).toContain(`Trusting "${keyUrl}" for prefix "localhost/example" after fingerprint review.`);
      expect(readFileSync(stored(ctx), "utf8")).toBe(key.armored);
    }
    {
      using ctx = rktContext("discovery");
      const r = await rktAsync(ctx, ["--trust-keys-from-https", "trust", "--prefix=localhost/example"], { env: srv.env() });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("Are you sure");
      expect(r.stdout).toContain(`Trusting "${keyUrl}" for prefix "localhost/example" without fingerprint review.`);
      expect(existsSync(stored(ctx))).toBe(true);
    }
    {
      using ctx = rktContext("discovery");
      const missing = await rktAsync(ctx, ["trust", "--prefix=localhost/nokeys"], { env: srv.env(), stdin: "yes\n" });
      expect(missing.code).toBe(254);
      expect(missing.stderr).toContain(`cannot discover keys for "localhost/nokeys"`);
      const url = await rktAsync(ctx, ["trust", "--skip-fingerprint-review", "--prefix=localhost/example", keyUrl], { env: srv.env() });
      expect(url.code).toBe(0);
      const http = await rktAsync(ctx, ["trust", "--prefix=localhost/example", `http://127.0.0.1:${srv.port}/keys/example.asc`], { env: srv.env() });
      expect(http.code).toBe(254);
      expect(http.stderr).toContain("--insecure-allow-http required for http URLs");
    }
  });

  test("--trust-keys-from-https: a fetch by name trusts the published key first (once), then verifies", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/example/app", metaTags({ discovery: [template(srv)], pubkeys: [`localhost/example https://localhost:${srv.port}/keys/example.asc`] }));
    srv.files.set("/keys/example.asc", { body: Buffer.from(key.armored) });
    const { id } = put(srv, "/localhost/example/app-1.0-linux-amd64.aci", app);
    const plain = await rktAsync(ctx, ["fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(plain.code).toBe(254);
    expect(plain.stderr).toContain(`no keys trusted for prefix "localhost/example/app"`);
    expect(srv.count("/keys/example.asc")).toBe(0);
    const tofu = await rktAsync(ctx, ["--trust-keys-from-https", "fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(tofu.stdout).toBe(`${id}\n`);
    expect(tofu.stderr).toContain(`for prefix "localhost/example/app" without fingerprint review.`);
    expect(tofu.stderr).toContain("rkt: signature verified:");
    expect(existsSync(join(ctx.localConfig, "trustedkeys/prefix.d/localhost/example/app", key.fingerprint))).toBe(true);
    const again = await rktAsync(ctx, ["--debug", "--trust-keys-from-https", "fetch", "localhost/example/app:1.0"], { env: srv.env() });
    expect(again.stdout).toBe(`${id}\n`);
    expect(again.stderr).toContain(`keys already exist for prefix "localhost/example/app", not fetching again`);
    expect(srv.count("/keys/example.asc")).toBe(1);
  });

  test.skipIf(!port443Free())("discovery on port 443 needs no RKT_DISCOVERY_PORT", async () => {
    using ctx = rktContext("discovery");
    using srv = startHttpsServer({ ca, port: 443 });
    srv.pages.set("/", metaTags({ discovery: ["localhost https://localhost/{name}-{version}.{ext}"] }));
    const { id } = put(srv, "/localhost/example/app-1.0.aci", app);
    const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/example/app:1.0"], { env: { NODE_EXTRA_CA_CERTS: ca.caFile } });
    expect(r.stdout).toBe(`${id}\n`);
    expect(srv.requests.map((q) => q.path)).toEqual(["/example/app?ac-discovery=1", "/example?ac-discovery=1", "/?ac-discovery=1", "/localhost/example/app-1.0.aci"]);
  });
});
