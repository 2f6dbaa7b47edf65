// The built-in stage1 `gc` entrypoint (coreos.com/rkt/stage1/gc, `[--debug] [--local-config DIR]
// UUID`, cwd = pod directory): frees what a pod holds outside its directory, which is its cgroups
// (stage1/cgroups/teardown.ts). Its mounts live in the pod's mount namespace and die with it.
// TODO(#3): network namespaces, once stage1 creates them.
import { formatError } from "../../core/log.ts";
import { removePodCgroups } from "../cgroups/teardown.ts";

/** Removes the pod's cgroups; 0 on success, 254 (with the reason on stderr) otherwise. */
export function main(_argv: string[], podDir = process.cwd()): number {
  try {
    removePodCgroups(podDir);
    return 0;
  } catch (e) {
    process.stderr.write(`${formatError(e)}\n`);
    return 254;
  }
}
