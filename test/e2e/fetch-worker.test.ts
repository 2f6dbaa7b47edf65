// The compiled binary imports big images on a worker thread (core/store/import-pass.ts; the worker is
// an entry point of its own in the executable, release/build.ts): from a file and over https, with
// the same image ID as the bytes say, and a failure or a dropped connection storing nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { tarBytes, type TarEntry } from "../../core/aci/tar.ts";
import { WORKER_MIN_INPUT } from "../../core/store/import-pass.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { makeTestCA, rktAsync, startDroppingServer, startHttpsServer, type TestCA } from "../helpers/https-server.ts";

const WORKER_LINE = "decompressing and hashing on a worker thread";
const enc = (s: string) => new TextEncoder().encode(s);
const manifest: TarEntry = {
  name: "manifest",
  type: "file",
  data: enc(JSON.stringify({ acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/big", labels: [{ name: "os", value: "linux" }, { name: "arch", value: "amd64" }] })),
};

let work: RktContext;
let ca: TestCA;
let big: Uint8Array;
let bigFile: string;
let bigID: string;
beforeAll(() => {
  work = rktContext("fetch-worker");
  ca = makeTestCA(join(work.tmp, "ca"));
  const noise = new Uint8Array(20 << 20);
  for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
  const tar = tarBytes([manifest, { name: "rootfs", type: "directory" }, { name: "rootfs/noise", type: "file", data: noise }, { name: "rootfs/etc/motd", type: "file", data: enc("hi\n") }]);
  big = gzipSync(tar, { level: 1 });
  bigFile = join(work.tmp, "big.aci");
  writeFileSync(bigFile, big);
  bigID = `sha512-${new Bun.CryptoHasher("sha512").update(tar).digest("hex").slice(0, 32)}`;
});
afterAll(() => work?.[Symbol.dispose]());

const images = (ctx: RktContext) => JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout || "[]") as { id: string }[];

describe("rkt fetch of a big image on a worker thread", () => {
  test("from a file: the worker is used for the big image only, and the image is stored whole", () => {
    expect(big.length).toBeGreaterThan(WORKER_MIN_INPUT);
    using ctx = rktContext("fetch-worker");
    const r = ctx.rkt(["--debug", "--insecure-options=image", "fetch", bigFile]);
    expect(r.stderr).toContain(WORKER_LINE);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${bigID}\n`);
    const out = join(ctx.tmp, "out");
    expect(ctx.rkt(["image", "extract", "--rootfs-only", bigID, out]).code).toBe(0);
    expect(Bun.file(join(out, "etc/motd")).size).toBe(3);
    expect(Bun.file(join(out, "noise")).size).toBe(20 << 20);

    const small = join(ctx.tmp, "small.aci");
    writeFileSync(small, gzipSync(tarBytes([manifest, { name: "rootfs", type: "directory" }])));
    const s = ctx.rkt(["--debug", "--insecure-options=image", "fetch", small]);
    expect(s.code).toBe(0);
    expect(s.stderr).not.toContain(WORKER_LINE);
  });

  test("over https, and a corrupt or cut image stores nothing", async () => {
    using ctx = rktContext("fetch-worker");
    using srv = startHttpsServer({ ca });
    srv.files.set("/big.aci", { body: big });
    const corrupt = new Uint8Array(big); // a copy (a Buffer's slice() is a view)
    corrupt.fill(0x55, 12 << 20, (12 << 20) + 4096);
    srv.files.set("/corrupt.aci", { body: corrupt });

    const bad = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", `${srv.url}/corrupt.aci`], { env: srv.env() });
    expect(bad.stderr).toContain(WORKER_LINE);
    expect(bad.code).toBe(254);
    // the decompressor on the worker or the tar parser reading what it let through first: either refuses
    expect(bad.stderr).toMatch(/cannot decompress gzip image|cannot read tar archive/);
    expect(images(ctx)).toEqual([]);
    expect(readdirSync(join(ctx.dir, "cas/tmp"))).toEqual([]);

    using dropping = startDroppingServer(ca, big, 12 << 20);
    const cut = await rktAsync(ctx, ["--insecure-options=image", "fetch", `${dropping.url}/big.aci`], { env: srv.env() });
    expect(cut.code).toBe(254);
    // a reset connection drops what the client had not read yet: up to the 12 MiB sent arrive
    const lost = new RegExp(`connection lost after (\\d+) of ${big.length} bytes`).exec(cut.stderr);
    expect(lost).not.toBeNull();
    expect(Number(lost![1])).toBeLessThanOrEqual(12 << 20);
    expect(images(ctx)).toEqual([]);
    // only the part kept for a resumed download, no import work area
    expect(readdirSync(join(ctx.dir, "cas/tmp")).filter((n) => !n.startsWith("download-"))).toEqual([]);

    const good = await rktAsync(ctx, ["--debug", "--insecure-options=image", "fetch", `${srv.url}/big.aci`], { env: srv.env() });
    expect(good.stderr).toContain(WORKER_LINE);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe(`${bigID}\n`);
    expect(images(ctx).map((i) => i.id)).toHaveLength(1);
  });
});
