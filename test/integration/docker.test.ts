// Docker images end to end against the real registry (Debian's docker-registry on 127.0.0.1), fed by
// the real skopeo from OCI layouts built here: conversion to one squashed ACI (actool validates it,
// the store imports and renders it), whiteouts and opaque directories, the manifest mapping, the
// layer cache, token auth, TLS, refused inputs (digest mismatch, schema1, foreign platform, 404)
// and the local archive forms (docker-archive, oci-archive, oci directory).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { layerCacheDir } from "../../core/docker/layer-cache.ts";
import { fetchDockerImage, type DockerFetchOptions, type LayerProgress } from "../../core/docker/fetch.ts";
import { FetchError, RktError, VerificationError } from "../../core/errors.ts";
import { ImageStore } from "../../core/store/store.ts";
import { busyboxRootfs } from "../helpers/images.ts";
import { writeOciLayout, type BuiltImage } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry, startTokenServer, type TestRegistry, type TokenServer } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";

const skip = !!requires("actool", "busybox", "skopeo", "docker-registry");

let tmp = "";
let reg: TestRegistry;
let five: BuiltImage;
const CONFIG = {
  Entrypoint: ["/bin/sh", "-c"],
  Cmd: ["echo hello"],
  Env: ["PATH=/usr/bin:/bin", "GREETING=a=b"],
  User: "1000:100",
  WorkingDir: "/opt",
  ExposedPorts: { "80/tcp": {}, "53/udp": {} },
  Volumes: { "/var/lib/data": {}, "/srv/cache": {} },
  Labels: { "org.example.team": "rkt" },
};

function dir(name: string, files: Record<string, string> = {}): string {
  const d = join(tmp, "layers", name);
  mkdirSync(d, { recursive: true });
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(d, p, ".."), { recursive: true });
    if (p.endsWith("/")) mkdirSync(join(d, p), { recursive: true });
    else writeFileSync(join(d, p), content);
  }
  return d;
}

/** Five layers exercising every rule of the squash; the expected tree is checked in `checkTree`. */
function fiveLayers(): string[] {
  const l0 = busyboxRootfs(dir("l0", { "opt/keep/a": "a", "opt/gone/b": "b", "var/op/old": "old", "srv/dir/x": "x", "etc/a": "A" }));
  linkSync(join(l0, "etc/a"), join(l0, "etc/b")); // tar writes etc/a as the file, etc/b as a hardlink to it
  const l1 = dir("l1", { "opt/.wh.gone": "", "var/op/.wh..wh..opq": "", "var/op/new": "new", "etc/.wh.a": "" });
  const l2 = dir("l2", { "srv/dir": "file now", "usr/share/doc/readme": "r", "usr/share/doc/keep": "k" });
  const l3 = dir("l3", { "opt/gone/c": "c" });
  chmodSync(join(l3, "opt"), 0o700);
  const l4 = dir("l4", { "etc/motd": "hello", "usr/share/doc/.wh.readme": "" });
  return [l0, l1, l2, l3, l4];
}

function checkTree(rootfs: string): void {
  const read = (p: string) => readFileSync(join(rootfs, p), "utf8");
  expect(statSync(join(rootfs, "bin/busybox")).isFile()).toBe(true);
  expect(lstatSync(join(rootfs, "bin/sh")).isSymbolicLink()).toBe(true);
  expect(read("opt/keep/a")).toBe("a");
  expect(existsSync(join(rootfs, "opt/gone/b"))).toBe(false); // whited out, dir re-created above
  expect(read("opt/gone/c")).toBe("c");
  expect(statSync(join(rootfs, "opt")).mode & 0o7777).toBe(0o700); // top-most directory metadata
  expect(readdirSync(join(rootfs, "var/op"))).toEqual(["new"]); // opaque: lower content gone
  expect(existsSync(join(rootfs, "etc/a"))).toBe(false);
  expect(read("etc/b")).toBe("A"); // a hardlink whose target was deleted keeps the content
  expect(read("srv/dir")).toBe("file now"); // a file over a directory hides its subtree
  expect(readdirSync(join(rootfs, "usr/share/doc"))).toEqual(["keep"]);
  expect(read("etc/motd")).toBe("hello");
  expect(lstatSync(join(rootfs, "dev/stdout")).isSymbolicLink()).toBe(true);
  const whiteouts: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".wh.")) whiteouts.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(rootfs);
  expect(whiteouts).toEqual([]);
}

