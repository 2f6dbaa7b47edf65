import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { lgetxattr } from "../../ffi/xattr.ts";
import { buildAciFromEntries } from "./builder.ts";
import { decompress, type DecompressOptions } from "./compression.ts";
import { extractTar, SafeExtractor, type ExtractOptions } from "./extract.ts";
import { AciLayoutSink } from "./layout.ts";
import { TarParser, tarBytes, type TarEntry, type TarParserOptions } from "./tar.ts";

const base = fs.mkdtempSync(join(tmpdir(), "rkt-extract-test-"));
const archives = join(base, "archives");
fs.mkdirSync(archives);
afterAll(() => {
  // Some trees hold read-only directories, which a non-root user cannot empty otherwise.
  Bun.spawnSync(["chmod", "-R", "u+rwX", base]);
  fs.rmSync(base, { recursive: true, force: true });
});

/** Per test: `root` is the target; `outside` a sibling holding a file an attack would overwrite. */
let n = 0;
let root = "";
let outside = "";
beforeEach(() => {
  const dir = join(base, String(n++));
  root = join(dir, "root");
  outside = join(dir, "outside");
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(join(outside, "secret"), "untouched");
});

/** Every path below `dir` (except the target root) with its type and content: to prove nothing changed there. */
function snapshot(dir: string, out: Record<string, string> = {}, prefix = ""): Record<string, string> {
  for (const name of fs.readdirSync(dir)) {
    const rel = prefix + name;
    if (rel === "root") continue;
    const p = join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) snapshot(p, out, `${rel}/`);
    out[rel] = st.isFile() ? `file ${fs.readFileSync(p, "utf8")}` : st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : `${st.mode}`;
  }
  return out;
}

/** The import pipeline in small: file → decompress → tar → layout check → safe extraction. */
async function importAci(file: string, opts: ExtractOptions & TarParserOptions & DecompressOptions = {}): Promise<string> {
  const layout = new AciLayoutSink(new SafeExtractor(root, opts));
  const parser = new TarParser(layout, opts);
  for await (const c of decompress(Bun.file(file).stream(), opts)) parser.push(c);
  parser.finish();
  return Buffer.from(layout.manifest()).toString();
}

const MANIFEST: TarEntry = { name: "manifest", type: "file", data: Buffer.from('{"acKind":"ImageManifest"}') };
const ROOTFS: TarEntry = { name: "rootfs", type: "directory" };

async function aciOf(entries: TarEntry[], compression: "none" | "gzip" = "none"): Promise<string> {
  const file = join(archives, `image-${n}.aci`);
  await buildAciFromEntries({ entries, out: file, compression });
  return file;
}

/** Plain tar straight into the extractor (no layout check), as `extractTar` does. */
function extractPlain(entries: TarEntry[], opts: ExtractOptions = {}): void {
  const file = join(archives, `plain-${n}.tar`);
  fs.writeFileSync(file, tarBytes(entries));
  extractTar(file, root, opts);
}

