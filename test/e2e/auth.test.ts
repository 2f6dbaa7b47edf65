// auth.d credentials as rkt_auth_test.go checks them (Sanity, Basic, Oauth, Override, Ignore): the
// Authorization header goes to the domains an `auth` file names and nowhere else, local config
// overrides system config, bogus files and subdirectories are ignored; plus what rkt left implicit:
// never over plain http, not across a redirect to another host, and used for discovery pages too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild, uncompressedSha512 } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { makeTestCA, metaTags, rktAsync, startHttpsServer, type HttpsServer, type ServerAuth, type TestCA } from "../helpers/https-server.ts";
import { requires } from "../helpers/requires.ts";

describe.skipIf(!!requires("actool"))("auth.d", () => {
  let work: RktContext;
  let ca: TestCA;
  let bytes: Uint8Array;
  let id: string;
  beforeAll(() => {
    work = rktContext("auth");
    ca = makeTestCA(join(work.tmp, "ca"));
    const aci = actoolBuild(work.tmp, { name: "localhost/auth/app", version: "1.0", files: { "etc/motd": "hi\n" } }, join(work.tmp, "app.aci"));
    bytes = readFileSync(aci);
    id = `sha512-${uncompressedSha512(aci).slice(0, 32)}`;
  });
  afterAll(() => work?.[Symbol.dispose]());

  const basic: ServerAuth = { type: "basic", user: "bar", password: "baz" };
  const oauth: ServerAuth = { type: "oauth", token: "sometoken" };
  const serve = (auth?: ServerAuth) => {
    const srv = startHttpsServer({ ca, auth });
    srv.files.set("/app.aci", { body: bytes });
    return srv;
  };
  /** rkt's test server configuration (aci-server sprintCreds) for `domains`. */
  const conf = (auth: ServerAuth, domains: string[]) =>
    JSON.stringify({
      rktKind: "auth",
      rktVersion: "v1",
      domains,
      type: auth.type,
      credentials: auth.type === "basic" ? { user: auth.user, password: auth.password } : { token: auth.token },
    });
  const write = (dir: string, name: string, body: string) => {
    mkdirSync(join(dir, "auth.d"), { recursive: true });
    writeFileSync(join(dir, "auth.d", name), body);
  };
  const fetch = (ctx: RktContext, srv: HttpsServer, url = `https://${srv.host}/app.aci`) =>
    rktAsync(ctx, ["--insecure-options=image", "fetch", url], { env: srv.env() });
  const ok = async (ctx: RktContext, srv: HttpsServer) => expect((await fetch(ctx, srv)).stdout).toBe(`${id}\n`);
  const denied = async (ctx: RktContext, srv: HttpsServer) => {
    const r = await fetch(ctx, srv);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain(`cannot fetch image "https://${srv.host}/app.aci": HTTP 401 Unauthorized`);
  };

  test("Sanity: a server without auth needs no config", async () => {
    using ctx = rktContext("auth");
    using srv = serve();
    await ok(ctx, srv);
    expect(srv.requests[0]!.headers.get("authorization")).toBeNull();
  });

  test.each([
    ["Basic", basic],
    ["Oauth", oauth],
  ])("%s: refused without config, accepted with it in local or system config", async (_, auth) => {
    using srv = serve(auth);
    for (const where of ["none", "local", "system"] as const) {
      using ctx = rktContext("auth");
      if (where !== "none") write(where === "local" ? ctx.localConfig : ctx.systemConfig, "test.json", conf(auth, [srv.host]));
      await (where === "none" ? denied(ctx, srv) : ok(ctx, srv));
    }
    const expected = auth.type === "basic" ? `Basic ${Buffer.from("bar:baz").toString("base64")}` : "Bearer sometoken";
    expect(srv.requests.map((r) => r.headers.get("authorization"))).toEqual([null, expected, expected]);
  });

  test("Override: the local config's entry for a domain replaces the system config's", async () => {
    using srv = serve(oauth);
    const wrong: ServerAuth = { type: "oauth", token: "someobviouslywrongtoken" };
    for (const [system, local] of [
      [oauth, wrong],
      [wrong, oauth],
    ] as const) {
      using ctx = rktContext("auth");
      write(ctx.systemConfig, "test.json", conf(system, [srv.host]));
      await (system === oauth ? ok(ctx, srv) : denied(ctx, srv));
      write(ctx.localConfig, "test.json", conf(local, [srv.host]));
      await (local === oauth ? ok(ctx, srv) : denied(ctx, srv));
    }
  });

  test("Ignore: files not named *.json and subdirectories are not read", async () => {
    using srv = serve(oauth);
    using ctx = rktContext("auth");
    for (const dir of [ctx.systemConfig, ctx.localConfig]) {
      write(dir, "README", "This is config");
      write(dir, "test.notjson", conf(oauth, [srv.host]));
      write(join(dir, "auth.d"), "test.json", conf(oauth, [srv.host]));
    }
    await denied(ctx, srv);
  });

  test("credentials go only to the domain named (host and port), only over https, never across a redirect", async () => {
    using ctx = rktContext("auth");
    using srv = serve();
    using other = serve();
    write(ctx.localConfig, "test.json", conf(basic, [srv.host]));
    await ok(ctx, srv);
    await ok(ctx, other);
    expect((await fetch(ctx, srv, `${srv.url}/app.aci`)).code).toBe(0); // 127.0.0.1:PORT is not localhost:PORT
    const seen: string[] = [];
    using redirect = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: readFileSync(ca.cert, "utf8"), key: readFileSync(ca.key, "utf8") },
      fetch: (req) => {
        seen.push(`redirect ${req.headers.get("authorization") ? "auth" : "-"}`);
        return new Response(null, { status: 302, headers: { location: `https://${other.host}/app.aci` } });
      },
    });
    write(ctx.localConfig, "redirect.json", conf(basic, [`localhost:${redirect.port}`]));
    expect((await fetch(ctx, srv, `https://localhost:${redirect.port}/app.aci`)).stdout).toBe(`${id}\n`);
    using plain = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        seen.push(`plain ${req.headers.get("authorization") ? "auth" : "-"}`);
        return new Response("not an image");
      },
    });
    write(ctx.localConfig, "plain.json", conf(basic, [`localhost:${plain.port}`]));
    const r = await rktAsync(ctx, ["--insecure-options=image,http", "fetch", `http://localhost:${plain.port}/app.aci`]);
    expect(r.code).toBe(254); // not an ACI; what matters is that no credentials were sent
    expect(seen).toEqual(["redirect auth", "plain -"]);
    const auths = [...srv.requests, ...other.requests].map((q) => `${q.path} ${q.headers.get("authorization") ? "auth" : "-"}`);
    expect(auths).toEqual(["/app.aci auth", "/app.aci -", "/app.aci -", "/app.aci -"]);
  });

  test("discovery pages and images of an auth domain carry the credentials", async () => {
    using ctx = rktContext("auth");
    using srv = serve(basic);
    srv.pages.set("/auth/app", metaTags({ discovery: [`localhost/auth https://${srv.host}/{name}.{ext}`] }));
    srv.files.set("/localhost/auth/app.aci", { body: bytes });
    write(ctx.localConfig, "test.json", conf(basic, [srv.host]));
    const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/auth/app"], { env: srv.env() });
    expect(r.stdout).toBe(`${id}\n`);
    expect(srv.requests.map((q) => q.path)).toEqual(["/auth/app?ac-discovery=1", "/localhost/auth/app.aci"]);
  });

  test("bad auth.d files are errors naming the file", async () => {
    using ctx = rktContext("auth");
    const cases: [string, RegExp][] = [
      ["{", /expected a JSON object/],
      [JSON.stringify({ rktVersion: "v1", domains: ["a"] }), /no rktKind specified/],
      [JSON.stringify({ rktKind: "auth", domains: ["a"] }), /no rktVersion specified/],
      [JSON.stringify({ rktKind: "paths", rktVersion: "v1" }), /expected rktKind "auth" or "dockerAuth", got "paths"/],
      [JSON.stringify({ rktKind: "auth", rktVersion: "v2", domains: ["a"], type: "basic" }), /expected rktVersion "v1"/],
      [JSON.stringify({ rktKind: "auth", rktVersion: "v1", domains: ["a"], type: "digest", credentials: {} }), /unknown auth type "digest"/],
      [JSON.stringify({ rktKind: "auth", rktVersion: "v1", domains: ["a"], type: "basic", credentials: { user: "u" } }), /password not specified/],
      [JSON.stringify({ rktKind: "auth", rktVersion: "v1", domains: [], type: "oauth", credentials: { token: "t" } }), /expected "domains" to be a non-empty list/],
    ];
    for (const [body, message] of cases) {
      write(ctx.localConfig, "bad.json", body);
      const r = ctx.rkt(["--insecure-options=image", "fetch", "https://127.0.0.1:1/app.aci"]);
      expect({ body, code: r.code }).toEqual({ body, code: 254 });
      expect(r.stderr).toContain(`cannot read configuration "${join(ctx.localConfig, "auth.d", "bad.json")}"`);
      expect(r.stderr).toMatch(message);
    }
    write(ctx.localConfig, "bad.json", conf(oauth, ["a.example"]));
    write(ctx.localConfig, "twice.json", conf(basic, ["A.example"]));
    const twice = ctx.rkt(["--insecure-options=image", "fetch", "https://127.0.0.1:1/app.aci"]);
    expect(twice.stderr).toContain(`auth for domain "a.example" is already specified`);
  });
});
