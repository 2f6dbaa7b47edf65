// mount(2) and umount2(2) with errors that name the source, target and flags (runc's mountError
// style), so stage1 and gc report exactly which of their many mounts failed.
import { cstr } from "./cstr.ts";
import { check, libc } from "./libc.ts";
import { MNT, MS } from "./constants.ts";
import { flagNames } from "./errors.ts";

/** mount(2). `source`/`fstype`/`data` may be omitted (bind, remount, propagation changes). */
export function mount(source: string | undefined, target: string, fstype: string | undefined, flags: number, data?: string): void {
  const s = source === undefined ? null : cstr(source);
  const t = cstr(target);
  const f = fstype === undefined ? null : cstr(fstype);
  const d = data === undefined ? null : cstr(data);
  check(libc.mount(s, t, f, BigInt(flags), d), {
    syscall: fstype ? `mount(${fstype})` : "mount",
    path: source ?? "none",
    target,
    flags: flagNames(flags, MS) + (data ? ` data=${data}` : ""),
  });
}

/** umount2(2); `flags` from MNT (MNT_DETACH for lazy unmounts of busy trees). */
export function umount(target: string, flags = 0): void {
  check(libc.umount2(cstr(target), flags), { syscall: "umount2", path: target, flags: flags ? flagNames(flags, MNT) : undefined });
}

export { MNT, MS };
