// SyscallError: the one error type of ffi/. It names the syscall, the errno (symbolic and text) and
// the path or arguments involved, in runc's mountError style, so callers need not add that context.
// Leaf module: imports nothing from the project.

/** errno values of x86_64/aarch64 Linux (asm-generic/errno-base.h, errno.h) that we name. */
const ERRNO: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"],
  5: ["EIO", "Input/output error"],
  7: ["E2BIG", "Argument list too long"],
  8: ["ENOEXEC", "Exec format error"],
  9: ["EBADF", "Bad file descriptor"],
  10: ["ECHILD", "No child processes"],
  11: ["EAGAIN", "Resource temporarily unavailable"],
  12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"],
  14: ["EFAULT", "Bad address"],
  16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"],
  19: ["ENODEV", "No such device"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  24: ["EMFILE", "Too many open files"],
  25: ["ENOTTY", "Inappropriate ioctl for device"],
  26: ["ETXTBSY", "Text file busy"],
  28: ["ENOSPC", "No space left on device"],
  30: ["EROFS", "Read-only file system"],
  36: ["ENAMETOOLONG", "File name too long"],
  38: ["ENOSYS", "Function not implemented"],
  39: ["ENOTEMPTY", "Directory not empty"],
  40: ["ELOOP", "Too many levels of symbolic links"],
  95: ["EOPNOTSUPP", "Operation not supported"],
};

/** Symbolic name of an errno value ("EPERM"), or "errno N" when unknown. */
export function errnoName(errno: number): string {
  return ERRNO[errno]?.[0] ?? `errno ${errno}`;
}

export interface SyscallErrorInit {
  syscall: string;
  errno: number;
  /** the path the call acted on, when there is one */
  path?: string;
  /** a second path (mount target, rename destination) */
  target?: string;
  /** flags already turned into names, e.g. "MS_BIND|MS_REC" */
  flags?: string;
}

/** A failed libc call: `mount src=/x dst=/y flags=MS_BIND: EPERM (Operation not permitted)`. */
export class SyscallError extends Error {
  readonly syscall: string;
  readonly errno: number;
  readonly code: string;
  /** the errno's text, as strerror(3) words it: "No such file or directory" */
  readonly reason: string;
  readonly path?: string;
  readonly target?: string;

  constructor(init: SyscallErrorInit) {
    const [code, text] = ERRNO[init.errno] ?? [`errno ${init.errno}`, "Unknown error"];
    const where = [
      init.path !== undefined ? (init.target !== undefined ? `src=${init.path}` : init.path) : "",
      init.target !== undefined ? `dst=${init.target}` : "",
      init.flags ? `flags=${init.flags}` : "",
    ].filter(Boolean);
    super(`${init.syscall}${where.length ? " " + where.join(" ") : ""}: ${code} (${text})`);
    this.name = "SyscallError";
    this.syscall = init.syscall;
    this.errno = init.errno;
    this.code = code;
    this.reason = text;
    this.path = init.path;
    this.target = init.target;
  }
}

/** Turns a bit set back into names: flagNames(MS_BIND|MS_REC, MS) = "MS_BIND|MS_REC". */
export function flagNames(value: number | bigint, table: Record<string, number | bigint>): string {
  const v = BigInt(value);
  const names: string[] = [];
  let rest = v;
  for (const [name, bit] of Object.entries(table)) {
    const b = BigInt(bit);
    if (b !== 0n && (v & b) === b) {
      names.push(name);
      rest &= ~b;
    }
  }
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names.join("|") || "0";
}
