// The pod's PID 1 and its app processes, from the native shim ffi/c/spawn.c (why C: see its
// header). This module lays out the setup plan and the app specs in memory for the clone, calls the
// shim (compiled by ffi/shim.ts), and turns its pipe protocol into typed commands and events. The
// calling thread never changes namespace.
import { ptr } from "bun:ffi";
import { closeSync, readSync, statSync, writeFileSync, writeSync } from "./sync-fs.ts";
import { MS } from "./constants.ts";
import { cstr, cstrv } from "./cstr.ts";
import { SyscallError, errnoName, flagNames } from "./errors.ts";
import { openNs } from "./ns.ts";
import { pipe, reapIfExited, waitPid } from "./proc.ts";
import { loadShim } from "./shim.ts";

/** One step of the pod's setup, done by its PID 1 inside the new namespaces, in order. */
export type SetupOp =
  | { op: "mount"; source?: string; target: string; fstype?: string; flags: number; data?: string }
  /** `hostNode`: bound over an empty file instead where mknod is refused (rkt inside a container) */
  | { op: "mknod"; path: string; mode: number; major: number; minor: number; hostNode?: string }
  | { op: "symlink"; target: string; path: string }
  | { op: "mkdir"; path: string; mode: number; uid?: number; gid?: number }
  | { op: "touch"; path: string }
  | { op: "write"; path: string; content: string; mode: number };

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
  /** stays in rkt's session and terminal instead of a session of its own */
  keepSession?: boolean;
  /** files written first, in order (joining cgroups through cgroup.procs, oom_score_adj) */
  writes?: readonly { path: string; data: string }[];
  /** capabilities taken out of the bounding set (bit n: capability n); the inheritable set is emptied */
  capDrop?: bigint;
  /** PR_SET_NO_NEW_PRIVS before the seccomp filter and execve */
  noNewPrivs?: boolean;
  /** a classic BPF program (struct sock_filter[]) loaded as the seccomp filter right before execve */
  seccomp?: Uint8Array;
  /** socket activation: fds 3…3+n-1 (systemd's, passed to rkt) stay open, with LISTEN_PID set to the app's pid */
  listenFds?: number;
}

/** What the pod's PID 1 needs before it can start apps. */
export interface PodSetup {
  /** CLONE_NEW* flags of the pod (always including CLONE_NEWPID) */
  cloneFlags: number;
  ops: readonly SetupOp[];
  hostname: string;
  /** bring `lo` up (a fresh network namespace) */
  loopbackUp: boolean;
  /** the pod stays in rkt's session, so an app can own rkt's terminal (--interactive) */
  keepSession: boolean;
  /** --private-users: the apps run in a user namespace whose IDs 0…count-1 are host IDs shift… */
  idMap?: { shift: number; count: number };
}

/** What the pod's PID 1 reports. `status` is a raw wait(2) status. */
export type InitEvent =
  | { kind: "started"; idx: number; pid: number }
  | { kind: "exited"; idx: number; pid: number; status: number }
  | { kind: "start-failed"; idx: number; step: string; errno: number; code: string }
  | { kind: "signal"; signo: number }
  | { kind: "setup-failed"; error: SyscallError }
  | { kind: "ready" };

/** The steps of start_app() in spawn.c, in its order. */
const STEPS = ["fork", "unshare(CLONE_NEWNS)", "chroot", "chdir", "setgroups", "setresgid", "setresuid", "execve", "write", "capset", "prctl(PR_SET_NO_NEW_PRIVS)", "seccomp"];
const OP_CODE = { mount: 1, mknod: 2, symlink: 3, mkdir: 4, touch: 5, write: 6 } as const;

/** shim()'s first argument: which of spawn.c's entry points to call with the second. */
const SHIM_POD_INIT = 1n;
const SHIM_POD_ENTER = 2n;
const SHIM_PRIME = 3n;

