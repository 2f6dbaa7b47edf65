// Process-level calls stage1 makes on its own thread: root and working directory, hostname,
// execve, prctl, signals, pipes. Each throws SyscallError naming the call and its argument.
import { ptr } from "bun:ffi";
import { cstr, cstrv } from "./cstr.ts";
import { check, errno, libc } from "./libc.ts";
import { ECHILD, O, PR } from "./constants.ts";
import { SYS_pivot_root } from "./syscalls.ts";
import { flagNames } from "./errors.ts";

/** chroot(2). */
export function chroot(path: string): void {
  check(libc.chroot(cstr(path)), { syscall: "chroot", path });
}

/** chdir(2). */
export function chdir(path: string): void {
  check(libc.chdir(cstr(path)), { syscall: "chdir", path });
}

/** pivot_root(2) through syscall(2): glibc has no wrapper. */
export function pivotRoot(newRoot: string, putOld: string): void {
  const a = cstr(newRoot);
  const b = cstr(putOld);
  check(libc.syscall(SYS_pivot_root, BigInt(ptr(a)), BigInt(ptr(b)), 0, 0, 0), { syscall: "pivot_root", path: newRoot, target: putOld });
}

/** sethostname(2) of the calling thread's UTS namespace. */
export function sethostname(name: string): void {
  const b = Buffer.from(name, "utf8");
  check(libc.sethostname(b, b.length), { syscall: "sethostname", path: name });
}

/**
 * execve(2): replaces the whole process (all Bun threads go away). Returns only by throwing.
 * Buffers stay referenced until the call fails.
 */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  const p = cstr(path);
  const a = cstrv(argv);
  const e = cstrv(env);
  check(libc.execve(p, a.ptr, e.ptr), { syscall: "execve", path });
  void [a.keep, e.keep];
  throw new Error("unreachable: execve returned without an error");
}

/** prctl(2) with up to four numeric arguments. */
export function prctl(option: number, a = 0, b = 0, c = 0, d = 0): number {
  return check(libc.prctl(option, a, b, c, d), { syscall: "prctl", flags: flagNames(option, PR) });
}

/** kill(2). Returns false when the process is gone (ESRCH) rather than throwing. */
export function kill(pid: number, signal: number): boolean {
  const ret = libc.kill(pid, signal);
  if (ret === 0) return true;
  try {
    check(ret, { syscall: "kill", path: `pid ${pid}`, flags: `signal ${signal}` });
  } catch (e) {
    if ((e as { code?: string }).code === "ESRCH") return false;
    throw e;
  }
  return true;
}

/** pipe2(2): [readFd, writeFd], close-on-exec unless `cloexec` is false. */
export function pipe(cloexec = true): [number, number] {
  const fds = new Int32Array(2);
  check(libc.pipe2(fds, cloexec ? O.O_CLOEXEC : 0), { syscall: "pipe2" });
  return [fds[0]!, fds[1]!];
}

/** getpid(2). */
export function getpid(): number {
  return libc.getpid();
}

/** waitpid(2) for one child that is not Bun's own (the pod's PID 1); returns the raw wait status. */
export function waitPid(pid: number): number {
  const status = new Int32Array(1);
  for (;;) {
    const r = libc.waitpid(pid, status, 0);
    if (r === pid) return status[0]!;
    check(r, { syscall: "waitpid", path: `pid ${pid}` });
  }
}

/** waitpid(2) with WNOHANG: whether child `pid` has exited (and is now reaped, or was already). */
export function reapIfExited(pid: number): boolean {
  const r = libc.waitpid(pid, new Int32Array(1), 1 /* WNOHANG */);
  if (r === pid) return true;
  if (r < 0 && errno() === ECHILD) return true;
  check(r, { syscall: "waitpid", path: `pid ${pid}` });
  return false;
}
