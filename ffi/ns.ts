// Namespaces of the calling thread: unshare(2) and setns(2). In Bun they move only the main thread
// (DESIGN.md §3); callers save /proc/thread-self/ns/* fds first and setns back when done.
import { cstr } from "./cstr.ts";
import { check, libc } from "./libc.ts";
import { CLONE, O } from "./constants.ts";
import { flagNames } from "./errors.ts";

/** unshare(2) of the calling thread. */
export function unshare(flags: number): void {
  check(libc.unshare(flags), { syscall: "unshare", flags: flagNames(flags, CLONE) });
}

/** setns(2) into the namespace behind `fd`; `nstype` 0 accepts any type. */
export function setns(fd: number, nstype: number, path = `fd ${fd}`): void {
  check(libc.setns(fd, nstype), { syscall: "setns", path, flags: nstype ? flagNames(nstype, CLONE) : undefined });
}

/** An O_RDONLY|O_CLOEXEC fd of a namespace file such as /proc/thread-self/ns/mnt. */
export function openNs(path: string): number {
  return check(libc.open(cstr(path), O.O_RDONLY | O.O_CLOEXEC, 0), { syscall: "open", path });
}

export { CLONE };