/** Keeps every buffer a C pointer refers to alive until the clone has copied them. */
class Arena {
  readonly keep: unknown[] = [];
  str(s: string | undefined): bigint {
    if (s === undefined) return 0n;
    const b = cstr(s);
    this.keep.push(b);
    return BigInt(ptr(b));
  }
  vec(items: readonly string[]): bigint {
    const v = cstrv(items);
    this.keep.push(v);
    return BigInt(v.ptr);
  }
  u64(values: bigint[]): bigint {
    const a = new BigUint64Array(values);
    this.keep.push(a);
    return BigInt(ptr(a));
  }
  /** a gid_t[] (32-bit), never empty so its pointer is valid */
  u32(values: readonly number[]): bigint {
    const a = new Uint32Array(Math.max(1, values.length));
    a.set(values);
    this.keep.push(a);
    return BigInt(ptr(a));
  }
}

/** Six u64 slots per op: kind, then what apply() in spawn.c reads for that kind. */
function encodeOp(a: Arena, o: SetupOp): bigint[] {
  const n = BigInt;
  const rest = ((): bigint[] => {
    switch (o.op) {
      case "mount":
        return [a.str(o.source), a.str(o.target), a.str(o.fstype), n(o.flags), a.str(o.data)];
      case "mknod":
        return [a.str(o.path), n(o.major), n(o.minor), n(o.mode), a.str(o.hostNode)];
      case "symlink":
        return [a.str(o.target), a.str(o.path), 0n, 0n, 0n];
      case "mkdir":
        return [a.str(o.path), 0n, (n(o.uid ?? 0) << 32n) | n(o.gid ?? 0), n(o.mode), 0n];
      case "touch":
        return [a.str(o.path), 0n, 0n, 0n, 0n];
      case "write": {
        const bytes = Buffer.from(o.content);
        a.keep.push(bytes);
        return [a.str(o.path), n(ptr(bytes)), n(bytes.length), n(o.mode), 0n];
      }
    }
  })();
  return [n(OP_CODE[o.op]), ...rest];
}

/** The failed setup op as a SyscallError, as if stage1 had made the call itself. */
function setupError(setup: PodSetup, idx: number, errno: number): SyscallError {
  const o = setup.ops[idx];
  if (idx === -1) return new SyscallError({ syscall: "sethostname", errno, path: setup.hostname });
  if (idx === -3) return new SyscallError({ syscall: "unshare", errno, path: "pod PID 1", flags: "CLONE_NEWUSER" });
  if (!o) return new SyscallError({ syscall: "ioctl(SIOCSIFFLAGS)", errno, path: "lo" });
  if (o.op === "mount") {
    return new SyscallError({ syscall: o.fstype ? `mount(${o.fstype})` : "mount", errno, path: o.source ?? "none", target: o.target, flags: flagNames(o.flags, MS) });
  }
  return new SyscallError({ syscall: o.op === "write" || o.op === "touch" ? "open" : o.op, errno, path: o.path });
}

/**
 * --private-users: reads PID 1's events until it is ready (its user namespace then exists: spawn.c)
 * or has failed, and maps the namespace, "0 shift count" for users and groups, before start() can
 * send a command. setgroups(2) stays allowed there (a privileged writer need not deny it): apps set
 * their supplementary groups. Returns the events read, raw, for next().
 */
