// node:fs's synchronous calls as rkt's pod path uses them, made directly on libc. Why not node:fs:
// the first node:* module a process loads starts Bun's node compatibility layer, ~1.2 ms of every
// start (compiled probes here: a hello 4.3 ms wall, 5.8 ms with node:fs imported); `rkt run` of
// /bin/true, which prints nothing, never needs it (paired medians, 60 runs: 30.5 → 29.6 and 30.7 →
// 28.3 ms). Same names, arguments and results as node:fs for what rkt passes; a failure is a
// SyscallError, whose `code` ("ENOENT", …) is node's. test/unit/architecture.test.ts keeps node:*
// off the pod path.
import { ptr } from "bun:ffi";
import { AT_FDCWD, O } from "./constants.ts";
import { cstr } from "./cstr.ts";
import { SyscallError } from "./errors.ts";
import { check, errno, libc } from "./libc.ts";
import { SYS_getdents64, SYS_statx } from "./syscalls.ts";

const ENOENT = 2;
const EEXIST = 17;
const ENOTDIR = 20;
const EISDIR = 21;
const S_IFMT = 0o170000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
/** include/uapi/linux/stat.h: type, mode, nlink, uid, gid, times, ino, size, blocks */
const STATX_BASIC_STATS = 0x7ff;
const CWD = BigInt.asUintN(64, BigInt(AT_FDCWD));
const utf8 = new TextDecoder();

/** The statx(2) result buffer, reused: callers copy out what they keep before the next call. */
const STATX = new Uint32Array(64);
const STATX_PTR = BigInt(ptr(STATX));

/** What rkt reads of a stat(2) result, under node's names; fields are decoded when read. */
export class Stats {
  /** struct statx (include/uapi/linux/stat.h: the same layout on every architecture) as u32 words */
  readonly #w: Uint32Array;
  constructor(words: Uint32Array) {
    this.#w = words;
  }
  #u64(i: number): number {
    return this.#w[i]! + this.#w[i + 1]! * 2 ** 32;
  }
  #ms(i: number): number {
    return (this.#w[i]! + (this.#w[i + 1]! | 0) * 2 ** 32) * 1000 + this.#w[i + 2]! / 1e6;
  }
  /** makedev() as glibc encodes it, which is what node reports */
  #dev(i: number): number {
    const [major, minor] = [this.#w[i]!, this.#w[i + 1]!];
    return (major & 0xfff) * 256 + (minor & 0xff) + (minor & ~0xff) * 4096 + (major & ~0xfff) * 2 ** 32;
  }
  get nlink(): number {
    return this.#w[4]!;
  }
  get uid(): number {
    return this.#w[5]!;
  }
  get gid(): number {
    return this.#w[6]!;
  }
  get mode(): number {
    return this.#w[7]! & 0xffff;
  }
  get ino(): number {
    return this.#u64(8);
  }
  get size(): number {
    return this.#u64(10);
  }
  get atimeMs(): number {
    return this.#ms(16);
  }
  get ctimeMs(): number {
    return this.#ms(24);
  }
  get mtimeMs(): number {
    return this.#ms(28);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get rdev(): number {
    return this.#dev(32);
  }
  get dev(): number {
    return this.#dev(34);
  }
  isFile(): boolean {
    return (this.mode & S_IFMT) === 0o100000;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === 0o040000;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === 0o120000;
  }
  isCharacterDevice(): boolean {
    return (this.mode & S_IFMT) === 0o020000;
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === 0o060000;
  }
}

function statx(path: string, flags: number, syscall: string, throwIfNoEntry: boolean): Stats | undefined {
  if (libc.syscall(SYS_statx, CWD, BigInt(ptr(cstr(path))), flags, STATX_BASIC_STATS, STATX_PTR) === 0) return new Stats(STATX.slice(0, 36));
  const e = errno();
  if (!throwIfNoEntry && (e === ENOENT || e === ENOTDIR)) return undefined;
  throw new SyscallError({ syscall, errno: e, path });
}

