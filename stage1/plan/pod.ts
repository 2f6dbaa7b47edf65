// Turns the pod manifest and stage1's arguments into everything the pod's PID 1 and the supervisor
// need: namespaces, the setup plan, the cgroup plan, the spec table (apps and their event handlers,
// with the app's isolators). Reads the app rootfs (users, groups, symlinks) but changes nothing:
// stage1 applies the cgroup plan, the PID 1 shim the rest.
import { readFileSync } from "../../ffi/sync-fs.ts";
import { join, resolve } from "../../core/posix-path.ts";
import type { DeviceRule } from "../../core/cgroups/devices.ts";
import type { CgroupManager, CgroupPlan } from "../../core/cgroups/manager.ts";
import { RktError } from "../../core/errors.ts";
import { warn } from "../../core/log.ts";
import { networkMode, parseNetworks } from "../../core/networks.ts";
import type { PodManifest, RuntimeApp } from "../../core/schema/pod-manifest.ts";
import { CLONE } from "../../ffi/constants.ts";
import type { PodSetup, SpawnSpec } from "../../ffi/spawn.ts";
import type { PodNetwork } from "../net/pod-net.ts";
import type { AppSpecs } from "../supervisor.ts";
import type { RunArgs } from "./args.ts";
import { appEnvironment, metadataEnv } from "./env.ts";
import { appIsolation, isolationWrites, type AppIsolation } from "./isolators.ts";
import { FLY_IMAGE_NAME, stage1ImageName } from "../../core/stage0/stage1-image.ts";
import { appDeviceRules } from "./devices.ts";
import { APP_NOTIFY_SOCKET, notifySocketDir, planPodMounts, resolveAppMounts, type AppMountInput, type Flavor } from "./mounts.ts";
import { resolveCredentials } from "./user.ts";

/** Host path of app `name`'s rootfs inside pod directory `podDir` (layout.md §2). */
export function appRootfs(podDir: string, name: string): string {
  return join(podDir, "stage1", "rootfs", "opt", "stage2", name, "rootfs");
}

interface AppSpecSet {
  main: SpawnSpec;
  preStart?: SpawnSpec;
  postStop?: SpawnSpec;
}

function appSpecs(podDir: string, ra: RuntimeApp, interactive: boolean, extraEnv: Record<string, string>): AppSpecSet {
  const app = ra.app;
  const exec = app?.exec ?? [];
  if (!app || exec.length === 0) throw new RktError(`cannot run app "${ra.name}": it has no exec (give one with --exec)`);
  const root = appRootfs(podDir, ra.name);
  const creds = resolveCredentials(root, ra.name, app.user, app.group, app.supplementaryGIDs);
  const env = appEnvironment(ra.name, app.environment, extraEnv);
  const cwd = app.workingDirectory || "/";
  const base = { root, cwd, env, nullStdin: !interactive, newMountNs: true, keepSession: interactive };
  const handler = (name: "pre-start" | "post-stop"): SpawnSpec | undefined => {
    const h = app.eventHandlers?.find((e) => e.name === name);
    // handlers run as root even when the app does not (rkt's TestPreStart)
    return h && h.exec.length ? { ...base, path: h.exec[0]!, argv: h.exec, uid: 0, gid: 0, groups: [] } : undefined;
  };
  return { main: { ...base, path: resolve(cwd, exec[0]!), argv: exec, ...creds }, preStart: handler("pre-start"), postStop: handler("post-stop") };
}

/** What systemd gave a pod it runs as a service (stage1/notify.ts, socket activation). */
export interface SystemdPod {
  /** the apps that report READY=1 themselves, each on its own socket */
  notifying?: readonly string[];
  /** sockets systemd passed rkt (sd_listen_fds: fds 3…3+count-1) and their LISTEN_FDNAMES */
  listen?: { count: number; names?: string };
}

/**
 * An app with a socket-activated port (appc's `socketActivated`) gets the sockets systemd passed
 * rkt at fds 3…, with LISTEN_FDS (and LISTEN_FDNAMES), as sd_listen_fds(3) expects them; spawn.c
 * adds LISTEN_PID once the app's process has its pid.
 */
function socketActivated(spec: SpawnSpec, listen: { count: number; names?: string }): SpawnSpec {
  const env = spec.env.filter((e) => !/^LISTEN_(FDS|PID|FDNAMES)=/.test(e));
  env.push(`LISTEN_FDS=${listen.count}`);
  if (listen.names !== undefined) env.push(`LISTEN_FDNAMES=${listen.names}`);
  return { ...spec, env, listenFds: listen.count };
}

