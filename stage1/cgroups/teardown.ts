// Removes a pod's cgroups (stage1 gc, so rkt gc and rkt rm): what is left in them is killed first
// (a fly app whose stage1 was killed, say), then each directory goes, deepest first. rmdir(2) of a
// cgroup fails with EBUSY until its last process is reaped, hence the short retries.
import { readFileSync, rmdirSync } from "node:fs";
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
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || i >= RETRIES) throw new RktError(`cannot remove cgroup "${dir}"`, { cause: e });
      killAll(dir);
      Bun.sleepSync(RETRY_MS);
    }
  }
}

/** Kills what is left in pod `podDir`'s cgroups and removes them. */
export function removePodCgroups(podDir: string): void {
  const dirs = readPodCgroups(podDir);
  for (const d of dirs) killAll(d);
  for (const d of dirs.toReversed()) remove(d);
}
