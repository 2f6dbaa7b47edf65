// auth.d credentials as rkt_auth_test.go checks them (Sanity, Basic, Oauth, Override, Ignore): the
// Authorization header goes to the domains an `auth` file names and nowhere else, local config
// overrides system config, bogus files and subdirectories are ignored; plus what rkt left implicit:
// never over plain http, not across a redirect to another host, and used for discovery pages too;
// `aws` credentials sign requests (SigV4), checked by a verifier of the test's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
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

  describe("aws", () => {
    const key = { id: "AKIDEXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
    const region = "eu-central-1";
    const hex = (h: { digest(e: "hex"): string }) => h.digest("hex");
    const hmac = (k: string | Buffer, data: string) => createHmac("sha256", k).update(data).digest();

    /** An S3-like check of a SigV4 Authorization header, written apart from rkt's signer. */
    function signedByKey(req: Request): boolean {
      const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        req.headers.get("authorization") ?? "",
      );
      const date = req.headers.get("x-amz-date") ?? "";
      const payload = req.headers.get("x-amz-content-sha256");
      if (!m || m[1] !== key.id || m[3] !== region || !date.startsWith(m[2]!)) return false;
      const skew = Math.abs(Date.now() - Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z")));
      const names = m[4]!.split(";");
      if (!(skew < 15 * 60_000) || payload !== hex(createHash("sha256")) || !["host", "x-amz-date", "x-amz-content-sha256"].every((n) => names.includes(n))) {
        return false;
      }
      const u = new URL(req.url);
      const query = [...u.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join("&");
      const canonical = [req.method, u.pathname, query, ...names.map((n) => `${n}:${req.headers.get(n)?.trim()}`), "", m[4], payload].join("\n");
      const toSign = ["AWS4-HMAC-SHA256", date, `${m[2]}/${region}/s3/aws4_request`, hex(createHash("sha256").update(canonical))].join("\n");
      const signingKey = ["s3", "aws4_request"].reduce((k, part) => hmac(k, part), hmac(hmac(`AWS4${key.secret}`, m[2]!), region));
      return hmac(signingKey, toSign).toString("hex") === m[5];
    }

    const awsConf = (domain: string, creds: Record<string, string>) =>
      JSON.stringify({ rktKind: "auth", rktVersion: "v1", domains: [domain], type: "aws", credentials: creds });

    /** A bucket-like HTTPS server: 403 for any request it cannot verify, like S3's SignatureDoesNotMatch. */
    function bucket() {
      const seen: string[] = [];
      const server: ReturnType<typeof Bun.serve> = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        tls: { cert: readFileSync(ca.cert, "utf8"), key: readFileSync(ca.key, "utf8") },
        fetch(req): Response {
          const u = new URL(req.url);
          const ok = signedByKey(req);
          seen.push(`${u.pathname}${u.search} ${ok ? "signed" : "refused"}`);
          if (!ok) return new Response("<Error><Code>SignatureDoesNotMatch</Code></Error>", { status: 403 });
          if (u.search === "?ac-discovery=1") return new Response(metaTags({ discovery: [`localhost/auth https://localhost:${server.port}/{name}.{ext}`] }));
          return u.pathname === "/localhost/auth/app.aci" ? new Response(bytes) : new Response("not found\n", { status: 404 });
        },
      });
      const env = { NODE_EXTRA_CA_CERTS: ca.caFile, RKT_DISCOVERY_PORT: String(server.port) };
      return { server, seen, host: `localhost:${server.port}`, env, [Symbol.dispose]: () => server.stop(true) };
    }

    test("signed discovery and image requests pass the server's SigV4 check", async () => {
      using ctx = rktContext("auth");
      using b = bucket();
      write(ctx.localConfig, "aws.json", awsConf(b.host, { accessKeyID: key.id, secretAccessKey: key.secret, awsRegion: region }));
      const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", "localhost/auth/app"], { env: b.env });
      expect(r.stderr).not.toContain("403");
      expect(r.stdout).toBe(`${id}\n`);
      expect(b.seen).toEqual(["/auth/app?ac-discovery=1 signed", "/localhost/auth/app.aci signed"]);
    });

    test("a wrong secret, a wrong region or no credentials fail with the server's 403", async () => {
      using b = bucket();
      const url = `https://${b.host}/localhost/auth/app.aci`;
      for (const creds of [
        { accessKeyID: key.id, secretAccessKey: "not-the-secret", awsRegion: region } as Record<string, string>,
        { accessKeyID: key.id, secretAccessKey: key.secret }, // the region guessed for localhost: us-east-1
        undefined,
      ]) {
        using ctx = rktContext("auth");
        if (creds) write(ctx.localConfig, "aws.json", awsConf(b.host, creds));
        const r = await rktAsync(ctx, ["--insecure-options=image", "fetch", url], { env: b.env });
        expect({ creds, code: r.code }).toEqual({ creds, code: 254 });
        expect(r.stderr).toContain(`cannot fetch image "${url}": HTTP 403 Forbidden`);
      }
      expect(b.seen).toEqual(Array(3).fill("/localhost/auth/app.aci refused"));
    });
  });
});