/** What the host offers isolators: its cgroups (none: no cgroup limits) and capabilities. */
export interface HostIsolation {
  cgroups?: CgroupManager;
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  /** process.arch */
  arch: string;
}

/**
 * --private-users: apps are born in a user namespace, where lowering oom_score_adj is refused. While
 * still host root, PID 1 lowers its own to the lowest an app asks for (a setup op), which lets its
 * children go down to that (the kernel's oom_score_adj_min); the apps that ask for nothing return to
 * rkt's own score. Returns that lowest score, or undefined when no app asks for less than rkt's.
 */
export function lowerOomScoresForUserns(isolation: Map<string, AppIsolation>): number | undefined {
  const own = Number(readFileSync("/proc/self/oom_score_adj", "utf8"));
  const lowest = Math.min(...[...isolation.values()].map((i) => i.oomScoreAdj ?? own));
  if (lowest >= own) return undefined;
  for (const iso of isolation.values()) iso.oomScoreAdj ??= own;
  return lowest;
}

/**
 * Applies every app's isolators to its specs (the handlers share the app's cgroup and sandbox, as
 * ExecStartPre= shares a systemd unit's) and plans the pod's cgroups; `podOom` is what PID 1's own
 * oom_score_adj must be lowered to first (lowerOomScoresForUserns).
 */
function isolate(
  uuid: string,
  apps: readonly { ra: RuntimeApp; specs: AppSpecSet }[],
  args: RunArgs,
  host: HostIsolation,
  devices: ReadonlyMap<string, readonly DeviceRule[]> | undefined,
): { cgroups?: CgroupPlan; podOom?: number } {
  const opts = { disableCapabilities: args.disableCapabilities, disableSeccomp: args.disableSeccomp, lastCap: host.lastCap, arch: host.arch };
  const isolation = new Map<string, AppIsolation>(apps.map(({ ra, specs }) => [ra.name, appIsolation(ra.name, ra.app?.isolators, specs.main.uid, opts)]));
  const podOom = args.privateUsers ? lowerOomScoresForUserns(isolation) : undefined;
  const cgroups = host.cgroups?.planPod(uuid, apps.map(({ ra }) => ({ name: ra.name, resources: isolation.get(ra.name)!.resources, devices: devices?.get(ra.name) })));
  for (const c of new Set(cgroups?.unsupported)) warn(`resource/${c} isolator set but support disabled in the kernel, skipping`);
  for (const { ra, specs } of apps) {
    const iso = isolation.get(ra.name)!;
    const extra = { writes: isolationWrites(cgroups?.joins[ra.name] ?? [], iso.oomScoreAdj), capDrop: iso.capDrop, noNewPrivs: iso.noNewPrivs, seccomp: iso.seccomp };
    for (const s of [specs.preStart, specs.main, specs.postStop]) if (s) Object.assign(s, extra);
  }
  return { cgroups, podOom };
}

/**
 * What `rkt enter` runs in app `ra`: `cmd` as root in the app's rootfs and environment, at "/",
 * on the caller's terminal.
 */
export function enterSpec(podDir: string, ra: RuntimeApp, cmd: readonly string[]): SpawnSpec {
  return {
    path: cmd[0]!, argv: cmd, env: appEnvironment(ra.name, ra.app?.environment), root: appRootfs(podDir, ra.name), cwd: "/",
    uid: 0, gid: 0, groups: [], nullStdin: false, newMountNs: false, keepSession: true,
  };
}

/** The built-in flavor stage0 chose for this pod (`stage1/manifest`, see core/stage0/stage1-image.ts). */
export function podFlavor(podDir: string): Flavor {
  return stage1ImageName(podDir) === FLY_IMAGE_NAME ? "fly" : "coreos";
}

/** The pod's networking: fly always uses the host's, as rkt's; else stage1's --net. */
export function podNetworkMode(args: RunArgs, flavor: Flavor): "host" | "none" | "cni" {
  return flavor === "fly" ? "host" : networkMode(parseNetworks(args.net.join(",")));
}

/**
 * Everything needed to launch and supervise the pod. The fly flavor (rkt's stage1-fly) runs its one
 * app chrooted in the host's namespaces but for mounts: no PID 1 of its own, the host's hostname.
 */
