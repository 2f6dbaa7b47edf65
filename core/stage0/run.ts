// The second half of `rkt run` and `rkt run-prepared` (rkt's stage0 Run): move the pod to run/
// keeping its lock, and hand over to the stage1 `run` entrypoint with rkt's stage1 arguments
// (layout.md §4). The built-in stage1 runs in this process (DESIGN.md §3: every extra Bun process
// start costs about one crun), so the pod lock this process holds is the one RKT_LOCK_FD would carry.
import type { GlobalOptions } from "../config/options.ts";
import { PodStateError } from "../errors.ts";
import { formatNetworks, supportedNetworkMode, type NetworkRequest } from "../networks.ts";
import { dataPaths } from "../paths.ts";
import { lockPod, movePod, type LockedPod } from "../pods/lifecycle.ts";
import { podState, readPodManifest } from "../pods/pod.ts";
import { checkCanRunPrepared } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";
import { mountAppOverlays } from "./rootfs.ts";

/** Runtime options of run / run-prepared. */
export interface RunOptions {
  net: NetworkRequest[];
  interactive: boolean;
  hostname?: string;
  ipc?: string;
  dnsConfMode?: string;
}

/** A stage1 `run` entrypoint: rkt's arguments and the pod directory; resolves to the pod's exit code. */
export type Stage1Run = (argv: string[], podDir: string) => Promise<number>;

/** rkt's stage1 `run` arguments (interface version 6). */
export function stage1RunArgs(g: GlobalOptions, uuid: string, opts: RunOptions): string[] {
  const argv = [`--net=${formatNetworks(opts.net)}`];
  if (g.debug) argv.unshift("--debug");
  if (opts.interactive) argv.push("--interactive");
  argv.push(`--local-config=${g.localConfig}`);
  if (opts.hostname) argv.push(`--hostname=${opts.hostname}`);
  if (opts.dnsConfMode) argv.push(`--dns-conf-mode=${opts.dnsConfMode}`);
  if (opts.ipc) argv.push(`--ipc=${opts.ipc}`);
  argv.push(uuid);
  return argv;
}

/** Fails before any pod is made when the requested networks cannot be set up. */
export function checkRunOptions(opts: RunOptions): void {
  supportedNetworkMode(opts.net);
}

/** Moves a prepared (or preparing) locked pod to run/ and runs stage1; resolves to the pod's exit code. */
export async function runPod(g: GlobalOptions, pod: LockedPod, opts: RunOptions, stage1: Stage1Run): Promise<number> {
  const paths = dataPaths(g.dir);
  const running = movePod(paths, pod, "run");
  try {
    mountAppOverlays(running.path, (readPodManifest(running.path)?.apps ?? []).map((a) => a.name), paths.trees);
    return await stage1(stage1RunArgs(g, running.uuid, opts), running.path);
  } finally {
    running.lock.release();
  }
}

/** `rkt run-prepared UUID`: locks the prepared pod and runs it. */
export async function runPrepared(g: GlobalOptions, uuidPrefix: string, opts: RunOptions, stage1: Stage1Run): Promise<number> {
  checkRunOptions(opts);
  const paths = dataPaths(g.dir);
  const uuid = resolvePodUuid(paths, uuidPrefix);
  checkCanRunPrepared(uuid, podState(paths, uuid).state);
  const pod = lockPod(paths, uuid, "prepared");
  if (!pod) throw new PodStateError(uuid, "being started by another process", "prepared");
  return runPod(g, pod, opts, stage1);
}
