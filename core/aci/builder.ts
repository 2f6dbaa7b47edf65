// Writes ACI archives (appc spec/aci.md): from a rootfs directory (as `actool build` does, plus
// hardlinks, devices, owners and xattrs) or from in-memory entries, which tests use to make
// malicious archives. Output order is sorted, so the same tree gives the same bytes; the file
// appears only when complete (temp name, then rename).
import * as fs from "node:fs";
import { join } from "node:path";
import { llistxattr, lgetxattr } from "../../ffi/xattr.ts";
import { RktError } from "../errors.ts";
import { warn } from "../log.ts";
import { compress, type Compression } from "./compression.ts";
import { TarWriter, type TarEntry, type TarHeader } from "./tar.ts";

export interface BuildAciOptions {
  /** the image manifest, as an object or as JSON text */
  manifest: object | string;
  /** the directory that becomes rootfs/ */
  rootfs: string;
  /** the .aci file to write */
  out: string;
  /** default "gzip", as actool */
  compression?: Compression;
  /** the owner recorded for a file owned by `uid`:`gid` (default: the same) */
  owner?: OwnerMap;
}

/** Maps a file's owner to the owner its archive entry records. */
export type OwnerMap = (uid: number, gid: number) => [uid: number, gid: number];

/** What walk() carries down the tree: the first path of each hard-linked inode, the owner map. */
interface WalkContext {
  links: Map<string, string>;
  owner?: OwnerMap;
}

const READ_CHUNK = 1 << 20;

/** Builds an ACI from a manifest and a rootfs directory. */
export async function buildAci(opts: BuildAciOptions): Promise<void> {
  const text = typeof opts.manifest === "string" ? opts.manifest : JSON.stringify(opts.manifest);
  try {
    JSON.parse(text);
  } catch (e) {
    throw new RktError(`cannot build image "${opts.out}": the manifest is not valid JSON`, { cause: e });
  }
  let top: fs.Stats;
  try {
    top = fs.statSync(opts.rootfs);
  } catch (e) {
    throw new RktError(`cannot build image "${opts.out}": cannot read rootfs "${opts.rootfs}"`, { cause: e });
  }
  if (!top.isDirectory()) throw new RktError(`cannot build image "${opts.out}": rootfs "${opts.rootfs}" is not a directory`);
  await writeArchive(opts.out, opts.compression ?? "gzip", function* (w) {
    w.add({ name: "manifest", type: "file", mode: 0o644, mtime: Math.floor(top.mtimeMs / 1000), data: Buffer.from(text) });
    yield;
    yield* walk(w, opts.rootfs, "rootfs", { links: new Map(), owner: opts.owner });
  });
}

/** Writes an archive of exactly these entries (no checks: names, duplicates and links as given). */
export async function buildAciFromEntries(opts: { entries: TarEntry[]; out: string; compression?: Compression }): Promise<void> {
  await writeArchive(opts.out, opts.compression ?? "none", function* (w) {
    for (const e of opts.entries) {
      w.add(e);
      yield;
    }
  });
}

/**
 * Streams what `fill` writes through compression into `out`. `fill` yields after each entry so
 * at most one entry's data is held in memory.
 */
async function writeArchive(out: string, compression: Compression, fill: (w: TarWriter) => Generator<void>): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  async function* chunks(): AsyncIterable<Uint8Array> {
    const queue: Uint8Array[] = [];
    const w = new TarWriter((c) => queue.push(c));
    for (const _ of fill(w)) yield* queue.splice(0);
    w.finish();
    yield* queue.splice(0);
  }
  const fd = fs.openSync(tmp, "w", 0o644);
  try {
    for await (const c of compress(chunks(), compression)) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e instanceof RktError ? e : new RktError(`cannot build image "${out}"`, { cause: e });
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, out);
}

/** One entry per path below `dir`, parents before children, names sorted. */
function* walk(w: TarWriter, dir: string, prefix: string, ctx: WalkContext): Generator<void> {
  const st = fs.lstatSync(dir);
  w.entry(headerOf(dir, prefix, st, "directory", ctx.owner));
  w.end();
  yield;
  for (const name of fs.readdirSync(dir).sort()) {
    const path = join(dir, name);
    const arcname = `${prefix}/${name}`;
    const s = fs.lstatSync(path);
    if (s.isDirectory()) {
      yield* walk(w, path, arcname, ctx);
      continue;
    }
    if (s.isSocket()) {
      warn(`building image: socket "${path}" skipped (tar cannot hold sockets)`);
      continue;
    }
    const id = `${s.dev}:${s.ino}`;
    const first = s.nlink > 1 ? ctx.links.get(id) : undefined;
    if (first !== undefined) {
      w.entry({ ...headerOf(path, arcname, s, "link", ctx.owner), linkname: first });
      w.end();
    } else if (s.isFile()) {
      if (s.nlink > 1) ctx.links.set(id, arcname);
      writeFile(w, path, headerOf(path, arcname, s, "file", ctx.owner));
    } else {
      w.entry(specialHeader(path, arcname, s, ctx.owner));
      w.end();
    }
    yield;
  }
}

function writeFile(w: TarWriter, path: string, h: TarHeader): void {
  const fd = fs.openSync(path, "r");
  try {
    w.entry(h);
    let left = h.size;
    while (left > 0) {
      // A fresh buffer per read: the writer may hold on to it until the archive is flushed.
      const buf = new Uint8Array(Math.min(READ_CHUNK, left));
      const n = fs.readSync(fd, buf);
      if (n === 0) throw new RktError(`cannot build image: "${path}" shrank while being read`);
      w.data(buf.subarray(0, n));
      left -= n;
    }
    w.end();
  } finally {
    fs.closeSync(fd);
  }
}

function specialHeader(path: string, arcname: string, s: fs.Stats, owner?: OwnerMap): TarHeader {
  if (s.isSymbolicLink()) return { ...headerOf(path, arcname, s, "symlink", owner), linkname: fs.readlinkSync(path) };
  if (s.isFIFO()) return headerOf(path, arcname, s, "fifo", owner);
  const type = s.isCharacterDevice() ? "char" : "block";
  // glibc's makedev encoding (sys/sysmacros.h), on the 64-bit value.
  const rdev = fs.lstatSync(path, { bigint: true }).rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { ...headerOf(path, arcname, s, type, owner), devmajor: major, devminor: minor };
}

function headerOf(path: string, name: string, s: fs.Stats, type: TarHeader["type"], owner?: OwnerMap): TarHeader {
  const [uid, gid] = owner ? owner(s.uid, s.gid) : [s.uid, s.gid];
  const xattrs: Record<string, Uint8Array> = {};
  for (const key of llistxattr(path)) {
    const v = lgetxattr(path, key);
    if (v) xattrs[key] = v;
  }
  return {
    name,
    type,
    mode: s.mode & 0o7777,
    uid,
    gid,
    uname: "",
    gname: "",
    size: type === "file" ? s.size : 0,
    mtime: Math.floor(s.mtimeMs / 1000),
    linkname: "",
    devmajor: 0,
    devminor: 0,
    xattrs,
  };
}
