// ffi/sync-fs.ts against node:fs itself: the same files read, written and listed give the same
// results, and the errors carry node's codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as node from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ours from "./sync-fs.ts";

let dir: string;
beforeAll(() => {
  dir = node.mkdtempSync(join(tmpdir(), "rkt-sync-fs-"));
});
afterAll(() => node.rmSync(dir, { recursive: true, force: true }));

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

describe("sync-fs reads what node:fs reads", () => {
  test("files: bytes, text, and /proc files whose size is 0", () => {
    const big = new Uint8Array(70_000).map((_, i) => i % 251);
    node.writeFileSync(join(dir, "big"), big);
    expect(ours.readFileSync(join(dir, "big"))).toEqual(node.readFileSync(join(dir, "big")));
    node.writeFileSync(join(dir, "text"), "héllo\n");
    expect(ours.readFileSync(join(dir, "text"), "utf8")).toBe("héllo\n");
    expect(ours.readFileSync("/proc/self/status", "utf8")).toStartWith("Name:");
    expect(ours.readFileSync("/proc/self/mountinfo", "utf8").length).toBeGreaterThan(0);
  });

  test("stat and lstat: the fields rkt uses, and node's throwIfNoEntry", () => {
    node.symlinkSync("text", join(dir, "link"));
    for (const p of [join(dir, "text"), join(dir, "link"), dir, "/dev/null"]) {
      for (const [a, b] of [[ours.statSync(p), node.statSync(p)], [ours.lstatSync(p), node.lstatSync(p)]] as const) {
        expect({ dev: a.dev, ino: a.ino, mode: a.mode, nlink: a.nlink, uid: a.uid, gid: a.gid, rdev: a.rdev, size: a.size, mtimeMs: Math.floor(a.mtimeMs) }).toEqual({
          dev: b.dev, ino: b.ino, mode: b.mode, nlink: b.nlink, uid: b.uid, gid: b.gid, rdev: b.rdev, size: b.size, mtimeMs: Math.floor(b.mtimeMs),
        });
        expect([a.isFile(), a.isDirectory(), a.isSymbolicLink(), a.isCharacterDevice(), a.isBlockDevice()]).toEqual([b.isFile(), b.isDirectory(), b.isSymbolicLink(), b.isCharacterDevice(), b.isBlockDevice()]);
        expect(a.mtime.getTime()).toBe(Math.floor(a.mtimeMs));
      }
    }
    expect(ours.statSync(join(dir, "missing"), { throwIfNoEntry: false })).toBeUndefined();
    expect(ours.statSync(join(dir, "text", "below"), { throwIfNoEntry: false })).toBeUndefined();
    expect(codeOf(() => ours.statSync(join(dir, "missing")))).toBe("ENOENT");
  });

  test("directories list the same names; existence and links as node sees them", () => {
    for (let i = 0; i < 300; i++) node.writeFileSync(join(dir, `n-${i}-${"x".repeat(i % 40)}`), "");
    expect(ours.readdirSync(dir).sort()).toEqual(node.readdirSync(dir).sort());
    expect(ours.existsSync(join(dir, "link"))).toBe(true);
    node.symlinkSync("nowhere", join(dir, "dangling"));
    expect(ours.existsSync(join(dir, "dangling"))).toBe(node.existsSync(join(dir, "dangling")));
    expect(ours.readlinkSync(join(dir, "dangling"))).toBe("nowhere");
    expect(codeOf(() => ours.readdirSync(join(dir, "text")))).toBe("ENOTDIR");
  });

  test("statfs: the filesystem's magic number", () => {
    expect(ours.statfsSync("/proc").type).toBe(node.statfsSync("/proc").type);
  });
});

describe("sync-fs writes as node:fs writes", () => {
  test("writeFileSync creates with its mode, truncates, and with flag wx refuses an existing file", () => {
    const p = join(dir, "w");
    ours.writeFileSync(p, "longer text", { mode: 0o600 });
    ours.writeFileSync(p, new Uint8Array([104, 105]));
    expect(node.readFileSync(p, "utf8")).toBe("hi");
    expect(node.statSync(p).mode & 0o777).toBe(0o600);
    expect(codeOf(() => ours.writeFileSync(p, "", { flag: "wx" }))).toBe("EEXIST");
  });

  test("mkdirSync: recursive makes the parents and accepts what exists; plain fails as node's", () => {
    const deep = join(dir, "a", "b", "c");
    ours.mkdirSync(deep, { recursive: true, mode: 0o750 });
    expect(node.statSync(deep).isDirectory()).toBe(true);
    expect(node.statSync(join(dir, "a")).mode & 0o777).toBe(0o750 & ~process.umask());
    ours.mkdirSync(deep, { recursive: true });
    expect(codeOf(() => ours.mkdirSync(deep))).toBe("EEXIST");
    expect(codeOf(() => ours.mkdirSync(join(dir, "text", "x"), { recursive: true }))).toBe("ENOTDIR");
    expect(codeOf(() => ours.mkdirSync(join(dir, "x", "y")))).toBe("ENOENT");
  });

  test("rmSync: recursive removes a tree (its links, not their targets); force ignores what is missing", () => {
    const tree = join(dir, "tree");
    node.mkdirSync(join(tree, "d", "e"), { recursive: true });
    node.writeFileSync(join(tree, "d", "e", "f"), "x");
    node.symlinkSync(join(dir, "text"), join(tree, "d", "to-text"));
    expect(codeOf(() => ours.rmSync(tree))).toBe("EISDIR");
    ours.rmSync(tree, { recursive: true, force: true });
    expect(node.existsSync(tree)).toBe(false);
    expect(node.existsSync(join(dir, "text"))).toBe(true);
    ours.rmSync(tree, { force: true });
    expect(codeOf(() => ours.rmSync(tree))).toBe("ENOENT");
  });

  test("fds: open with node's flags, write, read, fsync, close; rename, symlink, chmod, mkdtemp", () => {
    const p = join(dir, "fd");
    const fd = ours.openSync(p, "wx", 0o640);
    expect(ours.writeSync(fd, "abc")).toBe(3);
    ours.fsyncSync(fd);
    ours.closeSync(fd);
    const ap = ours.openSync(p, "a");
    ours.writeSync(ap, new Uint8Array([100]));
    ours.closeSync(ap);
    const rd = ours.openSync(p, "r");
    const buf = new Uint8Array(8);
    expect(ours.readSync(rd, buf)).toBe(4);
    ours.closeSync(rd);
    expect(new TextDecoder().decode(buf.subarray(0, 4))).toBe("abcd");
    // close-on-exec, as node opens
    const fd2 = ours.openSync(p, "r");
    expect(node.readFileSync(`/proc/self/fdinfo/${fd2}`, "utf8")).toMatch(/^flags:\s+0?2\d{6}$/m);
    ours.closeSync(fd2);
    ours.renameSync(p, `${p}-moved`);
    ours.symlinkSync("fd-moved", join(dir, "fd-link"));
    expect(node.readFileSync(join(dir, "fd-link"), "utf8")).toBe("abcd");
    ours.chmodSync(`${p}-moved`, 0o604);
    expect(node.statSync(`${p}-moved`).mode & 0o777).toBe(0o604);
    const t = ours.mkdtempSync(join(dir, "tmp-"));
    expect(t).toMatch(/\/tmp-[A-Za-z0-9]{6}$/);
    expect(node.statSync(t).mode & 0o777).toBe(0o700);
    ours.rmdirSync(t);
    expect(codeOf(() => ours.renameSync(join(dir, "missing"), join(dir, "x")))).toBe("ENOENT");
  });
});
