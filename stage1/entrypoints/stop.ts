// The built-in stage1 `stop` entrypoint (coreos.com/rkt/stage1/stop, `[--force] UUID`, cwd = pod
// directory): SIGTERM to the pod's PID 1, which passes it to every app; SIGKILL after a grace
// period, or at once with --force (the kernel then kills the whole PID namespace).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SIG } from "../../ffi/constants.ts";
import { kill } from "../../ffi/proc.ts";

/** How long apps get to exit after SIGTERM. */
export const STOP_GRACE_MS = 5_000;

function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
  } catch {
    return false;
  }
}

/** Stops the pod in `podDir`; 0 when it is gone (or was not running). */
export async function main(argv: string[], podDir = process.cwd()): Promise<number> {
  const force = argv.includes("--force");
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(podDir, "pid"), "utf8"), 10);
  } catch {
    return 0;
  }
  if (!kill(pid, force ? SIG.SIGKILL : SIG.SIGTERM)) return 0;
  for (const deadline = Date.now() + STOP_GRACE_MS; alive(pid) && Date.now() < deadline; ) await Bun.sleep(20);
  if (alive(pid)) kill(pid, SIG.SIGKILL);
  return 0;
}
