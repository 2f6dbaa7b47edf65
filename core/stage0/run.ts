// The second half of `rkt run` and `rkt run-prepared` (rkt's stage0 Run): move the pod to run/
// keeping its lock, mount the images, and hand over to the stage1 `run` entrypoint with rkt's stage1
// arguments for its interface version (layout.md §4). A stage1 image's entrypoint replaces this
// process (execve, RKT_LOCK_FD); the built-in stage1 runs in this process (DESIGN.md §3: every extra
// Bun process start costs about one crun), so the pod lock this process holds is the one RKT_LOCK_FD
// would carry.
import { mkdirSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import type { GlobalOptions } from "../config/options.ts";
import { PodStateError } from "../errors.ts";
import { warn } from "../log.ts";
import { formatNetworks, networkMode, type NetworkRequest } from "../networks.ts";
import { loadNetConfs, selectNets } from "../network-confs.ts";
import { dataPaths } from "../paths.ts";
import { lockPod, movePod, type LockedPod } from "../pods/lifecycle.ts";
import { podState, readPodManifest } from "../pods/pod.ts";
import { checkCanRunPrepared } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";
import { dnsConfMode, hostsFile, resolvConf, type DnsOptions } from "./dns.ts";
import { mountAppOverlays } from "./rootfs.ts";
import { execStage1Run } from "./stage1-exec.ts";
import { DEFAULT_IMAGE_NAME, stage1ImageName } from "./stage1-image.ts";
import { mountStage1Overlay, podStage1Tree, stage1InterfaceVersion } from "./stage1-pod.ts";
import { mark } from "./trace.ts";

/** Runtime options of run / run-prepared. */
export interface RunOptions {
  net: NetworkRequest[];
  interactive: boolean;
  hostname?: string;
  ipc?: string;
  dns: DnsOptions;
  /** the pod's `SHIFT:COUNT` with --private-users (rkt's private-users-prepared) */
  privateUsers?: string;
  /** register the pod with the metadata service before stage1 runs (--mds-register) */
  mdsRegister?: boolean;
}

/** A stage1 `run` entrypoint: rkt's arguments and the pod directory; resolves to the pod's exit code. */
export type Stage1Run = (argv: string[], podDir: string) => Promise<number>;

/**
 * rkt's stage1 `run` arguments for interface `version` (stage0/run.go): options the stage1 is too
 * old for are left out with rkt's warning. `mdsToken`: the pod's metadata service token, if registered.
 */
export function stage1RunArgs(g: GlobalOptions, uuid: string, opts: RunOptions, version: number, mdsToken?: string): string[] {
  const argv = [...(g.debug ? ["--debug"] : []), `--net=${formatNetworks(opts.net)}`];
  const unsupported = (what: string) => warn(`${what} option is not supported by stage1`);
  if (opts.interactive) argv.push("--interactive");
  if (opts.privateUsers) argv.push(`--private-users=${opts.privateUsers}`);
  if (mdsToken) argv.push(`--mds-token=${mdsToken}`);
  argv.push(`--local-config=${g.localConfig}`);
  if (opts.hostname) {
    if (version >= 2) argv.push(`--hostname=${opts.hostname}`);
    else unsupported("--hostname");
  }
  const mode = dnsConfMode(opts.dns, opts.net.length === 1 && opts.net[0]!.name === "host");
  if (mode.resolv !== "default" || mode.hosts !== "default") {
    if (version >= 4) argv.push(`--dns-conf-mode=resolv=${mode.resolv},hosts=${mode.hosts}`);
    else unsupported("--dns-conf-mode");
  }
  if (version >= 3) {
    if (g.insecure.capabilities) argv.push("--disable-capabilities-restriction");
    if (g.insecure.paths) argv.push("--disable-paths");
    if (g.insecure.seccomp) argv.push("--disable-seccomp");
  }
  if (opts.ipc) {
    if (version >= 6) argv.push(`--ipc=${opts.ipc}`);
    else unsupported("--ipc");
  }
  argv.push(uuid);
  return argv;
}

/** stage0's part of the DNS flags and --hosts-entry: the files stage1 binds into the apps. */
function writeDnsFiles(podDir: string, dns: DnsOptions): void {
  const etc = join(podDir, "stage1", "rootfs", "etc");
  const mode = dnsConfMode(dns, false);
  if (mode.resolv === "stage0" || mode.hosts === "stage0") mkdirSync(etc, { recursive: true });
  if (mode.resolv === "stage0") writeFileSync(join(etc, "rkt-resolv.conf"), resolvConf(dns), { mode: 0o644 });
  if (mode.hosts === "stage0") writeFileSync(join(etc, "rkt-hosts"), hostsFile(dns.hostsEntries), { mode: 0o644 });
}

/**
 * Fails before the pod runs when the requested networks or DNS entries cannot be set up: the
 * built-in default stage1's CNI networks must be configured (its stage1 would refuse the same
 * way, only later); fly always uses the host's, as rkt's, and a stage1 image (`builtin` undefined)
 * sets up what it supports.
 */
export function checkRunOptions(g: GlobalOptions, opts: RunOptions, builtin: string | undefined): void {
  if (builtin === DEFAULT_IMAGE_NAME && networkMode(opts.net) === "cni") selectNets(loadNetConfs(g.localConfig, () => {}), opts.net);
  if (!opts.dns.hostsEntries.includes("host")) hostsFile(opts.dns.hostsEntries);
}

/** Moves a prepared (or preparing) locked pod to run/ and runs stage1; resolves to the pod's exit code. */
export async function runPod(g: GlobalOptions, pod: LockedPod, opts: RunOptions, stage1: Stage1Run): Promise<number> {
  const paths = dataPaths(g.dir);
  const running = movePod(paths, pod, "run");
  mark("moved to run");
  try {
    const image = podStage1Tree(running.path) !== undefined;
    if (image) mountStage1Overlay(running.path, paths.trees);
    mountAppOverlays(running.path, (readPodManifest(running.path)?.apps ?? []).map((a) => a.name), paths.trees);
    writeDnsFiles(running.path, opts.dns);
    // as rkt's stage0, last before stage1; the client module loads only with --mds-register
    const mdsToken = opts.mdsRegister ? await (await import("../mds/client.ts")).registerPod(running.path, running.uuid) : undefined;
    const argv = stage1RunArgs(g, running.uuid, opts, stage1InterfaceVersion(running.path), mdsToken);
    mark("overlays mounted");
    if (image) execStage1Run(g, running.path, argv, running.lock);
    return await stage1(argv, running.path);
  } finally {
    running.lock.release();
  }
}

/** `rkt run-prepared UUID`: locks the prepared pod and runs it. */
export async function runPrepared(g: GlobalOptions, uuidPrefix: string, opts: RunOptions, stage1: Stage1Run): Promise<number> {
  const paths = dataPaths(g.dir);
  const uuid = resolvePodUuid(paths, uuidPrefix);
  const pod = podState(paths, uuid);
  checkCanRunPrepared(uuid, pod.state);
  checkRunOptions(g, opts, podStage1Tree(pod.path) === undefined ? stage1ImageName(pod.path) : undefined);
  // rkt checks before the pod leaves prepared/, so that run-prepared can simply be tried again
  if (opts.mdsRegister) await (await import("../mds/client.ts")).checkMdsAvailable();
  const locked = lockPod(paths, uuid, "prepared");
  if (!locked) throw new PodStateError(uuid, "being started by another process", "prepared");
  // `rkt run` has the range from its own prepare; a prepared pod keeps it in a file
  const { readUidRange } = await import("./userns.ts");
  return runPod(g, locked, { ...opts, privateUsers: readUidRange(locked.path) }, stage1);
}
