import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, linkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lsetxattr } from "../../ffi/xattr.ts";
import { requires } from "../../test/helpers/requires.ts";
import { TarParser, TarWriter, tarBytes, tarHeader, type TarEntry, type TarHeader, type TarSink } from "./tar.ts";

interface Parsed extends TarHeader {
  data: Buffer;
}

/** Parses `bytes` pushed in pieces of `step` bytes. */
function parse(bytes: Uint8Array, step = bytes.length, opts = {}): Parsed[] {
  const out: Parsed[] = [];
  let parts: Uint8Array[] = [];
  let finished = false;
  const sink: TarSink = {
    entry(h) {
      parts = [];
      out.push({ ...h, data: Buffer.alloc(0) });
    },
    data(c) {
      parts.push(c.slice());
    },
    end() {
      out[out.length - 1]!.data = Buffer.concat(parts);
    },
    finish() {
      finished = true;
    },
  };
  const p = new TarParser(sink, opts);
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
  p.finish();
  expect(finished).toBe(true);
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "rkt-tar-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LONG_DIR = "d".repeat(120);
const LONG_FILE = "f".repeat(150);

describe("TarWriter → TarParser", () => {
  const entries: TarEntry[] = [
    { name: "dir", type: "directory", mode: 0o2755, mtime: 1_600_000_000 },
    { name: "dir/file", type: "file", mode: 0o4755, uid: 1000, gid: 100, uname: "u", gname: "g", data: Buffer.from("hello") },
    { name: `${LONG_DIR}/${LONG_FILE}`, type: "file", data: new Uint8Array(1300).fill(7) },
    { name: `${"x".repeat(150)}/${"y".repeat(99)}`, type: "file", data: Buffer.from("split into prefix + name") },
    { name: "sym", type: "symlink", linkname: `/${LONG_DIR}/${LONG_FILE}` },
    { name: "hard", type: "link", linkname: "dir/file" },
    { name: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 },
    { name: "dev/big", type: "block", devmajor: 4_000_000, devminor: 5_000_000 },
    { name: "fifo", type: "fifo", mode: 0o600 },
    { name: "ünïcødé/名前", type: "file", data: Buffer.from("utf8") },
    { name: "ids", type: "file", uid: 5_000_000, gid: 6_000_000, uname: "n".repeat(40), mtime: 1234.5 },
    { name: "attrs", type: "file", xattrs: { "user.bin": new Uint8Array([0, 10, 255]), "security.capability": new Uint8Array(20).fill(1) } },
    { name: "old", type: "file", mtime: -5 },
  ];
  const bytes = tarBytes(entries);

  for (const step of [bytes.length, 512, 100, 7, 1]) {
    test(`round trip, pushed ${step} bytes at a time`, () => {
      const got = parse(bytes, step);
      expect(got.length).toBe(entries.length);
      for (const [i, e] of entries.entries()) {
        const { data, ...header } = got[i]!;
        expect(data).toEqual(Buffer.from(e.data ?? new Uint8Array(0)));
        // Directory names get the conventional trailing slash.
        expect(header).toEqual(tarHeader({ ...e, name: e.type === "directory" ? `${e.name}/` : e.name }));
      }
    });
  }

  test("is readable by GNU tar", () => {
    const file = join(tmp, "ours.tar");
    writeFileSync(file, bytes);
    const p = Bun.spawnSync(["tar", "-tvf", file]);
    expect(p.exitCode).toBe(0);
    const listing = p.stdout.toString();
    expect(listing).toContain(`${LONG_DIR}/${LONG_FILE}`);
    expect(listing).toContain("ünïcødé/名前");
    expect(listing).toContain("hard link to dir/file");
    expect(listing).toMatch(/-rwsr-xr-x u\/g\s+5 .* dir\/file/);
  });

  test("a data chunk is a view of the pushed chunk, not a copy", () => {
    const buf = tarBytes([{ name: "f", type: "file", data: new Uint8Array(2000).fill(1) }]);
    const seen: Uint8Array[] = [];
    const p = new TarParser({ entry() {}, data: (c) => void seen.push(c), end() {} });
    p.push(buf);
    p.finish();
    expect(seen.length).toBe(1);
    expect(seen[0]!.buffer).toBe(buf.buffer);
  });
});

describe("malformed archives", () => {
  const good = tarBytes([{ name: "a", type: "file", data: new Uint8Array(1000) }]);

  test("a bad header checksum is refused", () => {
    const bad = good.slice();
    bad[10] = 0x41;
    expect(() => parse(bad)).toThrow("cannot read tar archive: invalid header checksum at offset 0");
  });

  test("truncated inside the data", () => {
    expect(() => parse(good.subarray(0, 900))).toThrow('unexpected end of archive inside entry "a"');
  });

  test("truncated inside a header", () => {
    expect(() => parse(good.subarray(0, 300))).toThrow("unexpected end of archive inside a header");
  });

  test("without an end-of-archive marker", () => {
    expect(() => parse(good.subarray(0, 1536))).toThrow("no end-of-archive marker");
  });

  test("one end block is enough, anything after two is ignored", () => {
    expect(parse(good.subarray(0, 2048)).length).toBe(1);
    expect(parse(Buffer.concat([good, Buffer.from("trailing garbage")])).length).toBe(1);
  });

  test("a header after a zero block is refused", () => {
    const twice = Buffer.concat([good.subarray(0, 1536), new Uint8Array(512), good.subarray(0, 1536), new Uint8Array(1024)]);
    expect(() => parse(twice)).toThrow("data after an end-of-archive block at offset 2048");
  });

  test("entry size and count limits", () => {
    expect(() => parse(good, good.length, { maxEntrySize: 999 })).toThrow('entry "a" is 1000 bytes, more than the limit of 999');
    expect(parse(good, good.length, { maxEntrySize: 1000 }).length).toBe(1);
    const two = tarBytes([{ name: "a", type: "file" }, { name: "b", type: "file" }]);
    expect(() => parse(two, two.length, { maxEntries: 1 })).toThrow("more than 1 entries");
  });

  test("unknown entry types are refused", () => {
    const bad = good.slice();
    bad[156] = "S".charCodeAt(0); // GNU sparse
    fixChecksum(bad);
    expect(() => parse(bad)).toThrow('unsupported entry type "S" for "a"');
  });
});

function fixChecksum(b: Uint8Array): void {
  b.fill(0x20, 148, 156);
  const sum = b.subarray(0, 512).reduce((a, c) => a + c, 0);
  b.set(Buffer.from(sum.toString(8).padStart(6, "0") + "\0"), 148);
}

describe("archives written by other tools", () => {
  const src = join(tmp, "src");
  mkdirSync(join(src, LONG_DIR, "sub"), { recursive: true });
  writeFileSync(join(src, LONG_DIR, "sub", LONG_FILE), "long\n");
  writeFileSync(join(src, "a"), "x\n");
  linkSync(join(src, "a"), join(src, "a-hard"));
  symlinkSync(`${LONG_DIR}/sub/${LONG_FILE}`, join(src, "long-link"));
  lsetxattr(join(src, "a"), "user.k", new Uint8Array([0, 1, 255]));

  function tarOf(argv: string[]): Parsed[] {
    const out = join(tmp, "other.tar");
    const p = Bun.spawnSync([...argv, out, "-C", src, "."], { stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    return parse(readFileSync(out), 4096);
  }

  function check(got: Parsed[], xattrs: boolean): void {
    const by = new Map(got.map((e) => [e.name.replace(/^\.\//, "").replace(/\/$/, ""), e]));
    expect(by.get(`${LONG_DIR}/sub/${LONG_FILE}`)?.data.toString()).toBe("long\n");
    expect(by.get(`${LONG_DIR}/sub`)?.type).toBe("directory");
    expect(by.get("long-link")).toMatchObject({ type: "symlink", linkname: `${LONG_DIR}/sub/${LONG_FILE}` });
    const [first, second] = by.get("a")!.type === "file" ? ["a", "a-hard"] : ["a-hard", "a"];
    expect(by.get(first)?.data.toString()).toBe("x\n");
    expect(by.get(second)).toMatchObject({ type: "link", size: 0 });
    expect(by.get(second)!.linkname.replace(/^\.\//, "")).toBe(first);
    if (xattrs) expect(by.get("a")!.xattrs).toEqual({ "user.k": new Uint8Array([0, 1, 255]) });
  }

  test("GNU tar, gnu format (L/K long names)", () => {
    check(tarOf(["tar", "--format=gnu", "-cf"]), false);
  });

  test("GNU tar, default format with --xattrs (SCHILY records)", () => {
    check(tarOf(["tar", "--xattrs", "-cf"]), true);
  });

  test("GNU tar, posix (pax) format with --xattrs", () => {
    check(tarOf(["tar", "--xattrs", "--format=posix", "-cf"]), true);
  });

  test("GNU tar, base-256 and pax numbers", () => {
    for (const format of ["gnu", "posix"]) {
      const got = tarOf(["tar", `--format=${format}`, "--owner=x:3000000", "--group=y:3000001", "-cf"]);
      expect(got.find((e) => e.name === "./a")).toMatchObject({ uid: 3_000_000, gid: 3_000_001, uname: "x", gname: "y" });
    }
  });

  test("GNU tar, pax global headers apply to the entries after them", () => {
    const got = tarOf(["tar", "--format=posix", "--pax-option=globexthdr.name=g,uname:=glob", "-cf"]);
    expect(got.every((e) => e.uname === "glob")).toBe(true);
  });

  describe.skipIf(!!requires("busybox"))("busybox tar", () => {
    test("busybox tar -c", () => {
      check(tarOf(["busybox", "tar", "-cf"]), false);
    });
  });
});

describe("TarWriter as a sink", () => {
  test("refuses more or less data than the declared size", () => {
    const w = new TarWriter(() => {});
    w.entry(tarHeader({ name: "a", type: "file", size: 3 }));
    expect(() => w.data(new Uint8Array(4))).toThrow('cannot write tar entry "a": more data than its size');
    w.data(new Uint8Array(2));
    expect(() => w.end()).toThrow('cannot write tar entry "a": 1 bytes of data missing');
  });
});