describe("malicious archives are refused and nothing is written outside the root", () => {
  const cases: [string, () => Promise<unknown> | unknown, string][] = [
    ["path traversal in an ACI", async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/../../outside/secret", type: "file", data: Buffer.from("pwned") }])), 'unrecognized file path in layout: "rootfs/../../outside/secret"'],
    ["path traversal in a plain tar", () => extractPlain([{ name: "a/../../outside/secret", type: "file", data: Buffer.from("pwned") }]), 'cannot extract file "a/../../outside/secret": path escapes the target directory'],
    ["an absolute path in an ACI", async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "/rootfs/x", type: "file" }])), 'unrecognized file path in layout: "/rootfs/x"'],
    ["an absolute path in a plain tar", () => extractPlain([{ name: "/tmp/x", type: "file" }]), 'cannot extract file "/tmp/x": path escapes the target directory'],
    [
      "a symlink, then a file through it",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/a", type: "symlink", linkname: "../../outside" }, { name: "rootfs/a/secret", type: "file", data: Buffer.from("pwned") }])),
      'cannot extract file "a/secret": its parent "a" is a symlink, which extraction never follows',
    ],
    [
      "a symlink to a directory outside, then a file under it",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/etc", type: "symlink", linkname: outside }, { name: "rootfs/etc/sub/secret", type: "file", data: Buffer.from("pwned") }])),
      'its parent "etc" is a symlink',
    ],
    [
      "a directory replaced by a symlink, then a file through it",
      () => extractPlain([{ name: "a", type: "directory" }, { name: "a/x", type: "file" }, { name: "a", type: "symlink", linkname: outside }, { name: "a/secret", type: "file", data: Buffer.from("pwned") }]),
      'cannot extract file "a/secret": its parent "a" is a symlink',
    ],
    [
      "a symlink, then a directory through it",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/d", type: "symlink", linkname: "/" }, { name: "rootfs/d/tmp", type: "directory" }])),
      'cannot extract directory "d/tmp": its parent "d" is a symlink',
    ],
    [
      "a hardlink to outside",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/h", type: "link", linkname: "rootfs/../../outside/secret" }])),
      'hardlink "rootfs/h" points outside rootfs',
    ],
    ["a hardlink to outside in a plain tar", () => extractPlain([{ name: "h", type: "link", linkname: "../outside/secret" }]), 'cannot extract link "h": hardlink target "../outside/secret" is outside the target directory'],
    [
      "a hardlink through a symlink",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/s", type: "symlink", linkname: outside }, { name: "rootfs/h", type: "link", linkname: "rootfs/s/secret" }])),
      'cannot extract link "h": its parent "s" is a symlink',
    ],
    [
      "a hardlink to something missing",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/h", type: "link", linkname: "rootfs/nothere" }])),
      'cannot extract link "h": hardlink target "nothere" does not exist',
    ],
    [
      "a device node when not allowed",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/dev/sda", type: "block", devmajor: 8, devminor: 0 }])),
      'cannot extract block "dev/sda": device nodes are not allowed',
    ],
    [
      "a decompression bomb (entry size limit)",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/zeros", type: "file", data: new Uint8Array(64 << 20) }], "gzip"), { maxEntrySize: 1 << 20 }),
      'entry "rootfs/zeros" is 67108864 bytes, more than the limit of 1048576',
    ],
    [
      "a decompression bomb (output limit)",
      async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/zeros", type: "file", data: new Uint8Array(64 << 20) }], "gzip"), { maxOutput: 8 << 20 }),
      "cannot decompress gzip image: output exceeds the limit of 8388608 bytes",
    ],
    [
      "a truncated tar",
      async () => {
        const file = await aciOf([MANIFEST, ROOTFS, { name: "rootfs/f", type: "file", data: new Uint8Array(5000) }]);
        fs.truncateSync(file, 3000);
        return importAci(file);
      },
      'cannot read tar archive: unexpected end of archive inside entry "rootfs/f"',
    ],
    [
      "a truncated gzip",
      async () => {
        const file = await aciOf([MANIFEST, ROOTFS, { name: "rootfs/f", type: "file", data: crypto.getRandomValues(new Uint8Array(50000)) }], "gzip");
        fs.truncateSync(file, fs.statSync(file).size - 100);
        return importAci(file);
      },
      "cannot decompress gzip image: unexpected end of data",
    ],
    ["a missing manifest", async () => importAci(await aciOf([ROOTFS, { name: "rootfs/f", type: "file" }])), "no image manifest found"],
    ["a manifest that is not a regular file", async () => importAci(await aciOf([{ name: "manifest", type: "symlink", linkname: "/etc/passwd" }, ROOTFS])), "manifest is a symlink, expected a regular file"],
    ["duplicate entries", async () => importAci(await aciOf([MANIFEST, ROOTFS, { name: "rootfs/f", type: "file" }, { name: "rootfs/f", type: "symlink", linkname: "/" }])), 'duplicate entry "rootfs/f"'],
  ];

  for (const [what, run, message] of cases) {
    test(what, async () => {
      const before = snapshot(join(outside, ".."));
      let error: unknown;
      try {
        await run();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(message);
      expect(snapshot(join(outside, ".."))).toEqual(before);
    });
  }
});

describe("replacing existing paths never follows symlinks", () => {
  test("a file replaces a symlink instead of writing through it", () => {
    extractPlain([
      { name: "a", type: "symlink", linkname: join(outside, "secret") },
      { name: "a", type: "file", data: Buffer.from("mine") },
    ]);
    expect(fs.readFileSync(join(outside, "secret"), "utf8")).toBe("untouched");
    expect(fs.lstatSync(join(root, "a")).isFile()).toBe(true);
    expect(fs.readFileSync(join(root, "a"), "utf8")).toBe("mine");
  });

  test("a directory replaces a symlink to a directory (appc rendering), and later files land inside it", () => {
    extractPlain([
      { name: "d", type: "symlink", linkname: outside },
      { name: "d", type: "directory" },
      { name: "d/secret", type: "file", data: Buffer.from("mine") },
    ]);
    expect(fs.readFileSync(join(outside, "secret"), "utf8")).toBe("untouched");
    expect(fs.lstatSync(join(root, "d")).isDirectory()).toBe(true);
    expect(fs.readFileSync(join(root, "d/secret"), "utf8")).toBe("mine");
  });

  test("a hardlink to a symlink links the symlink; a file written there later replaces it", () => {
    extractPlain([
      { name: "s", type: "symlink", linkname: join(outside, "secret") },
      { name: "h", type: "link", linkname: "s" },
      { name: "h", type: "file", data: Buffer.from("mine") },
    ]);
    expect(fs.readFileSync(join(outside, "secret"), "utf8")).toBe("untouched");
    expect(fs.readlinkSync(join(root, "s"))).toBe(join(outside, "secret"));
    expect(fs.readFileSync(join(root, "h"), "utf8")).toBe("mine");
  });

  test("a file replaces a directory and its contents; a directory over a directory keeps them", () => {
    extractPlain([
      { name: "d/x", type: "file" },
      { name: "d/out", type: "symlink", linkname: outside },
      { name: "d", type: "file", data: Buffer.from("now a file") },
      { name: "e/y", type: "file", data: Buffer.from("kept") },
      { name: "e", type: "directory", mode: 0o750 },
    ]);
    expect(fs.readFileSync(join(root, "d"), "utf8")).toBe("now a file");
    expect(fs.readFileSync(join(outside, "secret"), "utf8")).toBe("untouched");
    expect(fs.readFileSync(join(root, "e/y"), "utf8")).toBe("kept");
    expect(fs.statSync(join(root, "e")).mode & 0o7777).toBe(0o750);
  });
});

