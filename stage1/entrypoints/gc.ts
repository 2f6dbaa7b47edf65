// The built-in stage1 `gc` entrypoint (coreos.com/rkt/stage1/gc, `[--debug] [--local-config DIR]
// UUID`, cwd = pod directory): frees what a pod holds outside its directory, which is its CNI
// networks with their network namespace (stage1/net/pod-net.ts) and its cgroups
// (stage1/cgroups/teardown.ts). Its mounts live in the pod's mount namespace and die with it.
import { formatError } from "../../core/log.ts";
import { removePodCgroups } from "../cgroups/teardown.ts";
import { teardownPodNetworks } from "../net/pod-net.ts";
import { writeStderr } from "../../ffi/stdio.ts";

/** rkt's gc arguments: the pod's UUID and the local configuration directory (for the plugins there). */
function parseGcArgs(argv: readonly string[]): { uuid: string; localConfig?: string } {
  let localConfig: string | undefined;
  let uuid = "";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--local-config=")) localConfig = a.slice("--local-config=".length);
    else if (a === "--local-config") localConfig = argv[++i];
    else if (!a.startsWith("--")) uuid = a;
  }
  return { uuid, localConfig };
}

/** Leaves the pod's networks and removes its cgroups; 0 on success, 254 (with the reasons on stderr) otherwise. */
export async function main(argv: string[], podDir = process.cwd()): Promise<number> {
  const { uuid, localConfig } = parseGcArgs(argv);
  let code = 0;
  for (const step of [() => teardownPodNetworks(podDir, uuid, localConfig), () => removePodCgroups(podDir)]) {
    try {
      await step();
    } catch (e) {
      writeStderr(`${formatError(e)}\n`);
      code = 254;
    }
  }
  return code;
}
