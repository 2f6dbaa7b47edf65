// Extraction as root: owners, setuid kept across chown, privileged xattrs, device nodes, and a
// busybox ACI that runs after extraction.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lgetxattr } from "../../ffi/xattr.ts";
import { decompress } from "../../core/aci/compression.ts";
import { extractTar, SafeExtractor, type ExtractOptions } from "../../core/aci/extract.ts";
import { AciLayoutSink } from "../../core/aci/layout.ts";
import { TarParser, tarBytes, type TarEntry } from "../../core/aci/tar.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

const tmp = fs.mkdtempSync(join(tmpdir(), "rkt-aci-root-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function extract(entries: TarEntry[], opts: ExtractOptions = {}): string {
  const dir = join(tmp, `root-${n++}`);
  const file = `${dir}.tar`;
  fs.writeFileSync(file, tarBytes(entries));
  extractTar(file, dir, opts);
  return dir;
}

/** security.capability v2 granting CAP_NET_RAW (13), effective: linux/capability.h vfs_cap_data */
const CAP_NET_RAW = (() => {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000000 | 1, 0);
  b.writeUInt32LE(1 << 13, 4);
  return new Uint8Array(b);
})();

describe.skipIf(!!requires("root"))("extraction as root", () => {
  test("owners as the archive says, setuid/setgid kept after chown", () => {
    const dir = extract([
      { name: "home/user", type: "directory", uid: 1000, gid: 1000, mode: 0o2750 },
      { name: "home/user/su", type: "file", uid: 1000, gid: 1000, mode: 0o6755, data: Buffer.from("x") },
      { name: "home/user/link", type: "symlink", uid: 1000, gid: 1001, linkname: "su" },
      { name: "big", type: "file", uid: 3_000_000, gid: 3_000_001 },
      { name: "fifo", type: "fifo", uid: 7, gid: 8, mode: 0o600 },
    ]);
    const st = (p: string) => fs.lstatSync(join(dir, p));
    expect([st("home/user").uid, st("home/user").gid, st("home/user").mode & 0o7777]).toEqual([1000, 1000, 0o2750]);
    expect([st("home/user/su").uid, st("home/user/su").mode & 0o7777]).toEqual([1000, 0o6755]);
    expect([st("home/user/link").uid, st("home/user/link").gid]).toEqual([1000, 1001]);
    expect([st("big").uid, st("big").gid]).toEqual([3_000_000, 3_000_001]);
    expect([st("fifo").uid, st("fifo").gid, st("fifo").isFIFO()]).toEqual([7, 8, true]);
  });

  test("owners: false leaves everything owned by the extracting user", () => {
    const dir = extract([{ name: "f", type: "file", uid: 1000, gid: 1000, mode: 0o4755 }], { owners: false });
    const st = fs.statSync(join(dir, "f"));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, 0, 0o4755]);
  });

  test("trusted and security xattrs (file capabilities) survive, also with a non-root owner", () => {
    const dir = extract([
      { name: "ping", type: "file", uid: 1000, mode: 0o755, xattrs: { "security.capability": CAP_NET_RAW, "trusted.t": new Uint8Array([9]) } },
      { name: "d", type: "directory", xattrs: { "trusted.dir": new Uint8Array([1]) } },
    ]);
    expect(lgetxattr(join(dir, "ping"), "security.capability")).toEqual(CAP_NET_RAW);
    expect(lgetxattr(join(dir, "ping"), "trusted.t")).toEqual(new Uint8Array([9]));
    expect(lgetxattr(join(dir, "d"), "trusted.dir")).toEqual(new Uint8Array([1]));
  });

  test("device nodes when allowed", () => {
    const dir = extract(
      [
        { name: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3, mtime: 1_000_000_000 },
        { name: "dev/loop9", type: "block", mode: 0o660, gid: 6, devmajor: 7, devminor: 9 },
      ],
      { allowDevices: true },
    );
    const nul = fs.lstatSync(join(dir, "dev/null"), { bigint: true });
    expect(nul.isCharacterDevice()).toBe(true);
    expect(nul.rdev).toBe(fs.statSync("/dev/null", { bigint: true }).rdev);
    expect(Number(nul.mode & 0o7777n)).toBe(0o666);
    expect(nul.mtimeMs).toBe(1_000_000_000_000n);
    fs.writeFileSync(join(dir, "dev/null"), "discarded");
    const loop = fs.lstatSync(join(dir, "dev/loop9"));
    expect([loop.isBlockDevice(), loop.gid, loop.rdev]).toEqual([true, 6, 7 * 256 + 9]);
  });

  test("a busybox ACI imported through the pipeline runs chrooted", async () => {
    const aci = join(tmp, "busybox.aci");
    await busyboxAci(aci);
    const root = join(tmp, "busybox-rootfs");
    const layout = new AciLayoutSink(new SafeExtractor(root));
    const p = new TarParser(layout);
    for await (const c of decompress(Bun.file(aci).stream())) p.push(c);
    p.finish();
    expect(JSON.parse(Buffer.from(layout.manifest()).toString()).name).toBe("example.com/busybox");
    const run = Bun.spawnSync(["chroot", root, "/bin/sh", "-c", "echo ok; id -un; ls /bin"]);
    const [ok, user, ...bin] = run.stdout.toString().trim().split(/\s+/);
    expect([ok, user, bin.length]).toEqual(["ok", "root", 18]);
  });
});
