// Safe extraction of tar entries below one root directory, as a TarSink fed by the import
// pipeline. Paths are resolved lexically; each parent is checked with lstat to be a real
// directory inside the root (a symlink in a parent is refused, never followed), and an entry that
// replaces an existing path removes it first, so nothing is ever written through a symlink.
// Directory modes and mtimes are set in finish() (TarParser.finish calls it), after their contents.
// Synchronous fs only (node:fs *Sync + ffi), so it can run where async I/O is not allowed.
import * as fs from "node:fs";
import { resolve } from "node:path";
import { O } from "../../ffi/constants.ts";
import { mknod } from "../../ffi/fs.ts";
import { lsetxattr } from "../../ffi/xattr.ts";
import { SyscallError } from "../../ffi/errors.ts";
import { RktError, VerificationError } from "../errors.ts";
import { warn } from "../log.ts";
import { AciLayoutSink } from "./layout.ts";
import { TarParser, type TarHeader, type TarParserOptions, type TarSink } from "./tar.ts";

export interface ExtractOptions {
  /** create char and block devices (otherwise they are refused); default false */
  allowDevices?: boolean;
  /** chown entries as the archive says; default true when running as root */
  owners?: boolean;
  /** rootfs paths ("/etc/passwd") to keep: other non-directories are skipped (appc pathWhitelist) */
  whitelist?: Set<string>;
}

const { S_IFCHR, S_IFBLK, S_IFIFO } = fs.constants;
// node's fs.constants has no O_CLOEXEC: the kernel's values come from ffi/constants.ts.
const CREATE_FLAGS = O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW | O.O_CLOEXEC;
const DEVICE_MODE: Partial<Record<TarHeader["type"], number>> = { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO };

/**
 * The process's umask, read from /proc (process.umask() reads it by setting it: a file another
 * thread created meanwhile would get no umask); when unreadable, 0o777, so every mode gets set.
 */
function currentUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number.parseInt(m[1]!, 8);
  } catch {
    // no /proc: fall through
  }
  return 0o777;
}

interface DirMeta {
  mode: number;
  mtime: number;
}

/**
 * Writes the entries it receives below `root` (created if missing), refusing any that would land
 * outside it. Errors name the entry: `cannot extract file "etc/x": …`.
 */
export class SafeExtractor implements TarSink {
  private readonly root: string;
  private readonly owners: boolean;
  private readonly allowDevices: boolean;
  private readonly whitelist?: Set<string>;
  /** relative paths checked (or made) to be real directories below root */
  private dirs = new Set<string>(["."]);
  /** directory modes and mtimes, applied at finish() so later entries can still be created inside */
  private dirMeta = new Map<string, DirMeta>();
  /** who new entries belong to as created, and the umask their modes pass through */
  private readonly creator = { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1, umask: currentUmask() };
  private fd = -1;
  private h?: TarHeader;
  private path = "";
  private rel = "";
  private xattrWarned = false;

  constructor(root: string, opts: ExtractOptions = {}) {
    this.root = resolve(root);
    this.owners = opts.owners ?? process.geteuid?.() === 0;
    this.allowDevices = opts.allowDevices ?? false;
    this.whitelist = opts.whitelist && new Set([...opts.whitelist].map((p) => safeRelative(p.replace(/^\/+/, "")) ?? p));
    fs.mkdirSync(root, { recursive: true });
  }

  entry(h: TarHeader): void {
    this.h = undefined;
    const rel = safeRelative(h.name);
    if (rel === undefined) throw refuse(h, `path escapes the target directory`);
    if (h.type !== "directory" && this.whitelist && !this.whitelist.has(rel)) return;
    this.rel = rel;
    this.path = rel === "." ? this.root : `${this.root}/${rel}`;
    this.h = h;
    try {
      this.create(h, rel);
    } catch (e) {
      this.closeFile();
      throw wrap(h, e);
    }
  }

  data(chunk: Uint8Array): void {
    if (this.fd < 0) return;
    try {
      for (let off = 0; off < chunk.length; ) off += fs.writeSync(this.fd, chunk, off);
    } catch (e) {
      this.closeFile();
      throw wrap(this.h!, e);
    }
  }