describe("what extraction preserves", () => {
  const T = 1_500_000_000;
  test("modes with setuid/setgid/sticky, mtimes of files, symlinks and directories, hardlinks, fifos", () => {
    extractPlain([
      { name: "bin", type: "directory", mode: 0o555, mtime: T },
      { name: "bin/su", type: "file", mode: 0o4755, mtime: T + 1, data: Buffer.from("#!") },
      { name: "bin/sg", type: "file", mode: 0o2711, mtime: T + 2 },
      { name: "bin/sh", type: "symlink", linkname: "su", mtime: T + 3 },
      { name: "bin/su2", type: "link", linkname: "bin/su" },
      { name: "tmp", type: "directory", mode: 0o1777, mtime: T + 4 },
      { name: "tmp/fifo", type: "fifo", mode: 0o640, mtime: T + 5 },
      { name: "frac", type: "file", mtime: T + 0.25 },
    ]);
    const st = (p: string) => fs.lstatSync(join(root, p));
    expect(st("bin").mode & 0o7777).toBe(0o555);
    expect(st("bin").mtimeMs).toBe(T * 1000);
    expect(st("bin/su").mode & 0o7777).toBe(0o4755);
    expect(st("bin/su").mtimeMs).toBe((T + 1) * 1000);
    expect(st("bin/sg").mode & 0o7777).toBe(0o2711);
    expect(st("bin/sh").isSymbolicLink()).toBe(true);
    expect(st("bin/sh").mtimeMs).toBe((T + 3) * 1000);
    expect(st("bin/su2").ino).toBe(st("bin/su").ino);
    expect(st("tmp").mode & 0o7777).toBe(0o1777);
    expect(st("tmp").mtimeMs).toBe((T + 4) * 1000);
    expect(st("tmp/fifo").isFIFO()).toBe(true);
    expect(st("tmp/fifo").mode & 0o7777).toBe(0o640);
    expect(st("frac").mtimeMs).toBe((T + 0.25) * 1000);
  });

  test("user xattrs", () => {
    extractPlain([{ name: "f", type: "file", xattrs: { "user.a": new Uint8Array([1, 2, 0, 255]) } }]);
    expect(lgetxattr(join(root, "f"), "user.a")).toEqual(new Uint8Array([1, 2, 0, 255]));
  });

  test("a pathWhitelist keeps only listed files (directories always)", () => {
    extractPlain(
      [
        { name: "etc", type: "directory" },
        { name: "etc/passwd", type: "file", data: Buffer.from("root") },
        { name: "etc/shadow", type: "file", data: Buffer.from("secret") },
        { name: "var/empty", type: "directory" },
      ],
      { whitelist: new Set(["/etc/passwd"]) },
    );
    expect(fs.existsSync(join(root, "etc/passwd"))).toBe(true);
    expect(fs.existsSync(join(root, "etc/shadow"))).toBe(false);
    expect(fs.statSync(join(root, "var/empty")).isDirectory()).toBe(true);
  });

  test("extractTar with rootfsOnly returns the manifest", () => {
    const file = join(archives, `aci-${n}.tar`);
    fs.writeFileSync(file, tarBytes([MANIFEST, ROOTFS, { name: "rootfs/x", type: "file", data: Buffer.from("y") }]));
    const m = extractTar(file, root, { rootfsOnly: true });
    expect(Buffer.from(m!).toString()).toBe('{"acKind":"ImageManifest"}');
    expect(fs.readdirSync(root)).toEqual(["x"]);
  });

  test("errors name the entry", () => {
    fs.mkdirSync(root);
    fs.writeFileSync(join(root, "blocker"), "");
    expect(() => extractPlain([{ name: "blocker/x", type: "file" }])).toThrow('cannot extract file "blocker/x": its parent "blocker" is not a directory');
  });

  test("a gzip-compressed plain stream through the extractor", async () => {
    const gz = gzipSync(tarBytes([{ name: "a/b/c", type: "file", data: Buffer.from("deep") }]));
    const ex = new SafeExtractor(root);
    const p = new TarParser(ex);
    for await (const c of decompress((async function* () {
      yield gz;
    })())) p.push(c);
    p.finish();
    expect(fs.readFileSync(join(root, "a/b/c"), "utf8")).toBe("deep");
  });
});
