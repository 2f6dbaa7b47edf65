// Removes a pod's cgroups, deepest first: when the pod ends, and in stage1 gc (so rkt gc and rkt rm)
// for a pod whose stage1 was killed. rmdir(2) of a cgroup fails with EBUSY while a process is left
// in it: that one is killed, and the rmdir retried until the kernel has reaped it.
import { existsSync, readFileSync, rmdirSync } from "../../ffi/sync-fs.ts";
import { RktError } from "../../core/errors.ts";
import { readPodCgroups } from "../../core/cgroups/pod.ts";
import { SIG } from "../../ffi/constants.ts";
import { kill } from "../../ffi/proc.ts";

const RETRIES = 50;
const RETRY_MS = 20;

function killAll(dir: string): void {
  let procs = "";
  try {
    procs = readFileSync(`${dir}/cgroup.procs`, "utf8");
  } catch {
    return; // gone already
  }
  for (const pid of procs.split("\n").filter(Boolean)) kill(Number(pid), SIG.SIGKILL);
}

function remove(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      return rmdirSync(dir);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // a read-only cgroup filesystem answers EROFS even for what is not there (never made)
      if (code === "ENOENT" || (code === "EROFS" && !existsSync(dir))) return;
      if (code !== "EBUSY" || i >= RETRIES) throw new RktError(`cannot remove cgroup "${dir}"`, { cause: e });
      killAll(dir);
      Bun.sleepSync(RETRY_MS);
    }
  }
}

/** Removes pod `podDir`'s cgroups, killing what is left in them. */
export function removePodCgroups(podDir: string): void {
  for (const d of readPodCgroups(podDir).toReversed()) remove(d);
}