async function toFile(aci: AsyncIterable<Uint8Array>, file: string): Promise<void> {
  const w = Bun.file(file).writer();
  for await (const c of aci) w.write(c);
  await w.end();
}

function actoolValidate(file: string): void {
  const p = Bun.spawnSync(["actool", "validate", file], { stderr: "pipe", stdout: "pipe" });
  expect(p.stderr.toString() + p.stdout.toString()).toBe("");
  expect(p.exitCode).toBe(0);
}

let n = 0;
function opts(extra: Partial<DockerFetchOptions> = {}): DockerFetchOptions {
  return { dataDir: join(tmp, `data-${n++}`), http: true, ...extra };
}

/** Fetches, writes the ACI, validates it with actool, imports it into a store and renders it. */
async function fetchAndImport(arg: string, o: DockerFetchOptions) {
  const img = await fetchDockerImage(arg, o);
  const file = join(tmp, `img-${n++}.aci`);
  await toFile(img.aci, file);
  actoolValidate(file);
  using store = ImageStore.open(o.dataDir);
  const { key } = await store.importAci(Bun.file(file).stream());
  const { rootfs } = await store.renderTree(key);
  return { img, key, rootfs, file };
}

describe.skipIf(skip)("docker images from a registry", () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "rkt-docker-test-"));
    five = writeOciLayout(join(tmp, "five"), { layerDirs: fiveLayers(), config: CONFIG });
    reg = await startRegistry(join(tmp, "registry"), { schema1: true });
    await skopeoCopy(`oci:${join(tmp, "five")}:latest`, `docker://${reg.host}/test/five:v1`);
    await skopeoCopy(`oci:${join(tmp, "five")}:latest`, `docker://${reg.host}/test/five:latest`);
  });
  afterAll(() => {
    reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("a 5-layer image becomes one valid ACI whose tree has whiteouts and opaque dirs applied", async () => {
    const o = opts();
    const { img, rootfs } = await fetchAndImport(`docker://${reg.host}/test/five:v1`, o);
    checkTree(rootfs);
    expect(img.url).toBe(`docker://${reg.host}/test/five:v1`);
    expect(img.latest).toBe(false);
    expect(readdirSync(layerCacheDir(o.dataDir)).sort()).toEqual(five.diffIds.map((d) => d.slice(7)).sort());
  });

  test("the manifest maps the Docker config as docker2aci did", async () => {
    const img = await fetchDockerImage(`docker://${reg.host}/test/five`, opts());
    const m = img.manifest;
    expect(img.latest).toBe(true);
    expect(m.name).toBe(`127.0.0.1_${reg.host.split(":")[1]}/test/five`);
    expect(m.labels).toEqual([
      { name: "arch", value: "amd64" },
      { name: "os", value: "linux" },
      { name: "version", value: "latest" },
    ]);
    expect(m.app?.exec).toEqual(["/bin/sh", "-c", "echo hello"]);
    expect([m.app?.user, m.app?.group]).toEqual(["1000", "100"]);
    expect(m.app?.environment).toEqual([
      { name: "PATH", value: "/usr/bin:/bin" },
      { name: "GREETING", value: "a=b" },
    ]);
    expect(m.app?.workingDirectory).toBe("/opt");
    expect(m.app?.ports?.map((p) => [p.name, p.protocol, p.port])).toEqual([
      ["53-udp", "udp", 53],
      ["80-tcp", "tcp", 80],
    ]);
    expect(m.app?.mountPoints).toEqual([
      { name: "volume-srv-cache", path: "/srv/cache" },
      { name: "volume-var-lib-data", path: "/var/lib/data" },
    ]);
    expect(m.app?.userLabels).toEqual({ "org.example.team": "rkt" });
    const ann = Object.fromEntries((m.annotations ?? []).map((a) => [a.name, a.value]));
    expect(ann).toMatchObject({
      author: "rkt tests",
      created: "2017-07-14T02:40:00Z",
      "appc.io/docker/originalname": `${reg.host}/test/five`,
      "appc.io/docker/registryurl": reg.host,
      "appc.io/docker/repository": "test/five",
      "appc.io/docker/imageid": five.configDigest,
      "appc.io/docker/entrypoint": '["/bin/sh","-c"]',
      "appc.io/docker/cmd": '["echo hello"]',
    });
    expect(ann["appc.io/docker/manifesthash"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    for await (const _ of img.aci); // drain: nothing may stay half-read
  });

  test("layers are cached by diff ID: an image sharing the base downloads only its own layer", async () => {
    const base = busyboxRootfs(dir("shared-base"));
    writeOciLayout(join(tmp, "one"), { layerDirs: [base, dir("one-top", { "one": "1" })] });
    const two = writeOciLayout(join(tmp, "two"), { layerDirs: [base, dir("two-top", { "two": "2" })] });
    await skopeoCopy(`oci:${join(tmp, "one")}:latest`, `docker://${reg.host}/test/one:v1`);
    await skopeoCopy(`oci:${join(tmp, "two")}:latest`, `docker://${reg.host}/test/two:v1`);
    const o = opts();
    for await (const _ of (await fetchDockerImage(`docker://${reg.host}/test/one:v1`, o)).aci);
    const baseFile = join(layerCacheDir(o.dataDir), two.diffIds[0]!.slice(7));
    const inode = statSync(baseFile).ino;
    const seen: LayerProgress[] = [];
    const { rootfs } = await fetchAndImport(`docker://${reg.host}/test/two:v1`, { ...o, onProgress: (p) => seen.push(p) });
    expect(seen.filter((p) => p.layer === 0).map((p) => p.cached)).toEqual([true]);
    expect(seen.some((p) => p.layer === 1 && !p.cached)).toBe(true);
    expect(statSync(baseFile).ino).toBe(inode);
    expect(readFileSync(join(rootfs, "two"), "utf8")).toBe("2");
    expect(existsSync(join(rootfs, "one"))).toBe(false);
  });

  test("a blob whose content does not match its digest is refused and nothing is cached", async () => {
    writeOciLayout(join(tmp, "bad"), { layerDirs: [dir("bad-l0", { "f": "original content" })] });
    await skopeoCopy(`oci:${join(tmp, "bad")}:latest`, `docker://${reg.host}/test/bad:v1`);
    const built = JSON.parse(readFileSync(join(tmp, "bad", "blobs", "sha256", (JSON.parse(readFileSync(join(tmp, "bad", "index.json"), "utf8")).manifests[0].digest as string).slice(7)), "utf8"));
    const layerHex = (built.layers[0].digest as string).slice(7);
    const data = join(tmp, "registry", "storage", "docker", "registry", "v2", "blobs", "sha256", layerHex.slice(0, 2), layerHex, "data");
    const bytes = readFileSync(data);
    bytes[bytes.length - 9]! ^= 0xff; // inside the gzip trailer's CRC: still the same size
    writeFileSync(data, bytes);
    const o = opts();
    const err = await fetchDockerImage(`docker://${reg.host}/test/bad:v1`, o).catch((e) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(String(err.message)).toContain(`cannot verify blob "sha256:${layerHex}"`);
    expect(existsSync(layerCacheDir(o.dataDir)) ? readdirSync(layerCacheDir(o.dataDir)) : []).toEqual([]);
  });

  test("a registry that stops in the middle of a layer fails the fetch and caches nothing of it", async () => {
    // A proxy of our own in front of the real registry that cuts every big blob in half.
    using proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        const res = await fetch(`http://${reg.host}${u.pathname}${u.search}`, { headers: { accept: req.headers.get("accept") ?? "*/*" } });
        if (!u.pathname.includes("/blobs/") || Number(res.headers.get("content-length")) < 100_000) return res;
        const body = new Uint8Array(await res.arrayBuffer());
        const half = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(body.subarray(0, body.length >> 1));
            c.error(new Error("connection cut by the test"));
          },
        });
        return new Response(half, { headers: { "content-length": String(body.length) } });
      },
    });
    const o = opts();
    const err = await fetchDockerImage(`docker://127.0.0.1:${proxy.port}/test/five:v1`, o).catch((e) => e);
    expect(err).toBeInstanceOf(RktError);
    expect(err.message).toMatch(/cannot (fetch|verify) blob "sha256:[0-9a-f]{64}"/);
    // Complete layers stay cached (they were checked); the cut one and temp files do not.
    const cached = readdirSync(layerCacheDir(o.dataDir));
    expect(cached).not.toContain(five.diffIds[0]!.slice(7));
    expect(cached.filter((f) => !five.diffIds.includes(`sha256:${f}`))).toEqual([]);
  });

  test("an image for another platform only is refused with a clear message", async () => {
    const l = dir("arm-l0", { "f": "arm" });
    writeOciLayout(join(tmp, "arm-index"), { layerDirs: [l], architecture: "arm64", indexPlatform: { os: "linux", architecture: "arm64" } });
    writeOciLayout(join(tmp, "arm-single"), { layerDirs: [l], architecture: "arm64" });
    const p = Bun.spawn(["skopeo", "--insecure-policy", "copy", "--quiet", "--all", "--dest-tls-verify=false", `oci:${join(tmp, "arm-index")}:latest`, `docker://${reg.host}/test/arm:list`]);
    expect(await p.exited).toBe(0);
    await skopeoCopy(`oci:${join(tmp, "arm-single")}:latest`, `docker://${reg.host}/test/arm:single`);
    const list = await fetchDockerImage(`docker://${reg.host}/test/arm:list`, opts()).catch((e) => e);
    expect(list).toBeInstanceOf(FetchError);
    expect(list.message).toContain("no image for linux/amd64 (it has linux/arm64)");
    const single = await fetchDockerImage(`docker://${reg.host}/test/arm:single`, opts()).catch((e) => e);
    expect(single.message).toContain("it is built for linux/arm64, not linux/amd64");
    // the same multi-platform image is fine for the platform it has
    const ok = await fetchDockerImage(`docker://${reg.host}/test/arm:list`, opts({ platform: { os: "linux", architecture: "arm64" } }));
    expect(ok.manifest.labels).toContainEqual({ name: "arch", value: "aarch64" });
    for await (const _ of ok.aci);
  });

  test("schema1 manifests are refused; unknown tags are a 404 naming the registry's error", async () => {
    const p = Bun.spawn(["skopeo", "--insecure-policy", "copy", "--quiet", "--format", "v2s1", "--dest-tls-verify=false", `oci:${join(tmp, "five")}:latest`, `docker://${reg.host}/test/old:v1`]);
    expect(await p.exited).toBe(0);
    const s1 = await fetchDockerImage(`docker://${reg.host}/test/old:v1`, opts()).catch((e) => e);
    expect(s1).toBeInstanceOf(FetchError);
    expect(s1.message).toContain("Docker schema1 manifest, which is deprecated and not supported");
    const missing = await fetchDockerImage(`docker://${reg.host}/test/five:nope`, opts()).catch((e) => e);
    expect(missing.message).toContain("HTTP 404 MANIFEST_UNKNOWN");
  });

  test("without --insecure-options=http an http-only registry is not reached", async () => {
    const err = await fetchDockerImage(`docker://${reg.host}/test/five:v1`, opts({ http: false })).catch((e) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err.message).toContain(`cannot reach registry "${reg.host}" over https`);
  });

  test("local archives: docker-archive, oci-archive and an oci directory give the same tree", async () => {
    const dockerTar = join(tmp, "five-docker.tar");
    const ociTar = join(tmp, "five-oci.tar");
    await skopeoCopy(`oci:${join(tmp, "five")}:latest`, `docker-archive:${dockerTar}:example.com/team/five:v2`);
    await skopeoCopy(`oci:${join(tmp, "five")}:latest`, `oci-archive:${ociTar}:v3`);
    const fromDocker = await fetchAndImport(`docker-archive:${dockerTar}`, opts());
    checkTree(fromDocker.rootfs);
    expect(fromDocker.img.manifest.name).toBe("example.com/team/five");
    expect(fromDocker.img.manifest.labels).toContainEqual({ name: "version", value: "v2" });
    expect(fromDocker.img.url).toBe(`docker-archive:${dockerTar}`);
    const fromOciTar = await fetchAndImport(`oci-archive:${ociTar}:v3`, opts());
    checkTree(fromOciTar.rootfs);
    expect(fromOciTar.img.manifest.name).toBe("five-oci");
    expect(fromOciTar.img.manifest.labels).toContainEqual({ name: "version", value: "v3" });
    const fromDir = await fetchAndImport(`oci:${join(tmp, "five")}`, opts());
    checkTree(fromDir.rootfs);
    expect(fromDir.img.manifest.app?.exec).toEqual(["/bin/sh", "-c", "echo hello"]);
    const ann = Object.fromEntries((fromDir.img.manifest.annotations ?? []).map((a) => [a.name, a.value]));
    expect(ann["appc.io/docker/manifesthash"]).toBe(five.manifestDigest);
    const wrong = await fetchDockerImage(`oci:${join(tmp, "five")}:nope`, opts()).catch((e) => e);
    expect(wrong.message).toContain(`cannot find image "nope"`);
    expect(wrong.message).toContain("it has latest");
  });
});

