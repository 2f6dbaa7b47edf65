// File-level host operations stage0 needs beyond node:fs: open with raw flags (O_DIRECTORY for
// pod locks), flock, fsync, close-on-exec control and rename without replacing.
import { ptr } from "bun:ffi";
import { cstr } from "./cstr.ts";
import { check, libc } from "./libc.ts";
import { AT_FDCWD, F_GETFD, F_SETFD, FD_CLOEXEC, LOCK, O, RENAME } from "./constants.ts";
import { SyscallError, flagNames } from "./errors.ts";

/** open(2) with raw flags; returns the fd. */
export function openFd(path: string, flags: number, mode = 0): number {
  const p = cstr(path);
  return check(libc.open(p, flags, mode), { syscall: "open", path, flags: flagNames(flags, O) });
}

/** memfd_create(2) with MFD_CLOEXEC: an anonymous file; returns its fd. */
export function memfd(name: string): number {
  return check(libc.memfd_create(cstr(name), 1 /* MFD_CLOEXEC */), { syscall: "memfd_create", path: name });
}

/** close(2). */
export function closeFd(fd: number): void {
  check(libc.close(fd), { syscall: "close", path: `fd ${fd}` });
}

/** fsync(2). */
export function fsyncFd(fd: number, path = `fd ${fd}`): void {
  check(libc.fsync(fd), { syscall: "fsync", path });
}

/**
 * flock(2). With LOCK_NB, returns false when another holder has the lock (EWOULDBLOCK) instead of
 * throwing, so callers can probe lock state as rkt's pod state machine does.
 */
export function flock(fd: number, op: number, path = `fd ${fd}`): boolean {
  const ret = libc.flock(fd, op);
  if (ret === 0) return true;
  try {
    check(ret, { syscall: "flock", path, flags: flagNames(op, LOCK) });
  } catch (e) {
    if (e instanceof SyscallError && e.code === "EAGAIN" && op & LOCK.LOCK_NB) return false;
    throw e;
  }
  return true;
}

/** Sets or clears FD_CLOEXEC (stage1 keeps the pod lock fd across execve). */
export function setCloexec(fd: number, on: boolean): void {
  const cur = check(libc.fcntl(fd, F_GETFD, 0), { syscall: "fcntl(F_GETFD)", path: `fd ${fd}` });
  const next = on ? cur | FD_CLOEXEC : cur & ~FD_CLOEXEC;
  check(libc.fcntl(fd, F_SETFD, next), { syscall: "fcntl(F_SETFD)", path: `fd ${fd}` });
}

const F_GETFL = 3;
const F_SETFL = 4;

/**
 * Sets or clears O_NONBLOCK on `fd`. Bun makes its stdio non-blocking when it uses them; the flag
 * lives on the shared open file description, so a program exec'd on these fds would see EAGAIN on a
 * full pipe (stage0 clears it before it execs a stage1).
 */
export function setNonblock(fd: number, on: boolean): void {
  const flags = check(libc.fcntl(fd, F_GETFL, 0), { syscall: "fcntl(F_GETFL)", path: `fd ${fd}` });
  const next = on ? flags | O.O_NONBLOCK : flags & ~O.O_NONBLOCK;
  if (next !== flags) check(libc.fcntl(fd, F_SETFL, next), { syscall: "fcntl(F_SETFL)", path: `fd ${fd}` });
}

/** mknod(2): `dev` is makedev(major, minor) as glibc encodes it. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  const dev =
    (BigInt(major & 0xfff) << 8n) | (BigInt(major & ~0xfff) << 32n) | BigInt(minor & 0xff) | (BigInt(minor & ~0xff) << 12n);
  check(libc.mknod(cstr(path), mode, dev), { syscall: "mknod", path });
}

/** renameat2 syscall number: include/uapi/asm-generic/unistd.h (aarch64) / arch/x86/entry/syscalls. */
const SYS_renameat2 = process.arch === "arm64" ? 276 : 316;

/**
 * rename(2) that fails with EEXIST instead of replacing `to` (RENAME_NOREPLACE). Through syscall()
 * so it works on libcs without a renameat2 wrapper.
 */
export function renameNoReplace(from: string, to: string): void {
  const a = cstr(from);
  const b = cstr(to);
  const cwd = BigInt.asUintN(64, BigInt(AT_FDCWD));
  check(libc.syscall(SYS_renameat2, cwd, ptr(a), cwd, ptr(b), RENAME.RENAME_NOREPLACE), {
    syscall: "renameat2",
    path: from,
    target: to,
    flags: "RENAME_NOREPLACE",
  });
}

export { LOCK, O };