export function planPod(
  podDir: string,
  manifest: PodManifest,
  args: RunArgs,
  host: HostIsolation,
  console = "/dev/null",
  flavor: Flavor = "coreos",
  systemd: SystemdPod = {},
  network?: PodNetwork,
): { setup: PodSetup; specs: SpawnSpec[]; apps: AppSpecs[]; cgroups?: CgroupPlan } {
  const notifying = systemd.notifying ?? [];
  if (manifest.apps.length === 0) throw new RktError("cannot run pod: its manifest has no apps");
  const fly = flavor === "fly";
  if (fly && manifest.apps.length > 1) throw new RktError("cannot run pod: fly only supports 1 application per pod");
  const net = podNetworkMode(args, flavor);
  if (net === "cni" && !network) throw new RktError("cannot run pod: its networks are not set up");
  // node:os only for fly: it takes ~0.25 ms to load
  const hostname = fly ? (require("node:os") as typeof import("node:os")).hostname() : args.hostname || `rkt-${args.uuid}`;
  const specs: SpawnSpec[] = [];
  const add = (s: SpawnSpec | undefined) => (s ? specs.push(s) - 1 : undefined);
  const mds = metadataEnv(args.mdsToken, net, network?.hostIP);
  const notifyEnv = (app: string): Record<string, string> => (notifying.includes(app) ? { NOTIFY_SOCKET: APP_NOTIFY_SOCKET } : {});
  const planned = manifest.apps.map((ra) => ({ ra, specs: appSpecs(podDir, ra, args.interactive, { ...mds, ...notifyEnv(ra.name) }) }));
  if (systemd.listen) for (const p of planned) if (p.ra.app?.ports?.some((port) => port.socketActivated)) p.specs.main = socketActivated(p.specs.main, systemd.listen);
  const mountInputs = manifest.apps.map((ra): AppMountInput => ({
    name: ra.name,
    root: appRootfs(podDir, ra.name),
    volumes: resolveAppMounts({ name: ra.name, mountPoints: ra.app?.mountPoints ?? [], mounts: ra.mounts ?? [] }, manifest.volumes),
    readOnlyRootFS: !!ra.readOnlyRootFS,
    notifySocket: notifying.includes(ra.name) ? join(notifySocketDir(podDir), ra.name) : undefined,
  }));
  // rkt's --insecure-options=paths lifts the device restriction with the kernel path restrictions
  const devices = fly || args.disablePaths ? undefined : new Map(mountInputs.map((m) => [m.name, appDeviceRules(m.volumes, console)]));
  // fly, as rkt's, runs its app with rkt's own privileges (so no user namespace) and no cgroups of its own
  const { cgroups, podOom } = fly ? {} : isolate(args.uuid, planned, args, host, devices);
  const idMap = fly ? undefined : args.privateUsers;
  const apps = planned.map(({ ra, specs: s }): AppSpecs => {
    const preStart = add(s.preStart);
    const main = add(s.main)!;
    return { name: ra.name, main, preStart, postStop: add(s.postStop) };
  });
  const ops = planPodMounts({
    flavor,
    podDir,
    hostname,
    // without --dns, the DNS of the pod's first network that has any (rkt's precedence)
    dns: net === "cni" && args.dnsConfMode.resolv === "default" && network?.dns ? { ...args.dnsConfMode, resolv: "cni" } : args.dnsConfMode,
    cniDns: network?.dns,
    console,
    restrictPaths: !args.disablePaths,
    idShift: idMap?.shift ?? 0,
    apps: mountInputs,
  });
  if (podOom !== undefined) ops.push({ op: "write", path: "/proc/self/oom_score_adj", content: String(podOom), mode: 0o644 });
  let cloneFlags = fly ? CLONE.CLONE_NEWNS : CLONE.CLONE_NEWPID | CLONE.CLONE_NEWNS | CLONE.CLONE_NEWUTS;
  if (!fly && args.ipc !== "parent") cloneFlags |= CLONE.CLONE_NEWIPC;
  // a CNI pod's PID 1 starts in the namespace its networks were set up in (stage1/net/netns.ts)
  if (net === "none") cloneFlags |= CLONE.CLONE_NEWNET;
  // fly keeps the host's UTS namespace: an empty hostname tells PID 1 not to set one
  const setup: PodSetup = { cloneFlags, ops, hostname: fly ? "" : hostname, loopbackUp: net !== "host", keepSession: args.interactive, idMap };
  return { setup, specs, apps, cgroups };
}