  end(): void {
    const h = this.h;
    if (!h) return;
    try {
      if (h.type === "file") this.finishFile(h);
    } catch (e) {
      throw wrap(h, e);
    } finally {
      this.closeFile();
    }
  }

  /** Sets directory modes and mtimes, deepest first (their contents are complete now). */
  finish(): void {
    const dirs = [...this.dirMeta].sort(([a], [b]) => depth(b) - depth(a));
    for (const [rel, m] of dirs) {
      const p = rel === "." ? this.root : `${this.root}/${rel}`;
      try {
        fs.chmodSync(p, m.mode);
        fs.utimesSync(p, m.mtime, m.mtime);
      } catch (e) {
        throw new RktError(`cannot extract directory "${rel}"`, { cause: e });
      }
    }
    this.dirMeta.clear();
  }

  private create(h: TarHeader, rel: string): void {
    if (rel !== ".") this.parents(h, rel);
    if (h.type === "directory") {
      this.replacing(rel, () => fs.mkdirSync(this.path, 0o700), true);
      this.dirs.add(rel);
      this.dirMeta.set(rel, { mode: h.mode, mtime: h.mtime });
      this.ownAndTag(h, false);
      return;
    }
    if (rel === ".") throw refuse(h, `the target directory itself must be a directory, got a ${h.type}`);
    switch (h.type) {
      case "file":
        // keepDir is false, so replacing() always ends in make(): never undefined here.
        // with its final permissions already: finishFile() then changes only what open() could not set
        this.fd = this.replacing(rel, () => fs.openSync(this.path, CREATE_FLAGS, h.mode & 0o777))!;
        return;
      case "link":
        return this.hardlink(h, rel);
      case "symlink":
        this.replacing(rel, () => fs.symlinkSync(h.linkname, this.path));
        this.ownAndTag(h, true);
        fs.lutimesSync(this.path, h.mtime, h.mtime);
        return;
      case "char":
      case "block":
        if (!this.allowDevices) throw refuse(h, `device nodes are not allowed`);
      // falls through
      case "fifo":
        this.replacing(rel, () => mknod(this.path, DEVICE_MODE[h.type]! | (h.mode & 0o777), h.devmajor, h.devminor));
        this.ownAndTag(h, false);
        fs.chmodSync(this.path, h.mode);
        fs.utimesSync(this.path, h.mtime, h.mtime);
        return;
    }
  }

  /**
   * Runs `make` (which creates `rel` exclusively, never through a symlink); when something is
   * already there, removes it and runs `make` again. An existing directory is kept when `keepDir`.
   */
  private replacing<T>(rel: string, make: () => T, keepDir = false): T | undefined {
    try {
      return make();
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    }
    const st = lstatOrUndefined(`${this.root}/${rel}`);
    if (st?.isDirectory() && keepDir) return undefined;
    if (st) this.remove(rel, st);
    return make();
  }

  /**
   * Makes sure every parent of `rel` is a real directory below root, creating missing ones (or,
   * with create=false, returning false when one is missing).
   */
  private parents(h: TarHeader, rel: string, create = true): boolean {
    let i = rel.indexOf("/");
    while (i !== -1) {
      const dir = rel.slice(0, i);
      if (!this.dirs.has(dir)) {
        const p = `${this.root}/${dir}`;
        const st = lstatOrUndefined(p);
        if (!st && !create) return false;
        if (!st) {
          fs.mkdirSync(p);
          fs.chmodSync(p, 0o755); // whatever the umask
        } else if (st.isSymbolicLink()) throw refuse(h, `its parent "${dir}" is a symlink, which extraction never follows`);
        else if (!st.isDirectory()) throw refuse(h, `its parent "${dir}" is not a directory`);
        this.dirs.add(dir);
      }
      i = rel.indexOf("/", i + 1);
    }
    return true;
  }

