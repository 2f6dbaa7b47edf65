// The metadata service's two APIs answered as rkt's (registration on the socket, the appc metadata
// API under /<token>/acMetadata/v1), and stage0's client against a real service on a temp socket.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkMdsAvailable, MdsUnreachableError, registerPod, unregisterPod } from "./client.ts";
import { metadataServiceUrl } from "./endpoint.ts";
import { PodHmac } from "./hmac.ts";
import { formatUuid, parseUuid, PodStore } from "./pods.ts";
import { publicApi } from "./public-api.ts";
import { registrationApi } from "./registration-api.ts";
import { startMetadataService } from "./server.ts";

const UUID = "6c1b6f0e-9d0a-4c5e-8b4e-2f5a1d3c7e90";
const IMAGE_ID = `sha512-${"ab".repeat(32)}`;
const POD = {
  acKind: "PodManifest",
  acVersion: "1.30.0",
  apps: [{ name: "web", image: { id: IMAGE_ID, name: "example.com/web" }, annotations: [{ name: "lorem", value: "pod" }, { name: "extra", value: "x" }] }],
  annotations: [{ name: "coreos.com/rkt/stage1/mutable", value: "false" }],
};
const IMAGE = {
  acKind: "ImageManifest",
  acVersion: "0.8.11",
  name: "example.com/web",
  annotations: [{ name: "lorem", value: "ipsum" }, { name: "authors", value: "me" }],
};

