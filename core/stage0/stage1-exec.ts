// Handing over to a stage1 image's entrypoints as rkt's stage0 does (stage0/run.go, enter.go,
// gc.go, stop.go; layout.md §4): `run` and `enter` replace rkt (execve, cwd = pod directory), `run`
// with the pod lock's fd left open across the exec and named by RKT_LOCK_FD; `gc` and `stop` run as
// children in the pod directory. The built-in stage1 never comes here (DESIGN.md §3).
import { setCloexec, setNonblock } from "../../ffi/fs.ts";
import { SyscallError } from "../../ffi/errors.ts";
import { chdir, execve } from "../../ffi/proc.ts";
import type { GlobalOptions } from "../config/options.ts";
import { RktError } from "../errors.ts";
import type { FileLock } from "../lock.ts";
import { warn } from "../log.ts";
import { dataPaths } from "../paths.ts";
import { stage1Entrypoint, stage1InterfaceVersion, type EntrypointName } from "./stage1-pod.ts";

/** The host path of entrypoint `name`, or an error naming what the stage1 lacks. */
function entrypoint(g: GlobalOptions, podDir: string, name: EntrypointName, what: string): string {
  const path = stage1Entrypoint(podDir, dataPaths(g.dir).trees, name);
  if (!path) throw new RktError(`cannot ${what}: the pod's stage1 has no "${name}" entrypoint`);
  return path;
}

/** Replaces this process with `path argv…` in `podDir`, with the environment plus `env`. */
function execIn(podDir: string, path: string, argv: readonly string[], env: Record<string, string> = {}): never {
  // Bun ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across execve, a handled one
  // goes back to its default, which is what rkt's Go stage0 hands over.
  for (const sig of ["SIGPIPE", "SIGXFSZ"] as const) process.on(sig, () => {});
  for (const fd of [0, 1, 2]) {
    try {
      setNonblock(fd, false);
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "EBADF")) throw e; // a closed standard fd stays closed
    }
  }
  chdir(podDir);
  const all = { ...process.env, ...env };
  execve(path, [path, ...argv], Object.entries(all).map(([k, v]) => `${k}=${v ?? ""}`));
}

/** Runs `path argv…` as a child in `podDir`; resolves to its exit code (Bun's 128+N when killed by signal N). */
async function runIn(podDir: string, path: string, argv: readonly string[], stdout: "inherit" | "ignore"): Promise<number> {
  return Bun.spawn([path, ...argv], { cwd: podDir, stdin: "inherit", stdout, stderr: "inherit" }).exited;
}

/**
 * Execs the pod's stage1 `run` entrypoint with `argv` (rkt's arguments for its interface version),
 * keeping `lock` — the pod directory's lock — open across the exec for the pod's lifetime.
 */
export function execStage1Run(g: GlobalOptions, podDir: string, argv: readonly string[], lock: FileLock): never {
  const path = entrypoint(g, podDir, "run", "run pod");
  setCloexec(lock.fd, false);
  execIn(podDir, path, argv, { RKT_LOCK_FD: String(lock.fd), RKT_SELINUX_CONTEXT: "", RKT_SELINUX_MOUNT_CONTEXT: "" });
}

/** Execs the pod's stage1 `enter` entrypoint: `--pid=PID --appname=APP -- CMD…`. */
export function execStage1Enter(g: GlobalOptions, podDir: string, pid: number, app: string, cmd: readonly string[]): never {
  execIn(podDir, entrypoint(g, podDir, "enter", "enter pod"), [`--pid=${pid}`, `--appname=${app}`, "--", ...cmd]);
}

/** Runs the pod's stage1 `stop` entrypoint (`[--force] UUID`); resolves to its exit code. */
export async function runStage1Stop(g: GlobalOptions, podDir: string, uuid: string, force: boolean): Promise<number> {
  const path = entrypoint(g, podDir, "stop", `stop pod "${uuid}"`);
  return runIn(podDir, path, [...(force ? ["--force"] : []), uuid], "inherit");
}

/**
 * Runs the pod's stage1 `gc` entrypoint (`[--debug] [--local-config=DIR] UUID`, the latter from
 * interface version 5). As rkt, a stage1 gc that fails is reported and the pod deleted anyway.
 */
export async function runStage1Gc(g: GlobalOptions, podDir: string, uuid: string): Promise<void> {
  try {
    const path = entrypoint(g, podDir, "gc", `collect pod "${uuid}"`);
    const argv = [...(g.debug ? ["--debug"] : []), ...(stage1InterfaceVersion(podDir) >= 5 ? [`--local-config=${g.localConfig}`] : []), uuid];
    const code = await runIn(podDir, path, argv, "ignore");
    if (code !== 0) throw new RktError(`stage1 gc exited with ${code}`);
  } catch (e) {
    if (!(e instanceof RktError)) throw e;
    warn(`problem performing stage1 GC on "${uuid}": ${e.message}`);
  }
}
