// Per-arch syscall numbers for calls that glibc lacks a wrapper for (or that musl lacks), used via
// syscall(2). Sources: arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h.
const ARM64 = process.arch === "arm64";

/** pivot_root(2): glibc has no wrapper. */
export const SYS_pivot_root = ARM64 ? 41 : 155;
/** clone(2) as fork with namespace flags (no new stack): the child continues like fork's. */
export const SYS_clone = ARM64 ? 220 : 56;
/** close_range(2): glibc ≥ 2.34 only. */
export const SYS_close_range = 436;
/** setgroups(2), setresuid(2), setresgid(2) as raw syscalls: glibc's wrappers sync every thread. */
export const SYS_setgroups = ARM64 ? 159 : 116;
export const SYS_setresuid = ARM64 ? 147 : 117;
export const SYS_setresgid = ARM64 ? 149 : 119;
/** bpf(2): glibc has no wrapper. */
export const SYS_bpf = ARM64 ? 280 : 321;
/** statx(2) and getdents64(2): layouts that are the same on every architecture (ffi/sync-fs.ts). */
export const SYS_statx = ARM64 ? 291 : 332;
export const SYS_getdents64 = ARM64 ? 61 : 217;