const tmp = mkdtempSync(join(tmpdir(), "rkt-mds-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function service() {
  const pods = new PodStore();
  const reg = registrationApi(pods);
  const pub = publicApi(pods, new PodHmac());
  const put = (path: string, body: unknown) => reg(new Request(`http://unixsock${path}`, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body) }));
  const get = (path: string, method = "GET") => pub(new Request(`http://127.0.0.1${path}`, { method }));
  /** a form POST; a string body is sent as written (bytes URLSearchParams would not produce) */
  const post = (path: string, form: Record<string, string> | string) =>
    pub(new Request(`http://127.0.0.1${path}`, { method: "POST", body: typeof form === "string" ? form : new URLSearchParams(form), headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
  return { reg, put, get, post };
}

async function registered() {
  const s = service();
  expect((await s.put(`/pods/${UUID}?token=tok`, POD)).status).toBe(200);
  expect((await s.put(`/pods/${UUID}/web`, IMAGE)).status).toBe(200);
  return s;
}

const answer = async (r: Response) => ({ status: r.status, type: r.headers.get("content-type"), body: await r.text() });

describe("UUIDs as appc's types.NewUUID", () => {
  test("dashes are optional, case is free, the canonical form is lowercase and dashed", () => {
    const b = parseUuid(UUID.toUpperCase().replaceAll("-", ""));
    expect(b).toBeInstanceOf(Uint8Array);
    expect(formatUuid(b as Uint8Array)).toBe(UUID);
    expect(parseUuid("abc")).toBe("bad UUID length: 3");
  });
});

describe("registration API", () => {
  test("malformed requests are 400 with rkt's messages, unknown pods 404", async () => {
    const s = service();
    expect(await answer(await s.put("/pods/nope?token=t", POD))).toMatchObject({ status: 400, body: "UUID is missing or malformed: bad UUID length: 4" });
    expect(await answer(await s.put(`/pods/${UUID}`, POD))).toMatchObject({ status: 400, body: "token missing" });
    expect(await answer(await s.put(`/pods/${UUID}?token=a&token=b`, POD))).toMatchObject({ status: 400, body: "token missing" });
    expect((await answer(await s.put(`/pods/${UUID}?token=t`, "{"))).body).toStartWith("JSON-decoding failed: ");
    expect((await s.put(`/pods/${UUID}?token=t`, { ...POD, acKind: "ImageManifest" })).status).toBe(400);
    expect(await answer(await s.put(`/pods/${UUID}/web`, IMAGE))).toMatchObject({ status: 404, body: "Pod with given UUID not found" });
    expect(await answer(await s.put(`/pods/${UUID}/`, IMAGE))).toMatchObject({ status: 400, body: "app missing" });
    expect(await answer(await s.reg(new Request(`http://unixsock/pods/${UUID}`, { method: "DELETE" })))).toMatchObject({ status: 404, body: "pod not found" });
    expect(await answer(await s.reg(new Request(`http://unixsock/pods/${UUID}`)))).toMatchObject({ status: 404, body: "404 page not found\n" });
  });

  test("DELETE forgets the pod: its token answers 401 again", async () => {
    const s = await registered();
    expect((await s.get("/tok/acMetadata/v1/pod/uuid")).status).toBe(200);
    expect((await s.reg(new Request(`http://unixsock/pods/${UUID}`, { method: "DELETE" }))).status).toBe(200);
    expect(await answer(await s.get("/tok/acMetadata/v1/pod/uuid"))).toMatchObject({ status: 401, body: "pod not found\n" });
  });
});

describe("metadata API", () => {
  test("pod uuid, manifest and annotations with ace.md's content types", async () => {
    const s = await registered();
    expect(await answer(await s.get("/tok/acMetadata/v1/pod/uuid"))).toEqual({ status: 200, type: "text/plain; charset=us-ascii", body: UUID });
    const manifest = await answer(await s.get("/tok/acMetadata/v1/pod/manifest"));
    expect(manifest.type).toBe("application/json");
    expect(JSON.parse(manifest.body)).toMatchObject(POD);
    const annotations = await answer(await s.get("/tok/acMetadata/v1/pod/annotations"));
    expect(annotations.type).toBe("application/json");
    expect(JSON.parse(annotations.body)).toEqual(POD.annotations);
    expect(await answer(await s.get("/tok/acMetadata/v1/pod/annotations/coreos.com/rkt/stage1/mutable"))).toEqual({ status: 200, type: "text/plain; charset=us-ascii", body: "false" });
    expect(await answer(await s.get("/tok/acMetadata/v1/pod/annotations/missing"))).toMatchObject({ status: 404, body: 'Pod annotation "missing" not found' });
    expect(await answer(await s.get("/tok/acMetadata/v1/pod/annotations/Bad"))).toMatchObject({ status: 400, body: 'Pod annotation "Bad" is not a valid AC Identifier' });
  });

  test("app annotations are the image's overridden by the pod's; image manifest and id", async () => {
    const s = await registered();
    const merged = JSON.parse((await answer(await s.get("/tok/acMetadata/v1/apps/web/annotations"))).body);
    expect(merged).toEqual([{ name: "lorem", value: "pod" }, { name: "authors", value: "me" }, { name: "extra", value: "x" }]);
    expect((await answer(await s.get("/tok/acMetadata/v1/apps/web/annotations/lorem"))).body).toBe("pod");
    expect(JSON.parse((await answer(await s.get("/tok/acMetadata/v1/apps/web/image/manifest"))).body)).toMatchObject(IMAGE);
    expect(await answer(await s.get("/tok/acMetadata/v1/apps/web/image/id"))).toEqual({ status: 200, type: "text/plain; charset=us-ascii", body: IMAGE_ID });
  });

  test("unknown token 401, unknown app 404, unrouted paths and methods 404", async () => {
    const s = await registered();
    for (const p of ["/pod/uuid", "/pod/manifest", "/pod/annotations", "/apps/web/image/id"]) {
      expect(await answer(await s.get(`/other/acMetadata/v1${p}`))).toMatchObject({ status: 401, body: "pod not found\n" });
    }
    expect(await answer(await s.get("/tok/acMetadata/v1/apps/db/image/id"))).toMatchObject({ status: 404, body: "app not found\n" });
    expect((await s.get("/tok/acMetadata/v1/pod/nothing")).status).toBe(404);
    expect((await s.get("/tok/acMetadata/v2/pod/uuid")).status).toBe(404);
    expect((await s.get("/tok/acMetadata/v1/pod/uuid", "POST")).status).toBe(404);
    expect((await s.get("/tok/acMetadata/v1/pod/hmac/sign")).status).toBe(404);
  });

  test("hmac: sign, then verify from any token; a changed content or signature is 403", async () => {
    const s = await registered();
    const signed = await answer(await s.post("/tok/acMetadata/v1/pod/hmac/sign", { content: "Old MacDonald Had A Farm" }));
    expect(signed).toMatchObject({ status: 200, type: "text/plain; charset=us-ascii" });
    expect(Buffer.from(signed.body, "base64")).toHaveLength(64);
    const verify = (form: Record<string, string>) => s.post("/anything/acMetadata/v1/pod/hmac/verify", form);
    expect(await answer(await verify({ content: "Old MacDonald Had A Farm", uuid: UUID, signature: signed.body }))).toEqual({ status: 200, type: "text/plain; charset=us-ascii", body: "" });
    expect((await verify({ content: "Old MacDonald Had A Cow", uuid: UUID, signature: signed.body })).status).toBe(403);
    expect((await verify({ content: "Old MacDonald Had A Farm", uuid: UUID.replace("6c", "6d"), signature: signed.body })).status).toBe(403);
    expect(await answer(await verify({ content: "x", uuid: "u", signature: signed.body }))).toMatchObject({ status: 400, body: "uuid field missing or malformed: bad UUID length: 1" });
    expect(await answer(await verify({ uuid: UUID, signature: signed.body }))).toMatchObject({ status: 400, body: "content field missing" });
    expect((await verify({ content: "x", uuid: UUID, signature: "!!" })).status).toBe(400);
    expect(await answer(await s.post("/tok/acMetadata/v1/pod/hmac/sign", {}))).toMatchObject({ status: 400, body: "content form value not found" });
    expect((await s.post("/other/acMetadata/v1/pod/hmac/sign", { content: "x" })).status).toBe(401);
  });

  test("signatures cover the exact bytes sent, percent-escaped or not", async () => {
    const s = await registered();
    const sign = async (body: string) => (await s.post("/tok/acMetadata/v1/pod/hmac/sign", body)).text();
    const a = await sign("content=%FF%00a+b");
    expect(await sign("content=%ff%00a%20b")).toBe(a);
    expect(await sign("content=%FE%00a+b")).not.toBe(a);
    // the body's value comes before the query's, as Go's FormValue
    expect(await (await s.post("/tok/acMetadata/v1/pod/hmac/sign?content=other", "content=%FF%00a+b")).text()).toBe(a);
  });
});

describe("stage0's registration client against a running service", () => {
  test("registers a pod dir, marks it, unregisters it; the token is 32 hex digits", async () => {
    const socketPath = join(tmp, "run", "mds.sock");
    const svc = startMetadataService({ port: 0, host: "127.0.0.1", socketPath, log: () => {} });
    const env = process.env.RKT_MDS_SOCKET;
    process.env.RKT_MDS_SOCKET = socketPath;
    try {
      await checkMdsAvailable();
      const pod = join(tmp, "pod");
      mkdirSync(join(pod, "appsinfo", "web"), { recursive: true });
      writeFileSync(join(pod, "pod"), JSON.stringify(POD));
      writeFileSync(join(pod, "appsinfo", "web", "manifest"), JSON.stringify(IMAGE));
      const token = await registerPod(pod, UUID);
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(existsSync(join(pod, "mds-registered"))).toBe(true);
      const url = `${metadataServiceUrl("127.0.0.1", token, { RKT_MDS_PORT: String(svc.port) })}/acMetadata/v1`;
      expect(await (await fetch(`${url}/pod/uuid`)).text()).toBe(UUID);
      expect(await (await fetch(`${url}/apps/web/image/id`)).text()).toBe(IMAGE_ID);
      await unregisterPod(pod, UUID);
      expect((await fetch(`${url}/pod/uuid`)).status).toBe(401);
    } finally {
      svc.stop();
      if (env === undefined) delete process.env.RKT_MDS_SOCKET;
      else process.env.RKT_MDS_SOCKET = env;
    }
    expect(existsSync(socketPath)).toBe(false);
  });

  test("without a service: rkt's errUnreachable, registration failing with exit status 1", async () => {
    const env = process.env.RKT_MDS_SOCKET;
    process.env.RKT_MDS_SOCKET = join(tmp, "absent.sock");
    try {
      await expect(checkMdsAvailable()).rejects.toBeInstanceOf(MdsUnreachableError);
      const pod = join(tmp, "pod2");
      mkdirSync(pod);
      writeFileSync(join(pod, "pod"), JSON.stringify(POD));
      const err = await registerPod(pod, UUID).catch((e) => e);
      expect(err.exitCode).toBe(1);
      expect(err.cause).toBeInstanceOf(MdsUnreachableError);
      expect(err.cause.message).toStartWith("could not reach the metadata service.\nMake sure metadata service is currently running");
      expect(existsSync(join(pod, "mds-registered"))).toBe(false);
    } finally {
      if (env === undefined) delete process.env.RKT_MDS_SOCKET;
      else process.env.RKT_MDS_SOCKET = env;
    }
  }, 10_000);
});