function mapUsers(pid: number, evR: number, map: { shift: number; count: number }): number[][] {
  const buf = new Int32Array(64);
  const events: number[][] = [];
  for (let n = -1; n !== 0 && events.at(-1)?.[0] !== 5 && events.at(-1)?.[0] !== 6; ) {
    n = readSync(evR, new Uint8Array(buf.buffer));
    for (let i = 0; i < n / 4; i += 4) events.push([...buf.subarray(i, i + 4)]);
  }
  if (events.at(-1)?.[0] !== 6) return events;
  for (const file of ["uid_map", "gid_map"]) writeFileSync(`/proc/${pid}/${file}`, `0 ${map.shift} ${map.count}\n`);
  return events;
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

/** struct sock_fprog { unsigned short len; struct sock_filter *filter; } for prctl(PR_SET_SECCOMP). */
function sockFprog(a: Arena, program: Uint8Array | undefined): bigint {
  if (!program) return 0n;
  a.keep.push(program);
  return a.u64([BigInt(program.length / 8), BigInt(ptr(program))]);
}

function encodeSpec(a: Arena, s: SpawnSpec): bigint {
  const flags = (s.nullStdin ? 1 : 0) | (s.newMountNs ? 2 : 0) | (s.keepSession ? 4 : 0) | (s.noNewPrivs ? 8 : 0);
  const writes = s.writes?.length ? a.u64([...s.writes.flatMap((w) => [a.str(w.path), a.str(w.data)]), 0n]) : 0n;
  // room for the pid that spawn.c writes in once the app's process exists
  const listenPid = s.listenFds ? a.str(`LISTEN_PID=${" ".repeat(10)}`) : 0n;
  const env = listenPid ? a.u64([...s.env.filter((e) => !e.startsWith("LISTEN_PID=")).map((e) => a.str(e)), listenPid, 0n]) : a.vec(s.env);
  return a.u64([a.str(s.path), a.vec(s.argv), env, a.str(s.root), a.str(s.cwd), a.u32(s.groups), BigInt(s.groups.length),
    BigInt(s.uid), BigInt(s.gid), BigInt(flags), 0n, writes, s.capDrop ?? 0n, sockFprog(a, s.seccomp), BigInt(s.listenFds ?? 0), listenPid]);
}

/**
 * Runs `spec` inside the namespaces of the running process `pid` (a pod's PID 1) (`rkt enter`);
 * blocks until it exits and returns its exit code.
 */
export function enterPod(pid: number, spec: SpawnSpec): number {
  const shim = loadShim();
  // A pod with private users: its apps' user namespace last, so that joining the others (the host's
  // user namespace owns them) and the chroot through the host's pod directory still act as root.
  const userns = statSync(`/proc/${pid}/ns/user`).ino !== statSync("/proc/self/ns/user").ino;
  const fds = ["ipc", "uts", "net", "pid", "mnt", ...(userns ? ["user"] : [])].map((ns) => openNs(`/proc/${pid}/ns/${ns}`));
  const [evR, evW] = pipe();
  const a = new Arena();
  const child = shim(a.u64([SHIM_POD_ENTER, a.u64([encodeSpec(a, spec), BigInt(evW), ...fds.map(BigInt), BigInt.asUintN(64, -1n)])]));
  void a.keep;
  for (const fd of [...fds, evW]) closeSync(fd);
  try {
    if (child < 0) throw new SyscallError({ syscall: "clone", errno: -child, path: `enter pod process ${pid}` });
    const status = waitPid(child);
    // a start failure is one event: { 3, -1, step (0: setns), errno }
    const ev = new Int32Array(4);
    if (readSync(evR, new Uint8Array(ev.buffer)) === 16) {
      throw new SyscallError({ syscall: ev[2] === 0 ? "setns" : STEPS[ev[2]!]!, errno: ev[3]!, path: spec.path });
    }
    return (status & 0x7f) === 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
  } finally {
    closeSync(evR);
  }
}

/**
 * Clones the pod's PID 1 into new namespaces (`setup.cloneFlags`); it performs `setup.ops`, sets
 * the hostname, reports `ready` and then starts `specs` on command.
 */
export function startPod(setup: PodSetup, specs: readonly SpawnSpec[]): PodInit {
  const shim = loadShim();
  const a = new Arena();
  const specPtrs = specs.map((s) => encodeSpec(a, s));
  const ops = a.u64(setup.ops.flatMap((o) => encodeOp(a, o)));
  const [cmdR, cmdW] = pipe();
  const [evR, evW] = pipe();
  const pod = a.u64([BigInt(specs.length), a.u64(specPtrs.concat(0n)), BigInt(cmdR), BigInt(evW), BigInt(cmdW), BigInt(evR),
    BigInt(setup.cloneFlags), BigInt(setup.ops.length), ops, a.str(setup.hostname),
    BigInt((setup.loopbackUp ? 1 : 0) | (setup.keepSession ? 2 : 0) | (setup.idMap ? 4 : 0))]);
  const pid = shim(a.u64([SHIM_POD_INIT, pod]));
  closeSync(cmdR);
  closeSync(evW);
  if (pid < 0) {
    closeSync(cmdW);
    closeSync(evR);
    throw new SyscallError({ syscall: "clone", errno: -pid, path: "pod PID 1", flags: `0x${setup.cloneFlags.toString(16)}` });
  }
  let early: number[][] = [];
  try {
    if (setup.idMap) early = mapUsers(pid, evR, setup.idMap);
  } catch (e) {
    closeSync(cmdW); // PID 1 ends on EOF
    waitPid(pid);
    closeSync(evR);
    throw e;
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
  // PID 1 reads the plan from this memory (CLONE_VM) until it exits, which closes the event pipe
  let arena: Arena | undefined = a;
  // Read on the event loop (epoll), not with fs.read, whose blocking reads need Bun's thread pool:
  // its two threads would stay for the pod's lifetime (~0.2 MiB).
  const openReader = () => Bun.file(evR).stream().getReader();
  let reader: ReturnType<typeof openReader> | undefined;
  let partial = new Uint8Array(0);
  const decode = (kind: number, idx: number, x: number, y: number): InitEvent => {
    switch (kind) {
      case 1:
        return { kind: "started", idx, pid: x };
      case 2:
        return { kind: "exited", idx, pid: x, status: y };
      case 3:
        return { kind: "start-failed", idx, step: STEPS[x] ?? `step ${x}`, errno: y, code: errnoName(y) };
      case 4:
        return { kind: "signal", signo: y };
      case 5:
        return { kind: "setup-failed", error: setupError(setup, idx, y) };
      default:
        return { kind: "ready" };
    }
  };
  return {
    pid,
    start: (idx) => send(1, idx, 0),
    signal: (idx, signo) => send(2, idx, signo),
    signalAll: (signo) => send(3, -1, signo),
    close() {
      if (open) closeSync(cmdW);
      open = false;
    },
    async next() {
      if (early.length) return early.splice(0).map(([k, i, x, y]) => decode(k!, i!, x!, y!));
      while (arena) {
        const { done, value } = await (reader ??= openReader()).read();
        if (done) {
          closeSync(evR);
          arena = undefined;
          break;
        }
        // Each event is one atomic 16-byte write; a chunk may still end inside one.
        const bytes = partial.length ? Buffer.concat([partial, value]) : value;
        const whole = bytes.length - (bytes.length % 16);
        partial = bytes.slice(whole);
        if (whole === 0) continue;
        const ints = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + whole));
        const out: InitEvent[] = [];
        for (let i = 0; i < ints.length; i += 4) out.push(decode(ints[i]!, ints[i + 1]!, ints[i + 2]!, ints[i + 3]!));
        return out;
      }
      return [];
    },
  };
}

/** The running startMigration() child, and the memory it reads its path from. */
let primer: { pid: number; arena: Arena } | undefined;

/**
 * Starts a child (on this memory, running spawn.c) that moves itself into the cgroup of the
 * cgroup.procs file `procs` and exits: a cgroup migration beside this thread's work. While the
 * last one still runs, it is that one's migration that is pending, and no second one starts.
 */
export function startMigration(procs: string): void {
  if (primer && !reapIfExited(primer.pid)) return;
  const arena = new Arena();
  const pid = loadShim()(arena.u64([SHIM_PRIME, arena.str(procs)]));
  primer = pid > 0 ? { pid, arena } : undefined;
}

/**
 * Reaps the last startMigration() child once it has exited, so that no zombie stays beside a pod.
 * Returns whether none is left (false: it still waits in its migration).
 */
export function reapMigration(): boolean {
  if (primer && reapIfExited(primer.pid)) primer = undefined;
  return primer === undefined;
}
