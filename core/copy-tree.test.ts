// copyTree against `cp -a` (GNU coreutils) on the same tree: every entry's type, mode, owner, size,
// link count, device number, mtime, symlink target and user xattrs must come out the same.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mknod } from "../ffi/fs.ts";
import { lgetxattr, llistxattr, lsetxattr } from "../ffi/xattr.ts";
import { requires } from "../test/helpers/requires.ts";
import { copyTree } from "./copy-tree.ts";
import { formatError } from "./log.ts";

let work: string;
const past = new Date("2020-02-02T02:02:02Z");

/** Every entry below `root` (itself as "."), described by what a copy must keep. */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const xattrs = llistxattr(p).filter((n) => n.startsWith("user.")).sort().map((n) => `${n}=${Buffer.from(lgetxattr(p, n)!).toString()}`);
    const target = st.isSymbolicLink() ? readlinkSync(p) : "";
    const size = st.isDirectory() ? "" : st.size;
    out[rel] = `mode=${st.mode.toString(8)} owner=${st.uid}:${st.gid} size=${size} nlink=${st.isDirectory() ? "" : st.nlink} rdev=${st.rdev} mtime=${st.mtimeMs} -> ${target} ${xattrs.join(",")}`;
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(rel === "." ? name : `${rel}/${name}`);
  };
  walk(".");
  return out;
}

describe.skipIf(!!requires("root"))("copyTree", () => {
  let src: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "copy-tree-"));
    src = join(work, "src");
    mkdirSync(join(src, "d/e"), { recursive: true });
    writeFileSync(join(src, "a"), "linked");
    linkSync(join(src, "a"), join(src, "d/a-link"));
    lsetxattr(join(src, "a"), "user.rkt", new TextEncoder().encode("kept"));
    writeFileSync(join(src, "d/suid"), "#!/bin/sh\n");
    chownSync(join(src, "d/suid"), 1000, 1001);
    chmodSync(join(src, "d/suid"), 0o4755);
    symlinkSync("../a", join(src, "d/s"));
    lchownSync(join(src, "d/s"), 1002, 1002);
    lutimesSync(join(src, "d/s"), past, past);
    mknod(join(src, "fifo"), 0o010640, 0, 0);
    mknod(join(src, "null"), 0o020666, 1, 3);
    chmodSync(join(src, "d"), 0o1777);
    chmodSync(join(src, "d/e"), 0o750);
    chownSync(join(src, "d/e"), 7, 8);
    for (const p of ["a", "d/suid", "fifo", "null", "d/e", "d", "."]) utimesSync(join(src, p), past, past);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("keeps what cp -a keeps", () => {
    const ours = join(work, "ours");
    const theirs = join(work, "theirs");
    mkdirSync(theirs);
    expect(Bun.spawnSync(["cp", "-a", `${src}/.`, theirs]).exitCode).toBe(0);
    copyTree(src, ours);
    const want = describeTree(theirs);
    expect(Object.keys(want)).toHaveLength(9);
    expect(describeTree(ours)).toEqual(want);
    expect(describeTree(ours)).toEqual(describeTree(src));
  });

  test("a copy that cannot be made says what and why", () => {
    let err: unknown;
    try {
      copyTree(join(work, "missing"), join(work, "nowhere"));
    } catch (e) {
      err = e;
    }
    expect(formatError(err)).toMatch(/^rkt: cannot copy ".*missing" to ".*nowhere": .*no such file or directory/i);
  });
});
