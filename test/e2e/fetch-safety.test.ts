// What a bad or interrupted fetch leaves behind: malicious archives are refused with clear errors
// and write nothing outside cas/tmp (which is empty afterwards); concurrent fetches of one image
// import it once; a fetch killed with SIGKILL leaves no partial blob and no index row without one.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildAciFromEntries } from "../../core/aci/builder.ts";
import type { TarEntry } from "../../core/aci/tar.ts";
import { actoolBuild, manifestOf } from "../helpers/actool.ts";
import { rktContext } from "../helpers/context.ts";
import { requires } from "../helpers/requires.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const manifest: TarEntry = { name: "manifest", type: "file", data: enc(JSON.stringify(manifestOf({ name: "example.com/evil" }))) };
const rootfs: TarEntry = { name: "rootfs", type: "directory" };

const corpus: [string, TarEntry[], string][] = [
  ["path traversal", [manifest, rootfs, { name: "rootfs/../../escaped", type: "file", data: enc("x") }], "rootfs/../../escaped"],
  ["path traversal inside rootfs", [manifest, rootfs, { name: "rootfs/a/../../escaped", type: "file", data: enc("x") }], "escaped"],
  ["absolute path", [manifest, rootfs, { name: "/rootfs/abs", type: "file", data: enc("x") }], ""],
  ["symlink then a file through it", [manifest, rootfs, { name: "rootfs/link", type: "symlink", linkname: "/tmp" }, { name: "rootfs/link/escaped", type: "file", data: enc("x") }], ""],
  ["hardlink to outside", [manifest, rootfs, { name: "rootfs/hard", type: "link", linkname: "rootfs/../../../etc/passwd" }], ""],
  ["device node", [manifest, rootfs, { name: "rootfs/mem", type: "char", devmajor: 1, devminor: 1 }], "device"],
  ["manifest missing", [rootfs, { name: "rootfs/a", type: "file", data: enc("x") }], "no image manifest found"],
  ["manifest not JSON", [{ name: "manifest", type: "file", data: enc("{nope") }, rootfs], "manifest"],
  ["entry outside the layout", [manifest, rootfs, { name: "other", type: "file", data: enc("x") }], "unrecognized file path in layout"],
];

function storeIsClean(dir: string): void {
  expect(readdirSync(join(dir, "cas/tmp"))).toEqual([]);
  expect(existsSync(join(dir, "cas/blob/sha512")) ? readdirSync(join(dir, "cas/blob/sha512")) : []).toEqual([]);
  expect(readdirSync(join(dir, "cas/tree"))).toEqual([]);
}

describe("malicious and broken archives are refused", () => {
  for (const [what, entries, msg] of corpus) {
    test(what, async () => {
      using ctx = rktContext("rkt-evil");
      const aci = join(ctx.tmp, "evil.aci");
      await buildAciFromEntries({ entries, out: aci, compression: "gzip" });
      const r = ctx.rkt(["--insecure-options=image", "fetch", aci]);
      expect(r.code).toBe(254);
      expect(r.stderr).toMatch(/^rkt: /m);
      expect(r.stderr).not.toContain("    at ");
      if (msg) expect(r.stderr).toContain(msg);
      expect(existsSync(join(ctx.tmp, "escaped"))).toBe(false);
      expect(existsSync("/tmp/escaped")).toBe(false);
      storeIsClean(ctx.dir);
    });
  }

  test("a truncated gzip stream", async () => {
    using ctx = rktContext("rkt-evil");
    const good = join(ctx.tmp, "good.aci");
    await buildAciFromEntries({ entries: [manifest, rootfs, { name: "rootfs/big", type: "file", data: new Uint8Array(1 << 20).fill(7) }], out: good, compression: "gzip" });
    const bytes = await Bun.file(good).bytes();
    const cut = join(ctx.tmp, "cut.aci");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const r = ctx.rkt(["--insecure-options=image", "fetch", cut]);
    expect(r.code).toBe(254);
    storeIsClean(ctx.dir);
  });

  test("a decompression bomb stops at the size limit", async () => {
    using ctx = rktContext("rkt-evil");
    // 64 MiB of zeros in a gzip of about 64 KiB, against a 16 MiB limit.
    const tar = join(ctx.tmp, "bomb.tar");
    await buildAciFromEntries({ entries: [manifest, rootfs, { name: "rootfs/zeros", type: "file", data: new Uint8Array(64 << 20) }], out: tar, compression: "none" });
    const bomb = join(ctx.tmp, "bomb.aci");
    writeFileSync(bomb, gzipSync(await Bun.file(tar).bytes(), { level: 9 }));
    const r = ctx.rkt(["--insecure-options=image", "fetch", bomb], { env: { RKT_MAX_IMAGE_SIZE: String(16 << 20) } });
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("exceeds the limit");
    storeIsClean(ctx.dir);
  });
});

describe.skipIf(!!requires("actool"))("interrupted and concurrent fetches", () => {
  test("two concurrent fetches of one image import it once", async () => {
    using ctx = rktContext("rkt-conc");
    const aci = actoolBuild(ctx.tmp, { name: "example.com/conc", files: { "data/blob": "x".repeat(4 << 20) } }, join(ctx.tmp, "conc.aci"));
    const procs = [0, 1].map(() => Bun.spawn(ctx.argv(["--insecure-options=image", "fetch", aci]), { stdout: "pipe", stderr: "pipe" }));
    const outs = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text() })));
    expect(outs.map((o) => o.code)).toEqual([0, 0]);
    expect(outs[0]!.out).toBe(outs[1]!.out);
    expect(JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout)).toHaveLength(1);
    expect(readdirSync(join(ctx.dir, "cas/tree"))).toHaveLength(1);
    expect(readdirSync(join(ctx.dir, "cas/tmp"))).toEqual([]);
  });

  test("a fetch killed with SIGKILL leaves a consistent store, swept by the next fetch", async () => {
    using ctx = rktContext("rkt-kill");
    // Large enough that the kill lands mid-import.
    const random = Buffer.alloc(64 << 20);
    for (let i = 0; i < random.length; i += 65536) random.set(crypto.getRandomValues(new Uint8Array(65536)), i);
    const big = join(ctx.tmp, "big.bin");
    writeFileSync(big, random);
    const aci = actoolBuild(ctx.tmp, { name: "example.com/killed", files: { "data/big": { copy: big } } }, join(ctx.tmp, "killed.aci"));
    const p = Bun.spawn(ctx.argv(["--insecure-options=image", "fetch", aci]), { stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(150);
    p.kill("SIGKILL");
    await p.exited;
    // Whatever the kill interrupted: no index row, no blob, no tree without the others.
    const listed = JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout) as { id: string }[];
    const blobs = existsSync(join(ctx.dir, "cas/blob/sha512")) ? readdirSync(join(ctx.dir, "cas/blob/sha512")).flatMap((d) => readdirSync(join(ctx.dir, "cas/blob/sha512", d))) : [];
    expect(blobs.length).toBe(listed.length);
    // The next fetch sweeps the abandoned temp area and imports the image.
    const r = ctx.rkt(["--insecure-options=image", "fetch", aci]);
    expect(r.code).toBe(0);
    expect(readdirSync(join(ctx.dir, "cas/tmp"))).toEqual([]);
    expect(JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout)).toHaveLength(1);
  });
});
