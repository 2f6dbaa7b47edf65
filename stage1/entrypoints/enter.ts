// The built-in stage1 `enter` entrypoint (coreos.com/rkt/stage1/enter, cwd = pod directory):
//   --pid=<PID> --appname=<app> -- <cmd> [args…]
// runs the command as root in the app's rootfs inside the pod's namespaces (PID is the pod's PID 1
// from `pid`), on the caller's terminal, and returns its exit code.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RktError, UsageError } from "../../core/errors.ts";
import { formatError } from "../../core/log.ts";
import { parsePodManifest } from "../../core/schema/pod-manifest.ts";
import { enterPod } from "../../ffi/spawn.ts";
import { appRootfs, enterSpec } from "../plan/pod.ts";
import { writeStderr } from "../../ffi/stdio.ts";

function parse(argv: readonly string[]): { pid: number; app: string; cmd: string[] } {
  const dash = argv.indexOf("--");
  const flags = dash < 0 ? argv : argv.slice(0, dash);
  const get = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3);
  const pid = Number(get("pid"));
  const app = get("appname");
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  if (!Number.isInteger(pid) || pid <= 0 || !app || cmd.length === 0) throw new UsageError("stage1 enter: expected --pid=PID --appname=APP -- CMD [ARGS...]");
  return { pid, app, cmd };
}

/** Runs the command; 254 (with a message) when it cannot be started. */
export function main(argv: string[], podDir = process.cwd()): number {
  try {
    const { pid, app, cmd } = parse(argv);
    const ra = parsePodManifest(readFileSync(join(podDir, "pod"))).apps.find((a) => a.name === app);
    if (!ra) throw new RktError(`cannot enter app "${app}": no such app in the pod`);
    // `rkt enter` defaults to /bin/bash; images without bash get /bin/sh
    const command = cmd.length === 1 && cmd[0] === "/bin/bash" && !existsSync(join(appRootfs(podDir, app), "bin/bash")) ? ["/bin/sh"] : cmd;
    const ignore = () => {};
    process.on("SIGINT", ignore); // ^C belongs to the command
    try {
      return enterPod(pid, enterSpec(podDir, ra, command));
    } finally {
      process.off("SIGINT", ignore);
    }
  } catch (e) {
    writeStderr(`${formatError(e)}\n`);
    return 254;
  }
}
