// The pod's PID 1 and its app processes, from the native shim ffi/c/spawn.c (why C: see its
// header). This module lays out the app specs in memory for the fork, compiles the shim once per
// process with bun:ffi cc(), and turns the shim's pipe protocol into typed commands and events.
import { cc, ptr } from "bun:ffi";
import { closeSync, existsSync, read, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import shimSource from "./c/spawn.c" with { type: "text" };
import { cstr, cstrv } from "./cstr.ts";
import { SyscallError, errnoName } from "./errors.ts";
import { pipe } from "./proc.ts";
import { SYS_close_range } from "./syscalls.ts";

/** One process the pod's PID 1 can start: an app or one of its event handlers. */
export interface SpawnSpec {
  /** executable, as seen inside `root` */
  path: string;
  argv: readonly string[];
  env: readonly string[];
  /** directory to chroot into (absolute, as seen by stage1) */
  root: string;
  /** working directory inside `root` */
  cwd: string;
  uid: number;
  gid: number;
  groups: readonly number[];
  /** stdin from /dev/null instead of rkt's own */
  nullStdin: boolean;
  /** its own mount namespace (rkt's apps do not share stage1's) */
  newMountNs: boolean;
}

/** What the pod's PID 1 reports. `status` is a raw wait(2) status. */
export type InitEvent =
  | { kind: "started"; idx: number; pid: number }
  | { kind: "exited"; idx: number; pid: number; status: number }
  | { kind: "start-failed"; idx: number; step: string; errno: number; code: string }
  | { kind: "signal"; signo: number }
  | { kind: "proc-mount-failed"; target: string; errno: number; code: string };

/** The steps of start_app() in spawn.c, in its order. */
const STEPS = ["fork", "unshare(CLONE_NEWNS)", "chroot", "chdir", "setgroups", "setresgid", "setresuid", "execve"];

const SLOTS = 11;

let shim: { pod_init: (pod: unknown) => number } | undefined;

function loadShim() {
  if (shim) return shim;
  // cc() needs a file; in a compiled binary the source is embedded text, so it is written out once.
  const file = join(tmpdir(), `rkt-spawn-${Bun.hash(shimSource).toString(16)}.c`);
  if (!existsSync(file)) writeFileSync(file, shimSource, { mode: 0o600 });
  shim = cc({ source: file, symbols: { pod_init: { args: ["ptr"], returns: "int" } } }).symbols as typeof shim;
  return shim!;
}

/** A running pod PID 1 as seen from stage1 (host PID namespace). */
export interface PodInit {
  /** host PID of the pod's PID 1 */
  readonly pid: number;
  /** starts spec `idx` */
  start(idx: number): void;
  /** sends `signo` to spec `idx` if it runs */
  signal(idx: number, signo: number): void;
  /** sends `signo` to every process of the pod but PID 1 */
  signalAll(signo: number): void;
  /** closes the command pipe: PID 1 kills what is left and exits */
  close(): void;
  /** the next events PID 1 reports; empty once it has exited (the pipe is then closed) */
  next(): Promise<InitEvent[]>;
}

/**
 * Forks the pod's PID 1. Call it on the thread that unshared CLONE_NEWPID (and the mount, UTS, IPC
 * and net namespaces the pod should have); PID 1 mounts procfs at each of `procTargets` first.
 */
export function startPodInit(specs: readonly SpawnSpec[], procTargets: readonly string[]): PodInit {
  const { pod_init } = loadShim();
  const keep: unknown[] = [];
  const table = new BigUint64Array(specs.length * SLOTS);
  const specPtrs = new BigUint64Array(specs.length + 1);
  specs.forEach((s, i) => {
    const path = cstr(s.path), root = cstr(s.root), cwd = cstr(s.cwd);
    const argv = cstrv(s.argv), env = cstrv(s.env);
    const groups = new Uint32Array(Math.max(1, s.groups.length));
    groups.set(s.groups);
    keep.push(path, root, cwd, argv, env, groups);
    const o = i * SLOTS;
    table.set([BigInt(ptr(path)), BigInt(argv.ptr), BigInt(env.ptr), BigInt(ptr(root)), BigInt(ptr(cwd)), BigInt(ptr(groups)),
      BigInt(s.groups.length), BigInt(s.uid), BigInt(s.gid), BigInt((s.nullStdin ? 1 : 0) | (s.newMountNs ? 2 : 0)), 0n], o);
    specPtrs[i] = BigInt(ptr(table)) + BigInt(o * 8);
  });
  const procs = cstrv(procTargets);
  const [cmdR, cmdW] = pipe();
  const [evR, evW] = pipe();
  const pod = new BigUint64Array([BigInt(specs.length), BigInt(ptr(specPtrs)), BigInt(procs.ptr), BigInt(cmdR), BigInt(evW),
    BigInt(SYS_close_range), BigInt(cmdW), BigInt(evR)]);
  const pid = pod_init(ptr(pod));
  void [keep, procs.keep];
  closeSync(cmdR);
  closeSync(evW);
  if (pid < 0) {
    closeSync(cmdW);
    closeSync(evR);
    throw new SyscallError({ syscall: "fork", errno: -pid, path: "pod init" });
  }
  const send = (op: number, idx: number, arg: number) => {
    try {
      writeSync(cmdW, new Uint8Array(new Int32Array([op, idx, arg]).buffer));
    } catch (e) {
      // PID 1 is gone: its end of the event pipe reports that
      if ((e as { code?: string }).code !== "EPIPE") throw e;
    }
  };
  let open = true;
  const buf = new Int32Array(64);
  const bytes = new Uint8Array(buf.buffer);
  return {
    pid,
    start: (idx) => send(1, idx, 0),
    signal: (idx, signo) => send(2, idx, signo),
    signalAll: (signo) => send(3, 0, signo),
    close() {
      if (open) closeSync(cmdW);
      open = false;
    },
    next() {
      // Each event is one atomic 16-byte write, so a read of a multiple of 16 bytes gets whole events.
      return new Promise((resolve, reject) =>
        read(evR, bytes, 0, bytes.length, null, (err, n) => {
          if (err) return reject(err);
          if (n === 0) closeSync(evR);
          const events: InitEvent[] = [];
          for (let i = 0; i < n / 4; i += 4) events.push(decode(buf[i]!, buf[i + 1]!, buf[i + 2]!, buf[i + 3]!, procTargets));
          resolve(events);
        }),
      );
    },
  };
}

function decode(kind: number, idx: number, a: number, b: number, procTargets: readonly string[]): InitEvent {
  switch (kind) {
    case 1:
      return { kind: "started", idx, pid: a };
    case 2:
      return { kind: "exited", idx, pid: a, status: b };
    case 3:
      return { kind: "start-failed", idx, step: STEPS[a] ?? `step ${a}`, errno: b, code: errnoName(b) };
    case 4:
      return { kind: "signal", signo: b };
    default:
      return { kind: "proc-mount-failed", target: procTargets[idx] ?? `#${idx}`, errno: b, code: errnoName(b) };
  }
}