type StatOptions = { throwIfNoEntry?: boolean };
export function statSync(path: string): Stats;
export function statSync(path: string, opts: StatOptions): Stats | undefined;
export function statSync(path: string, opts: StatOptions = {}): Stats | undefined {
  return statx(path, 0, "stat", opts.throwIfNoEntry ?? true);
}
export function lstatSync(path: string): Stats;
export function lstatSync(path: string, opts: StatOptions): Stats | undefined;
export function lstatSync(path: string, opts: StatOptions = {}): Stats | undefined {
  return statx(path, AT_SYMLINK_NOFOLLOW, "lstat", opts.throwIfNoEntry ?? true);
}

/** Whether `path` exists (following symlinks), as node's existsSync. */
export function existsSync(path: string): boolean {
  return libc.access(cstr(path), 0 /* F_OK */) === 0;
}

const FLAGS = {
  r: O.O_RDONLY,
  w: O.O_WRONLY | O.O_CREAT | O.O_TRUNC,
  wx: O.O_WRONLY | O.O_CREAT | O.O_TRUNC | O.O_EXCL,
  a: O.O_WRONLY | O.O_CREAT | O.O_APPEND,
} as const;

/** open(2) with node's flag strings; the fd is close-on-exec, as node's. */
export function openSync(path: string, flags: keyof typeof FLAGS, mode = 0o666): number {
  return check(libc.open(cstr(path), FLAGS[flags] | O.O_CLOEXEC, mode), { syscall: "open", path });
}

export { closeFd as closeSync, fsyncFd as fsyncSync } from "./fs.ts";

/** read(2) into `buf`; returns the count (0 at the end). */
export function readSync(fd: number, buf: Uint8Array): number {
  return check(Number(libc.read(fd, ptr(buf), buf.byteLength)), { syscall: "read", path: `fd ${fd}` });
}

/** write(2) of all of `data` (a string as UTF-8); returns its length. */
export function writeSync(fd: number, data: Uint8Array | string): number {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.byteLength; ) {
    off += check(Number(libc.write(fd, ptr(bytes, off), bytes.byteLength - off)), { syscall: "write", path: `fd ${fd}` });
  }
  return bytes.byteLength;
}

/** Where files and directories are read into, reused; a bigger file grows it for its read only. */
const SCRATCH_SIZE = 65536;
let scratch = Buffer.allocUnsafe(SCRATCH_SIZE);

/** The whole file: bytes, or text with "utf8". Reads to the end, so /proc files (size 0) work. */
export function readFileSync(path: string): Buffer;
export function readFileSync(path: string, encoding: "utf8"): string;
export function readFileSync(path: string, encoding?: "utf8"): Buffer | string {
  const fd = openSync(path, "r");
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.byteLength) scratch = Buffer.concat([scratch, Buffer.allocUnsafe(scratch.byteLength)]);
      const n = Number(libc.read(fd, ptr(scratch, len), scratch.byteLength - len));
      if (n < 0) throw new SyscallError({ syscall: "read", errno: errno(), path });
      if (n === 0) break;
      len += n;
    }
    return encoding ? scratch.toString("utf8", 0, len) : Buffer.from(scratch.subarray(0, len));
  } finally {
    libc.close(fd);
    // the process that keeps running (a pod's stage1) keeps no big buffer
    if (scratch.byteLength > SCRATCH_SIZE) scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  }
}

/** Creates or truncates `path` (`flag` "wx": creates only) and writes `data` (a string as UTF-8); `mode` for a new file. */
export function writeFileSync(path: string, data: string | Uint8Array, opts: { mode?: number; flag?: "w" | "wx" } = {}): void {
  const fd = openSync(path, opts.flag ?? "w", opts.mode ?? 0o666);
  try {
    writeSync(fd, data);
  } finally {
    libc.close(fd);
  }
}

