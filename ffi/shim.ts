// The pod shim, ffi/c/spawn.c, compiled by bun:ffi's cc() (TinyCC), once per process: here on the
// calling thread, or ahead of time on a worker thread (shim-worker.ts) while stage0 prepares the
// pod — the compile costs ~3-4 ms, about a third of a whole `crun run` (DESIGN.md §3). Bun never
// frees cc()'s relocated code (its FFI finalizer is empty; only close() would free it), so the
// function a finished worker compiled stays valid for the life of the process, as the pod's PID 1,
// which runs in this address space (CLONE_VM), needs.
import { CFunction, cc, type Pointer } from "bun:ffi";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import shimSource from "./c/spawn.c" with { type: "text" };
import { cstr } from "./cstr.ts";
import { libc } from "./libc.ts";
import * as syscalls from "./syscalls.ts";

/** shim(): spawn.c's one export, `int shim(u64 *call)` (each export costs cc() a trampoline). */
export type ShimFn = (call: bigint) => number;
const SHIM_SIGNATURE = { args: ["ptr"], returns: "int" } as const;

let shim: ShimFn | undefined;
let ahead: Promise<number | undefined> | undefined;

/** A tmpfs for cc()'s files when the host has the usual one: on a disk, creating them costs ~1 ms. */
function scratchDir(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : (require("node:os") as typeof import("node:os")).tmpdir();
}

/**
 * Runs `fn` with the C environment's TMPDIR set to `dir`: cc() writes TinyCC's headers (a dozen
 * files) there on every call, which takes ~1.3 ms on this machine's disk and ~0.1 ms on a tmpfs.
 * Main thread only: setenv races with other threads' getenv.
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

/**
 * Compiles the shim; returns the address of shim(). cc() needs a file; in a compiled binary the
 * source is embedded text. It is written out after this architecture's syscall numbers, without
 * comments (TinyCC's time grows with the text), to a fresh file of this process only (a file
 * another user could plant in /tmp must never be compiled). `onMainThread` may point TinyCC's
 * header files at the tmpfs (a worker leaves TMPDIR alone).
 */
export function compileShim(onMainThread: boolean): number {
  const defines = Object.entries(syscalls).filter(([k]) => k.startsWith("SYS_")).map(([k, v]) => `#define ${k} ${v}\n`).join("");
  const source = defines + shimSource.replace(/\/\*[\s\S]*?\*\//g, "");
  const scratch = scratchDir();
  const file = join(scratch, `rkt-spawn-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.c`);
  writeFileSync(file, source, { mode: 0o600, flag: "wx" });
  try {
    // the native address behind the symbol (Bun's FFI functions carry it as `ptr`)
    const compile = () => (cc({ source: file, symbols: { shim: SHIM_SIGNATURE } }).symbols.shim as unknown as { ptr: number }).ptr;
    return Number(onMainThread ? withTmpdir(scratch, compile) : compile());
  } finally {
    unlinkSync(file);
  }
}

/**
 * Starts compiling the shim on a worker thread, for a later loadShim() after awaitShim(). A failed
 * or unavailable worker only means loadShim() compiles it itself.
 */
export function compileShimAhead(): void {
  if (shim || ahead) return;
  ahead = new Promise<number | undefined>((resolve) => {
    let worker: Worker;
    try {
      // in the executable, an entry point's path is relative to the entry points' common directory,
      // the project root (release/build.ts); from source it does not resolve and the main thread compiles
      worker = new Worker("./ffi/shim-worker.ts");
    } catch {
      return resolve(undefined);
    }
    const done = (addr: number | undefined) => {
      worker.terminate();
      resolve(addr);
    };
    worker.onmessage = (e: MessageEvent<number | undefined>) => done(e.data);
    worker.onerror = () => done(undefined);
  });
}

function shimAt(addr: number): ShimFn {
  return CFunction({ ptr: addr as unknown as Pointer, ...SHIM_SIGNATURE }) as unknown as ShimFn;
}

/** Waits for the compile compileShimAhead() started, if any. */
export async function awaitShim(): Promise<void> {
  const addr = await ahead;
  if (addr && !shim) shim = shimAt(addr);
}

/** shim(), compiled now unless a worker already did (see awaitShim). */
export function loadShim(): ShimFn {
  return (shim ??= shimAt(compileShim(true)));
}