describe.skipIf(skip)("docker registries with token auth and TLS", () => {
  let token: TokenServer;
  let authReg: TestRegistry;
  let tlsReg: TestRegistry;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "rkt-docker-auth-test-"));
    writeOciLayout(join(tmp, "img"), { layerDirs: [busyboxRootfs(dir("auth-l0"))], config: { Cmd: ["/bin/sh"] } });
    token = startTokenServer(join(tmp, "token"), { users: { alice: "s3cret" }, anonymousPull: false });
    authReg = await startRegistry(join(tmp, "auth-registry"), { token });
    tlsReg = await startRegistry(join(tmp, "tls-registry"), { tls: true });
    await skopeoCopy(`oci:${join(tmp, "img")}:latest`, `docker://${authReg.host}/private/img:v1`, { destCreds: "alice:s3cret" });
    await skopeoCopy(`oci:${join(tmp, "img")}:latest`, `docker://${tlsReg.host}/tls/img:v1`);
  });
  afterAll(() => {
    authReg?.stop();
    tlsReg?.stop();
    token?.[Symbol.dispose]();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("without credentials the token server says no and the fetch fails", async () => {
    const err = await fetchDockerImage(`docker://${authReg.host}/private/img:v1`, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err.message).toContain("cannot get a registry token");
    expect(err.message).toContain("HTTP 401");
  });

  test("dockerAuth credentials get a Bearer token for the repository's pull scope", async () => {
    token.requests.length = 0;
    const creds = { [authReg.host]: { user: "alice", password: "s3cret" } };
    const { img } = await fetchAndImport(`docker://${authReg.host}/private/img:v1`, opts({ credentials: creds }));
    expect(img.manifest.app?.exec).toEqual(["/bin/sh"]);
    expect(token.requests).toEqual([{ scope: "repository:private/img:pull", user: "alice" }]);
  });

  test("a registry with an unknown certificate needs --insecure-options=tls", async () => {
    const refused = await fetchDockerImage(`docker://${tlsReg.host}/tls/img:v1`, opts({ http: false })).catch((e) => e);
    expect(refused).toBeInstanceOf(FetchError);
    expect(refused.message).toContain(`cannot reach registry "${tlsReg.host}"`);
    const { img } = await fetchAndImport(`docker://${tlsReg.host}/tls/img:v1`, opts({ http: false, insecureTls: true }));
    expect(img.manifest.name).toBe(`127.0.0.1_${tlsReg.host.split(":")[1]}/tls/img`);
  });
});