  /** Removes what is at `rel` (a directory with its contents), never following a symlink. */
  private remove(rel: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      fs.rmSync(`${this.root}/${rel}`, { recursive: true, force: true });
      for (const set of [this.dirs, this.dirMeta]) {
        for (const d of set.keys()) if (d === rel || d.startsWith(`${rel}/`)) set.delete(d);
      }
    } else {
      fs.unlinkSync(`${this.root}/${rel}`);
    }
  }

  private hardlink(h: TarHeader, rel: string): void {
    const target = safeRelative(h.linkname);
    if (target === undefined || target === ".") throw refuse(h, `hardlink target "${h.linkname}" is outside the target directory`);
    if (target === rel) return; // a link to itself: already there
    const st = this.parents(h, target, false) ? lstatOrUndefined(`${this.root}/${target}`) : undefined;
    if (!st) throw refuse(h, `hardlink target "${h.linkname}" does not exist`);
    if (st.isDirectory()) throw refuse(h, `hardlink target "${h.linkname}" is a directory`);
    // link(2) does not follow a symlink named as its source: the link is to the entry itself.
    this.replacing(rel, () => fs.linkSync(`${this.root}/${target}`, this.path));
  }

  /**
   * Owner, xattrs, mode and mtime of a file. A new file has the creator's uid and gid (its parent
   * directories stay 0700, without setgid, until finish()) and its mode less the umask: fchown and
   * fchmod, which would only repeat that for most files, are skipped then (a third of the calls).
   */
  private finishFile(h: TarHeader): void {
    const chown = this.needsChown(h);
    if (chown) fs.fchownSync(this.fd, h.uid, h.gid);
    this.xattrs(h);
    // chmod after chown: chown clears setuid/setgid.
    if (chown || (h.mode & 0o7777) !== (h.mode & 0o777 & ~this.creator.umask)) fs.fchmodSync(this.fd, h.mode);
    fs.futimesSync(this.fd, h.mtime, h.mtime);
  }

  private needsChown(h: TarHeader): boolean {
    return this.owners && (h.uid !== this.creator.uid || h.gid !== this.creator.gid);
  }

  /** Owner and xattrs of a non-file entry (files get theirs through their fd in finishFile). */
  private ownAndTag(h: TarHeader, symlink: boolean): void {
    if (this.needsChown(h)) (symlink ? fs.lchownSync : fs.chownSync)(this.path, h.uid, h.gid);
    this.xattrs(h);
  }

  private xattrs(h: TarHeader): void {
    for (const [name, value] of Object.entries(h.xattrs)) {
      try {
        lsetxattr(this.path, name, value);
      } catch (e) {
        // Without privileges (or on a filesystem without xattrs) extraction goes on, as GNU tar does.
        const soft = e instanceof SyscallError && (e.code === "EOPNOTSUPP" || (e.code === "EPERM" && !this.owners));
        if (!soft) throw e;
        if (!this.xattrWarned) warn(`cannot set extended attribute ${name} on "${this.rel}": ${e.message} (further ones skipped silently)`);
        this.xattrWarned = true;
      }
    }
  }

  private closeFile(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** `name` relative to the root, lexically cleaned; undefined when absolute or escaping. */
function safeRelative(name: string): string | undefined {
  if (name.startsWith("/")) return undefined;
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.length ? out.join("/") : ".";
}

function depth(rel: string): number {
  let n = 0;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 0x2f) n++;
  return rel === "." ? -1 : n;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false }) ?? undefined;
}

function refuse(h: TarHeader, why: string): VerificationError {
  return new VerificationError(`cannot extract ${h.type} "${h.name}": ${why}`);
}

function wrap(h: TarHeader, e: unknown): RktError {
  return e instanceof RktError ? e : new RktError(`cannot extract ${h.type} "${h.name}"`, { cause: e });
}

export interface ExtractTarOptions extends ExtractOptions, TarParserOptions {
  /** the tar is an ACI: check its layout and extract only its rootfs into `dir` */
  rootfsOnly?: boolean;
}

/**
 * Extracts the tar file `tarFile` (uncompressed, e.g. a store blob) into `dir`. Returns the image
 * manifest's bytes when `rootfsOnly` is set.
 */
export function extractTar(tarFile: string, dir: string, opts: ExtractTarOptions = {}): Uint8Array | undefined {
  const extractor = new SafeExtractor(dir, opts);
  const layout = opts.rootfsOnly ? new AciLayoutSink(extractor) : undefined;
  const parser = new TarParser(layout ?? extractor, opts);
  const fd = fs.openSync(tarFile, "r");
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) parser.push(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  parser.finish();
  return layout?.manifest();
}
