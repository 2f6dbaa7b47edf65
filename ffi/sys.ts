// The kernel seam of stage1 (youki's Syscall trait, rkt's fs.Mounter): the namespace and mount calls
// as an interface, with the real implementation and a recording fake for unit tests without root.
import { mknod } from "./fs.ts";
import { mount, umount } from "./mount.ts";
import { setns, unshare } from "./ns.ts";
import { chdir, chroot, pivotRoot, sethostname } from "./proc.ts";
import { SyscallError } from "./errors.ts";

/** The host operations stage1 setup performs, one method per syscall. */
export interface Sys {
  mount(source: string | undefined, target: string, fstype: string | undefined, flags: number, data?: string): void;
  umount(target: string, flags?: number): void;
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  chroot(path: string): void;
  chdir(path: string): void;
  pivotRoot(newRoot: string, putOld: string): void;
  sethostname(name: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
}

/** The real kernel. */
export const linuxSys: Sys = { mount, umount, unshare, setns, chroot, chdir, pivotRoot, sethostname, mknod };

/** One recorded call: the method name and its arguments. */
export interface SysCall {
  op: keyof Sys;
  args: unknown[];
}

/** A Sys that records calls instead of making them; `failAt` (1-based) makes that call throw `errno`. */
export function recordingSys(opts: { failAt?: number; errno?: number } = {}): Sys & { calls: SysCall[] } {
  const calls: SysCall[] = [];
  const record =
    (op: keyof Sys) =>
    (...args: unknown[]) => {
      calls.push({ op, args });
      if (calls.length === opts.failAt) {
        throw new SyscallError({ syscall: op, errno: opts.errno ?? 1, path: typeof args[0] === "string" ? args[0] : undefined });
      }
    };
  const ops = Object.keys(linuxSys) as (keyof Sys)[];
  return Object.assign(Object.fromEntries(ops.map((op) => [op, record(op)])) as unknown as Sys, { calls });
}
