// A copy of a directory tree keeping what `cp -a` keeps: owners, modes (setuid, setgid and sticky
// bits included), access and modification times, extended attributes, symlinks, hard links within
// the tree, device nodes, fifos and sockets. File data is cloned (FICLONE) where the filesystem can,
// else copied in the kernel. rkt's own rather than cp(1): --no-overlay pods and Docker volumes then
// work on hosts whose cp lacks --reflink (busybox) or that have none.
import { chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import { mknod } from "../ffi/fs.ts";
import { lgetxattr, llistxattr, lsetxattr } from "../ffi/xattr.ts";
import { RktError } from "./errors.ts";

/** Copies the contents of directory `src` into directory `dest` (made when missing), and `src`'s own attributes onto `dest`. */
export function copyTree(src: string, dest: string): void {
  // the first copy of each file that has other links, by the source's device and inode
  const linked = new Map<string, string>();

  const copyAttributes = (from: string, to: string, st: Stats): void => {
    lchownSync(to, st.uid, st.gid);
    // as cp -a: an attribute the target filesystem refuses (security.selinux, trusted.*) is left out
    for (const name of llistxattr(from)) {
      const value = lgetxattr(from, name);
      try {
        if (value) lsetxattr(to, name, value);
      } catch {}
    }
    // after chown, which clears setuid and setgid
    if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777);
    lutimesSync(to, st.atime, st.mtime);
  };

  const copy = (from: string, to: string, st: Stats): void => {
    if (st.isDirectory()) {
      // 0700 while its contents are written; its own mode and times come after them
      mkdirSync(to, { mode: 0o700 });
      for (const name of readdirSync(from)) copy(join(from, name), join(to, name), lstatSync(join(from, name)));
    } else if (st.nlink > 1 && linked.has(`${st.dev}:${st.ino}`)) {
      return linkSync(linked.get(`${st.dev}:${st.ino}`)!, to);
    } else if (st.isFile()) {
      copyFileSync(from, to, constants.COPYFILE_FICLONE);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
    } else {
      mknod(to, st.mode, deviceMajor(st.rdev), deviceMinor(st.rdev));
    }
    if (st.nlink > 1 && !st.isDirectory()) linked.set(`${st.dev}:${st.ino}`, to);
    copyAttributes(from, to, st);
  };

  try {
    mkdirSync(dest, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(src)) copy(join(src, name), join(dest, name), lstatSync(join(src, name)));
    copyAttributes(src, dest, lstatSync(src));
  } catch (e) {
    throw new RktError(`cannot copy "${src}" to "${dest}"`, { cause: e });
  }
}

/** The major number of a device number (glibc's gnu_dev_major). */
function deviceMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

/** The minor number of a device number (glibc's gnu_dev_minor). */
function deviceMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}
