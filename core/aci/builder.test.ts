import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lgetxattr, lsetxattr } from "../../ffi/xattr.ts";
import { busyboxAci, busyboxManifest, busyboxRootfs } from "../../test/helpers/images.ts";
import { requires } from "../../test/helpers/requires.ts";
import { buildAci } from "./builder.ts";
import { decompress } from "./compression.ts";
import { extractTar } from "./extract.ts";
import { AciLayoutSink } from "./layout.ts";
import { TarParser, type TarHeader, type TarSink } from "./tar.ts";

const tmp = fs.mkdtempSync(join(tmpdir(), "rkt-builder-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The headers of an ACI's rootfs (through the layout check) and its manifest. */
async function readAci(file: string): Promise<{ headers: TarHeader[]; manifest: Record<string, unknown> }> {
  const headers: TarHeader[] = [];
  const rootfs: TarSink = { entry: (h) => void headers.push(h), data() {}, end() {} };
  const layout = new AciLayoutSink(rootfs);
  const p = new TarParser(layout);
  for await (const c of decompress(Bun.file(file).stream())) p.push(c);
  p.finish();
  return { headers, manifest: JSON.parse(Buffer.from(layout.manifest()).toString()) };
}

/** A rootfs exercising what the builder must carry: modes, links, a fifo, xattrs, old mtimes. */
function sampleRootfs(dir: string): string {
  busyboxRootfs(dir);
  fs.linkSync(join(dir, "bin/busybox"), join(dir, "bin/busybox-hard"));
  fs.writeFileSync(join(dir, "bin/suid"), "x");
  fs.chmodSync(join(dir, "bin/suid"), 0o4755);
  fs.mkdirSync(join(dir, "tmp"));
  fs.chmodSync(join(dir, "tmp"), 0o1777);
  Bun.spawnSync(["mkfifo", join(dir, "tmp/fifo")]);
  lsetxattr(join(dir, "etc/passwd"), "user.note", Buffer.from("hello"));
  fs.utimesSync(join(dir, "etc/group"), 1_000_000_000, 1_000_000_000);
  return dir;
}

describe("buildAci", () => {
  const rootfs = sampleRootfs(join(tmp, "rootfs"));

  test("writes every kind of entry, sorted, parents first, hardlinks as hardlinks", async () => {
    const out = join(tmp, "sample.aci");
    await buildAci({ manifest: busyboxManifest(), rootfs, out });
    const { headers, manifest } = await readAci(out);
    expect(manifest.name).toBe("example.com/busybox");
    const names = headers.map((h) => h.name);
    expect(names[0]).toBe(".");
    expect(names.slice(1, 4)).toEqual(["bin", "bin/busybox", "bin/busybox-hard"]);
    const by = new Map(headers.map((h) => [h.name, h]));
    expect(by.get("bin/busybox-hard")).toMatchObject({ type: "link", linkname: "bin/busybox" });
    expect(by.get("bin/sh")).toMatchObject({ type: "symlink", linkname: "busybox" });
    expect(by.get("bin/suid")!.mode).toBe(0o4755);
    expect(by.get("tmp")!.mode).toBe(0o1777);
    expect(by.get("tmp/fifo")!.type).toBe("fifo");
    expect(by.get("etc/passwd")!.xattrs).toEqual({ "user.note": new Uint8Array(Buffer.from("hello")) });
    expect(by.get("etc/group")!.mtime).toBe(1_000_000_000);
  });

  test("the same tree gives the same bytes", async () => {
    for (const compression of ["none", "gzip"] as const) {
      await buildAci({ manifest: busyboxManifest(), rootfs, out: join(tmp, "d1.aci"), compression });
      await buildAci({ manifest: busyboxManifest(), rootfs, out: join(tmp, "d2.aci"), compression });
      expect(fs.readFileSync(join(tmp, "d1.aci")).equals(fs.readFileSync(join(tmp, "d2.aci")))).toBe(true);
    }
  });

  test("round trip through the extractor keeps the tree", async () => {
    const out = join(tmp, "rt.aci");
    await buildAci({ manifest: busyboxManifest(), rootfs, out, compression: "none" });
    const dest = join(tmp, "rt");
    extractTar(out, dest, { rootfsOnly: true });
    // Archives keep whole seconds.
    const list = (d: string) =>
      Bun.spawnSync(["find", ".", "-printf", "%p %M %U %G %T@ %l %n %s\n"], { cwd: d })
        .stdout.toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.replace(/ (\d+)\.\d+ /, " $1 "))
        .sort();
    expect(list(dest).filter((l) => !l.startsWith(". "))).toEqual(list(rootfs).filter((l) => !l.startsWith(". ")));
    expect(lgetxattr(join(dest, "etc/passwd"), "user.note")).toEqual(new Uint8Array(Buffer.from("hello")));
  });

  test("refuses a manifest that is not JSON and a rootfs that is not a directory", async () => {
    const out = join(tmp, "bad.aci");
    await expect(buildAci({ manifest: "{nope", rootfs, out })).rejects.toThrow(`cannot build image "${out}": the manifest is not valid JSON`);
    await expect(buildAci({ manifest: {}, rootfs: join(rootfs, "etc/passwd"), out })).rejects.toThrow("is not a directory");
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe.skipIf(!!requires("actool", "busybox"))("against appc's actool", () => {
  for (const compression of ["gzip", "none", "xz", "bzip2"] as const) {
    test(`actool validate accepts our ${compression} ACI`, async () => {
      const out = join(tmp, `busybox-${compression}.aci`);
      await busyboxAci(out, {}, { compression });
      const p = Bun.spawnSync(["actool", "validate", out], { stderr: "pipe" });
      expect(p.stderr.toString()).toBe("");
      expect(p.exitCode).toBe(0);
    });
  }

  test("actool validate refuses a broken manifest (the check has teeth)", async () => {
    const out = join(tmp, "broken.aci");
    await busyboxAci(out, { acKind: "PodManifest" });
    expect(Bun.spawnSync(["actool", "validate", out]).exitCode).not.toBe(0);
  });

  test("actool build output parses through our layout check", async () => {
    const layout = join(tmp, "layout");
    sampleRootfs(join(layout, "rootfs"));
    fs.writeFileSync(join(layout, "manifest"), JSON.stringify(busyboxManifest()));
    const out = join(tmp, "actool.aci");
    const p = Bun.spawnSync(["actool", "build", "--overwrite", layout, out], { stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    const { headers, manifest } = await readAci(out);
    expect(manifest.name).toBe("example.com/busybox");
    const by = new Map(headers.map((h) => [h.name, h]));
    expect(by.get("bin/busybox")?.type).toBe("file");
    expect(by.get("bin/sh")).toMatchObject({ type: "symlink", linkname: "busybox" });
    expect(by.get("bin/suid")?.mode).toBe(0o4755);
    const dest = join(tmp, "actool-rootfs");
    const blob = join(tmp, "actool.tar");
    fs.writeFileSync(blob, Bun.gunzipSync(fs.readFileSync(out)));
    extractTar(blob, dest, { rootfsOnly: true });
    expect(Bun.spawnSync([join(dest, "bin/busybox"), "echo", "ok"]).stdout.toString()).toBe("ok\n");
  });
});
