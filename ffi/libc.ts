// The one dlopen of libc for the symbols every libc we run on has. Raw symbols never leave ffi/:
// the typed wrappers in the sibling modules are the API. errno is read at once after each call,
// inside `check`, before anything else can run on this thread.
import { dlopen, FFIType, read, type Pointer } from "bun:ffi";
import { SyscallError, type SyscallErrorInit } from "./errors.ts";

const { i32, i64, u64, ptr, cstring } = FFIType;

const LIBC = process.env.RKT_LIBC ?? "libc.so.6";

export const libc = dlopen(LIBC, {
  __errno_location: { args: [], returns: ptr },
  open: { args: [ptr, i32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  fsync: { args: [i32], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  mount: { args: [ptr, ptr, ptr, u64, ptr], returns: i32 },
  umount2: { args: [ptr, i32], returns: i32 },
  unshare: { args: [i32], returns: i32 },
  setns: { args: [i32, i32], returns: i32 },
  chroot: { args: [ptr], returns: i32 },
  chdir: { args: [ptr], returns: i32 },
  fchdir: { args: [i32], returns: i32 },
  sethostname: { args: [ptr, u64], returns: i32 },
  execve: { args: [ptr, ptr, ptr], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  syscall: { args: [u64, u64, u64, u64, u64, u64], returns: i32 },
  mknod: { args: [ptr, i32, u64], returns: i32 },
  lsetxattr: { args: [ptr, ptr, ptr, u64, i32], returns: i32 },
  lgetxattr: { args: [ptr, ptr, ptr, u64], returns: i64 },
  llistxattr: { args: [ptr, ptr, u64], returns: i64 },
  getpid: { args: [], returns: i32 },
  getuid: { args: [], returns: i32 },
  geteuid: { args: [], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  setsid: { args: [], returns: i32 },
  pipe2: { args: [ptr, i32], returns: i32 },
  memfd_create: { args: [ptr, i32], returns: i32 },
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, ptr, u64], returns: i32 },
  sendto: { args: [i32, ptr, u64, i32, ptr, u64], returns: i64 },
  recv: { args: [i32, ptr, u64, i32], returns: i64 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  waitpid: { args: [i32, ptr, i32], returns: i32 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  isatty: { args: [i32], returns: i32 },
  strerror: { args: [i32], returns: cstring },
  // ffi/sync-fs.ts
  access: { args: [ptr, i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  write: { args: [i32, ptr, u64], returns: i64 },
  mkdir: { args: [ptr, i32], returns: i32 },
  rmdir: { args: [ptr], returns: i32 },
  unlink: { args: [ptr], returns: i32 },
  unlinkat: { args: [i32, ptr, i32], returns: i32 },
  rename: { args: [ptr, ptr], returns: i32 },
  symlink: { args: [ptr, ptr], returns: i32 },
  readlink: { args: [ptr, ptr, u64], returns: i64 },
  chmod: { args: [ptr, i32], returns: i32 },
  mkdtemp: { args: [ptr], returns: ptr },
  statfs: { args: [ptr, ptr], returns: i32 },
  setenv: { args: [ptr, ptr, i32], returns: i32 },
  unsetenv: { args: [ptr], returns: i32 },
}).symbols;

/** The calling thread's errno, read right after a failed call. */
export function errno(): number {
  return read.i32(libc.__errno_location() as Pointer, 0);
}

/** Throws SyscallError when `ret` is -1; returns `ret` otherwise. */
export function check(ret: number, init: Omit<SyscallErrorInit, "errno">): number {
  if (ret === -1) throw new SyscallError({ ...init, errno: errno() });
  return ret;
}
