// Extended attributes of a path itself, never of a symlink's target (the l* calls of xattr(7)):
// image extraction and the ACI builder read and write them on entries that may be symlinks.
// Values are bytes; names are the full "namespace.name" strings.
import { check, errno, libc } from "./libc.ts";
import { cstr } from "./cstr.ts";
import { SyscallError } from "./errors.ts";

/** include/uapi/asm-generic/errno.h: the attribute is not set */
const ENODATA = 61;
/** include/uapi/asm-generic/errno-base.h: the buffer was too small (the value grew between calls) */
const ERANGE = 34;

/** lsetxattr(2): sets `name` on `path` (not following a final symlink). */
export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  // A zero-length value still needs a valid pointer.
  const buf = value.length > 0 ? value : new Uint8Array(1);
  check(libc.lsetxattr(cstr(path), cstr(name), buf, value.length, 0), { syscall: `lsetxattr ${name}`, path });
}

/** Calls `call(buf, size)` with a buffer big enough for the answer, retrying when it grew meanwhile. */
function sized(call: (buf: Uint8Array | null, size: number) => number, what: string, path: string): Uint8Array | undefined {
  for (;;) {
    const need = call(null, 0);
    if (need === -1) {
      const e = errno();
      if (e === ENODATA) return undefined;
      throw new SyscallError({ syscall: what, errno: e, path });
    }
    if (need === 0) return new Uint8Array(0);
    const buf = new Uint8Array(need);
    const got = call(buf, need);
    if (got === -1) {
      const e = errno();
      if (e === ERANGE) continue;
      if (e === ENODATA) return undefined;
      throw new SyscallError({ syscall: what, errno: e, path });
    }
    return buf.subarray(0, got);
  }
}

/** lgetxattr(2): the value of `name` on `path`, or undefined when it is not set. */
export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const p = cstr(path);
  const n = cstr(name);
  return sized((buf, size) => Number(libc.lgetxattr(p, n, buf, size)), `lgetxattr ${name}`, path);
}

/** llistxattr(2): the names of the attributes set on `path`, in the kernel's order. */
export function llistxattr(path: string): string[] {
  const p = cstr(path);
  const raw = sized((buf, size) => Number(libc.llistxattr(p, buf, size)), "llistxattr", path);
  if (!raw || raw.length === 0) return [];
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString("utf8").split("\0").filter(Boolean);
}