/** mkdir(2); `recursive` makes missing parents and accepts an existing directory, as node's. */
export function mkdirSync(path: string, opts: { recursive?: boolean; mode?: number } = {}): void {
  const mode = opts.mode ?? 0o777;
  if (libc.mkdir(cstr(path), mode) === 0) return;
  const e = errno();
  if (opts.recursive && e === EEXIST && statSync(path, { throwIfNoEntry: false })?.isDirectory()) return;
  const trimmed = path.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  if (!opts.recursive || e !== ENOENT || cut <= 0) throw new SyscallError({ syscall: "mkdir", errno: e, path });
  mkdirSync(trimmed.slice(0, cut), opts);
  mkdirSync(path, opts);
}

export function rmdirSync(path: string): void {
  check(libc.rmdir(cstr(path)), { syscall: "rmdir", path });
}

function unlinkSync(path: string): void {
  check(libc.unlink(cstr(path)), { syscall: "unlink", path });
}

/** Removes `path`; `recursive`: a directory with what it holds; `force`: a missing path is no error. */
export function rmSync(path: string, opts: { recursive?: boolean; force?: boolean } = {}): void {
  const st = lstatSync(path, { throwIfNoEntry: !opts.force });
  if (!st) return;
  if (!st.isDirectory()) return unlinkSync(path);
  if (!opts.recursive) throw new SyscallError({ syscall: "rm", errno: EISDIR, path });
  for (const name of readdirSync(path)) rmSync(`${path}/${name}`, opts);
  check(libc.unlinkat(AT_FDCWD, cstr(path), AT_REMOVEDIR), { syscall: "rmdir", path });
}

/** The names in directory `path` (not "." and ".."), in the directory's order, as node's. */
export function readdirSync(path: string): string[] {
  const fd = check(libc.open(cstr(path), O.O_RDONLY | O.O_DIRECTORY | O.O_CLOEXEC, 0), { syscall: "open", path });
  const names: string[] = [];
  try {
    for (;;) {
      const n = libc.syscall(SYS_getdents64, fd, BigInt(ptr(scratch)), scratch.byteLength, 0, 0);
      if (n < 0) throw new SyscallError({ syscall: "getdents64", errno: errno(), path });
      if (n === 0) return names;
      // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name[] (NUL-terminated)
      for (let off = 0; off < n; off += scratch.readUInt16LE(off + 16)) {
        const name = scratch.toString("utf8", off + 19, scratch.indexOf(0, off + 19));
        if (name !== "." && name !== "..") names.push(name);
      }
    }
  } finally {
    libc.close(fd);
  }
}

export function renameSync(from: string, to: string): void {
  check(libc.rename(cstr(from), cstr(to)), { syscall: "rename", path: from, target: to });
}

export function symlinkSync(target: string, path: string): void {
  check(libc.symlink(cstr(target), cstr(path)), { syscall: "symlink", path, target });
}

export function readlinkSync(path: string): string {
  const buf = new Uint8Array(4096);
  const n = check(Number(libc.readlink(cstr(path), ptr(buf), buf.byteLength)), { syscall: "readlink", path });
  return utf8.decode(buf.subarray(0, n));
}

export function chmodSync(path: string, mode: number): void {
  check(libc.chmod(cstr(path), mode), { syscall: "chmod", path });
}

/** A new directory `prefix` + six random characters, mode 0700 (mkdtemp(3)). */
export function mkdtempSync(prefix: string): string {
  const template = cstr(`${prefix}XXXXXX`);
  if (libc.mkdtemp(template) === null) throw new SyscallError({ syscall: "mkdtemp", errno: errno(), path: prefix });
  return utf8.decode(template.subarray(0, template.byteLength - 1));
}

/** statfs(2): the filesystem's magic number (f_type, the struct's first field). */
export function statfsSync(path: string): { type: number } {
  const buf = new BigInt64Array(15);
  check(libc.statfs(cstr(path), ptr(buf)), { syscall: "statfs", path });
  return { type: Number(buf[0]) };
}

