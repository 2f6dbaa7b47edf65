// The pod shim, ffi/c/spawn.c, compiled by bun:ffi's cc() (TinyCC) once per process, on first use:
// ~3-4 ms, about a third of a whole `crun run` (DESIGN.md §3). Compiling it ahead on a worker thread
// was measured: it saved the main thread ~2.5 ms but cost ~9 ms of CPU on the other one (a second
// JS VM), so `rkt run` got slower whenever the host had other work, and kept 0.4 MiB more.
import { cc } from "bun:ffi";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "./sync-fs.ts";
import shimSource from "./c/spawn.c" with { type: "text" };
import { cstr } from "./cstr.ts";
import { libc } from "./libc.ts";
import * as syscalls from "./syscalls.ts";

/** shim(): spawn.c's one export, `int shim(u64 *call)` (each export costs cc() a trampoline). */
export type ShimFn = (call: bigint) => number;
const SHIM_SIGNATURE = { args: ["ptr"], returns: "int" } as const;

let shim: ShimFn | undefined;

/** A tmpfs for cc()'s files when the host has the usual one: on a disk, creating them costs ~1 ms. */
function scratchDir(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : process.env.TMPDIR || "/tmp";
}

/**
 * Runs `fn` with the C environment's TMPDIR set to `dir`: cc() writes TinyCC's headers (a dozen
 * files) there on every call, which takes ~1.3 ms on this machine's disk and ~0.1 ms on a tmpfs.
 */
function withTmpdir<T>(dir: string, fn: () => T): T {
  const before = process.env.TMPDIR;
  libc.setenv(cstr("TMPDIR"), cstr(dir), 1);
  try {
    return fn();
  } finally {
    if (before === undefined) libc.unsetenv(cstr("TMPDIR"));
    else libc.setenv(cstr("TMPDIR"), cstr(before), 1);
  }
}

/** The C library this process runs on, from its memory map; undefined when it is not glibc's. */
function processLibc(): string | undefined {
  return /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync("/proc/self/maps", "utf8"))?.[1];
}

/**
 * Compiles the shim. cc() needs a file; in a compiled binary the source is embedded text. It is
 * written out after this architecture's syscall numbers, without comments (TinyCC's time grows
 * with the text), into a fresh directory of this process only (a file another user could plant in
 * /tmp must never be compiled). TinyCC links with `-lc`, which needs the development files' linker
 * script libc.so: a host without them (a minimal one) gets one there naming the C library this
 * process already runs on, which is where the shim's calls resolve.
 */
function compileShim(): ShimFn {
  const defines = Object.entries(syscalls).filter(([k]) => k.startsWith("SYS_")).map(([k, v]) => `#define ${k} ${v}\n`).join("");
  const source = defines + shimSource.replace(/\/\*[\s\S]*?\*\//g, "");
  const scratch = scratchDir();
  const dir = mkdtempSync(`${scratch}/rkt-cc-`);
  try {
    const file = `${dir}/spawn.c`;
    writeFileSync(file, source);
    const libc = processLibc();
    if (libc) writeFileSync(`${dir}/libc.so`, `GROUP ( ${libc} )\n`);
    // flags replace Bun's defaults (-std=c11 -Wl,--export-all-symbols -g -O2): no debug info kept
    const flags = ["-std=c11", ...(libc ? [`-L${dir}`] : [])];
    return withTmpdir(scratch, () => cc({ source: file, flags, symbols: { shim: SHIM_SIGNATURE } }).symbols.shim) as unknown as ShimFn;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** shim(), compiled on first use. */
export function loadShim(): ShimFn {
  return (shim ??= compileShim());
}
