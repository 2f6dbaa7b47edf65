// The pure mount planner of stage1 (STYLE.md §4): what the pod's mount namespace must contain, as
// a list of operations that stage1/init/rootfs.ts applies in order. Pod-wide: a tmpfs at
// stage1/rootfs/rkt/run holding /dev (tmpfs with the standard nodes, devpts, shm, mqueue), the
// inaccessible nodes and the pod-wide /etc files; per app: /sys, /dev, /etc files and volumes bound
// to mountPoints and mounts (rkt's GenerateMounts). The pod's PID 1 applies the plan inside the new
// namespaces (ffi/c/spawn.c), so /proc is the pod's own.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MS } from "../../ffi/constants.ts";
import type { SetupOp } from "../../ffi/spawn.ts";
import { RktError } from "../../core/errors.ts";
import { warn } from "../../core/log.ts";
import type { MountPoint } from "../../core/schema/app.ts";
import type { Mount, Volume } from "../../core/schema/pod-manifest.ts";
import { planInaccessibleNodes, planRestrictedPaths } from "./kernel-paths.ts";
import { resolveInRoot } from "./rootpath.ts";


/** An app's mount points (its image's) and mounts (the pod manifest's), to pair with the pod's volumes. */
export interface AppMountSpec {
  name: string;
  mountPoints: readonly MountPoint[];
  mounts: readonly Mount[];
}

export interface AppMountInput {
  name: string;
  /** host path of the app's rootfs */
  root: string;
  /** its mounts with their volumes (resolveAppMounts) */
  volumes: readonly ResolvedMount[];
  readOnlyRootFS: boolean;
  /** host path of the app's sd_notify socket (stage1/notify.ts), bound in at APP_NOTIFY_SOCKET */
  notifySocket?: string;
}

/** The built-in stage1 flavors: rkt's default (coreos/nspawn-like) and fly (chroot in host namespaces). */
export type Flavor = "coreos" | "fly";

export interface PodMountInput {
  flavor: Flavor;
  podDir: string;
  hostname: string;
  /** stage0's --dns-conf-mode: where /etc/resolv.conf and /etc/hosts come from */
  dns: { resolv: string; hosts: string };
  apps: readonly AppMountInput[];
  /** what /dev/console is bound to: the caller's tty with --interactive, else /dev/null */
  console: string;
  /** rkt's read-only and hidden kernel paths (off with --insecure-options=paths) */
  restrictPaths: boolean;
  /** --private-users: what the pod's IDs add up to on the host (0 without) */
  idShift?: number;
}

const S_IFCHR = 0o020000;
/** Device nodes of every pod's /dev (major, minor), as nspawn and runc create them. */
const DEVICES: [string, number, number][] = [["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0]];
const DEV_LINKS: [string, string][] = [["ptmx", "pts/ptmx"], ["fd", "/proc/self/fd"], ["stdin", "/proc/self/fd/0"], ["stdout", "/proc/self/fd/1"], ["stderr", "/proc/self/fd/2"]];

/** The localhost lines of rkt's generated hosts files. */
export const DEFAULT_HOSTS = "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";

/**
 * stage1/rootfs/rkt/run: a tmpfs in the pod's mount namespace only, for what only the running pod
 * uses. Nothing there is read after the pod, and its files on a tmpfs cost nothing on the pod's
 * disk, where each creation took 0.05-1 ms on the run path. Under /rkt, stage1's reserved directory:
 * a stage1 image's rootfs has its own files elsewhere (ours, a /run entrypoint).
 */
function podRunDir(podDir: string): string {
  return join(podDir, "stage1", "rootfs", "rkt", "run");
}

/** Where an app whose image supports sd_notify finds its socket (NOTIFY_SOCKET in its environment). */
export const APP_NOTIFY_SOCKET = "/run/systemd/notify";

/** The host directory of the apps' sd_notify sockets (stage1/notify.ts), each named as its app. */
export function notifySocketDir(podDir: string): string {
  return join(podDir, "stage1", "rootfs", "rkt", "notify");
}

/** stage1/rootfs/etc/<name>: the DNS files stage0 writes (core/stage0/run.ts writeDnsFiles). */
function stage0Etc(podDir: string, name: string): string {
  return join(podDir, "stage1", "rootfs", "etc", name);
}

/** The pod-wide files apps get their /etc/hosts and /etc/resolv.conf from. */
function podEtc(podDir: string, name: string): string {
  return join(podRunDir(podDir), "etc", name);
}

/**
 * Pod-wide DNS files, as rkt's stage1 init: `rkt-hosts` (stage0's, or the host's) overrides each
 * app's /etc/hosts; `hosts-fallback` serves apps without one. Both name the pod's hostname.
 */
function planPodEtc(input: PodMountInput): SetupOp[] {
  const { resolv, hosts } = input.dns;
  const ops: SetupOp[] = [];
  const self = `127.0.0.1\t${input.hostname}\n`;
  if (resolv === "host") ops.push({ op: "touch", path: podEtc(input.podDir, "rkt-resolv.conf") }, ...bind("/etc/resolv.conf", podEtc(input.podDir, "rkt-resolv.conf"), false, true));
  if (hosts === "host") ops.push({ op: "touch", path: podEtc(input.podDir, "rkt-hosts") }, ...bind("/etc/hosts", podEtc(input.podDir, "rkt-hosts"), false, true));
  else if (hosts === "stage0") ops.push({ op: "write", path: podEtc(input.podDir, "rkt-hosts"), content: readFileSync(stage0Etc(input.podDir, "rkt-hosts"), "utf8") + self, mode: 0o644 });
  else ops.push({ op: "write", path: podEtc(input.podDir, "hosts-fallback"), content: DEFAULT_HOSTS + self, mode: 0o644 });
  return ops;
}

/** The pod's shared /dev, in stage1's /run. */
function podDevDir(podDir: string): string {
  return join(podRunDir(podDir), "dev");
}

function planDev(dev: string, console: string): SetupOp[] {
  const { MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_STRICTATIME, MS_BIND } = MS;
  return [
    { op: "mkdir", path: dev, mode: 0o755 },
    { op: "mount", source: "tmpfs", target: dev, fstype: "tmpfs", flags: MS_NOSUID | MS_STRICTATIME, data: "mode=755,size=65536k" },
    ...DEVICES.map(([name, major, minor]): SetupOp => ({ op: "mknod", path: join(dev, name), mode: S_IFCHR | 0o666, major, minor, hostNode: `/dev/${name}` })),
    { op: "mkdir", path: join(dev, "pts"), mode: 0o755 },
    { op: "mount", source: "devpts", target: join(dev, "pts"), fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
    { op: "mkdir", path: join(dev, "shm"), mode: 0o1777 },
    { op: "mount", source: "shm", target: join(dev, "shm"), fstype: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=1777" },
    { op: "mkdir", path: join(dev, "mqueue"), mode: 0o755 },
    { op: "mount", source: "mqueue", target: join(dev, "mqueue"), fstype: "mqueue", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC },
    ...DEV_LINKS.map(([name, target]): SetupOp => ({ op: "symlink", target, path: join(dev, name) })),
    { op: "touch", path: join(dev, "console") },
    { op: "mount", source: console, target: join(dev, "console"), flags: MS_BIND },
  ];
}

/** A bind mount, made read-only by a second (remount) call when asked. */
function bind(source: string, target: string, recursive: boolean, readOnly: boolean): SetupOp[] {
  const rec = recursive ? MS.MS_REC : 0;
  const ops: SetupOp[] = [{ op: "mount", source, target, flags: MS.MS_BIND | rec }];
  if (readOnly) ops.push({ op: "mount", target, flags: MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | rec });
  return ops;
}

export interface ResolvedMount {
  volume: Volume;
  path: string;
  readOnly: boolean;
  /** an implicit volume: starts with what the image has at `path` (Docker's volume semantics) */
  fromImage?: boolean;
}

/** Pairs each app mount with its volume (rkt's GenerateMounts); unmatched mountPoints get an implicit empty volume. */
export function resolveAppMounts(app: AppMountSpec, volumes: readonly Volume[]): ResolvedMount[] {
  const byName = new Map(volumes.map((v) => [v.name, v]));
  const out: ResolvedMount[] = [];
  for (const m of app.mounts) {
    const volume = m.appVolume ?? byName.get(m.volume);
    if (!volume) throw new RktError(`cannot mount volume "${m.volume}" in app "${app.name}": no such volume in the pod`);
    const mp = app.mountPoints.find((p) => p.name === m.volume);
    out.push({ volume, path: m.path, readOnly: !!volume.readOnly || !!mp?.readOnly });
  }
  for (const mp of app.mountPoints) {
    if (app.mounts.some((m) => m.path === mp.path || m.volume === mp.name)) continue;
    const named = byName.get(mp.name);
    if (!named) {
      warn(`no volume specified for mount point "${mp.name}" of app "${app.name}", implicitly creating an "empty" volume; it is removed when the pod is garbage-collected`);
    }
    const volume: Volume = named ?? { name: `${app.name}-${mp.name}`, kind: "empty", mode: "0755", uid: 0, gid: 0 };
    out.push({ volume, path: mp.path, readOnly: !!volume.readOnly || !!mp.readOnly, fromImage: !named });
  }
  return out.sort((a, b) => a.path.split("/").filter(Boolean).length - b.path.split("/").filter(Boolean).length);
}

/**
 * Copies what the image has at a mount point into its implicit volume, once (rkt's Docker volume
 * semantics, TestDockerVolumeSemantics). Done here, before the pod's namespaces exist, with `cp -a`
 * (owners, modes, links and times kept): the PID 1 shim has no recursive copy, and only pods with
 * implicit volumes over non-empty image directories pay for the extra process.
 */
function prepopulate(imageDir: string, volumeDir: string): void {
  if (existsSync(volumeDir) || !existsSync(imageDir) || !statSync(imageDir).isDirectory()) return;
  if (readdirSync(imageDir).length === 0) return;
  mkdirSync(volumeDir, { recursive: true });
  const p = Bun.spawnSync(["cp", "-a", `${imageDir}/.`, volumeDir], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new RktError(`cannot fill implicit volume "${volumeDir}" from the image: ${p.stderr.toString().trim()}`);
}

function planVolume(podDir: string, root: string, m: ResolvedMount, seen: Set<string>, recursiveByDefault: boolean, idShift: number): SetupOp[] {
  const ops: SetupOp[] = [];
  let source = m.volume.source ?? "";
  if (m.volume.kind === "empty") {
    source = join(podDir, "sharedVolumes", m.volume.name);
    if (!seen.has(source)) {
      seen.add(source);
      if (m.fromImage) prepopulate(resolveInRoot(root, m.path), source);
      // PID 1 makes it before it enters the pod's user namespace: owners in host IDs
      ops.push({ op: "mkdir", path: source, mode: Number.parseInt(m.volume.mode ?? "0755", 8), uid: (m.volume.uid ?? 0) + idShift, gid: (m.volume.gid ?? 0) + idShift });
    }
  } else if (!existsSync(source)) {
    throw new RktError(`cannot mount volume "${m.volume.name}": host path "${source}" does not exist`);
  }
  const target = resolveInRoot(root, m.path);
  const isDir = m.volume.kind === "empty" || statSync(source).isDirectory();
  ops.push(isDir ? { op: "mkdir", path: target, mode: 0o755 } : { op: "touch", path: target });
  ops.push(...bind(source, target, m.volume.recursive ?? recursiveByDefault, m.readOnly));
  return ops;
}

/** An app's /etc files (rkt's prepare-app): hostname, hosts, resolv.conf, mtab. */
function planEtc(root: string, input: PodMountInput): SetupOp[] {
  const at = (p: string) => resolveInRoot(root, p);
  const fromStage1 = (source: string, target: string, onlyIfMissing = false): SetupOp[] => {
    if (onlyIfMissing && existsSync(at(target))) return [];
    return [{ op: "touch", path: at(target) }, ...bind(source, at(target), false, false)];
  };
  const ops: SetupOp[] = [
    { op: "mkdir", path: at("/etc"), mode: 0o755 },
    // the pod's hostname as the kernel has it, without writing into the image
    { op: "touch", path: at("/etc/hostname") },
    ...bind("/proc/sys/kernel/hostname", at("/etc/hostname"), false, false),
  ];
  const { podDir, dns } = input;
  if (dns.resolv === "host") ops.push(...fromStage1(podEtc(podDir, "rkt-resolv.conf"), "/etc/resolv.conf"));
  if (dns.resolv === "stage0") ops.push(...fromStage1(stage0Etc(podDir, "rkt-resolv.conf"), "/etc/resolv.conf"));
  if (dns.hosts === "host" || dns.hosts === "stage0") ops.push(...fromStage1(podEtc(podDir, "rkt-hosts"), "/etc/hosts"));
  else ops.push(...fromStage1(podEtc(podDir, "hosts-fallback"), "/etc/hosts", true));
  let mtab = true;
  try {
    lstatSync(join(root, "etc", "mtab"));
    mtab = false;
  } catch {
    // missing: rkt creates the symlink
  }
  if (mtab) ops.push({ op: "symlink", target: "../proc/self/mounts", path: join(at("/etc"), "mtab") });
  return ops;
}

/** /proc, /sys and /dev of one app: the pod's own (coreos), or the host's bound in (fly, as rkt's). */
function planKernelFs(input: PodMountInput, root: string, vols: readonly ResolvedMount[]): SetupOp[] {
  const { MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC } = MS;
  const dir = (name: string, mode: number): SetupOp => ({ op: "mkdir", path: join(root, name), mode });
  const sysShadowed = vols.some((v) => v.path.replace(/\/+$/, "") === "/sys");
  if (input.flavor === "fly") {
    return [
      ...(["dev", "proc", "sys"] as const).flatMap((d) => [dir(d, 0o755), ...bind(`/${d}`, join(root, d), true, false)]),
      dir("tmp", 0o1777),
      { op: "mount", source: "tmpfs", target: join(root, "tmp"), fstype: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=1777" },
    ];
  }
  return [
    dir("proc", 0o555),
    { op: "mount", source: "proc", target: join(root, "proc"), fstype: "proc", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC },
    ...(sysShadowed
      ? []
      : [dir("sys", 0o555), { op: "mount", source: "sysfs", target: join(root, "sys"), fstype: "sysfs", flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC } as SetupOp]),
    ...(input.restrictPaths ? planRestrictedPaths(podRunDir(input.podDir), root, !sysShadowed) : []),
    dir("dev", 0o755),
    ...bind(podDevDir(input.podDir), join(root, "dev"), true, false),
  ];
}

/** Every setup operation of the pod, in order. */
export function planPodMounts(input: PodMountInput): SetupOp[] {
  const run = podRunDir(input.podDir);
  const ops: SetupOp[] = [
    // Nothing mounted in the pod may propagate back to the host; host mounts still reach the pod.
    { op: "mount", target: "/", flags: MS.MS_REC | MS.MS_SLAVE },
    { op: "mkdir", path: run, mode: 0o755 },
    { op: "mount", source: "tmpfs", target: run, fstype: "tmpfs", flags: MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC, data: "mode=755" },
    ...(input.flavor === "coreos" ? planDev(podDevDir(input.podDir), input.console) : []),
    ...(input.flavor === "coreos" && input.restrictPaths ? planInaccessibleNodes(run) : []),
    ...planPodEtc(input),
  ];
  const seen = new Set<string>();
  for (const app of input.apps) {
    const { root, volumes: vols } = app;
    if (app.readOnlyRootFS) ops.push({ op: "mount", source: root, target: root, flags: MS.MS_BIND | MS.MS_REC });
    ops.push(...planKernelFs(input, root, vols), ...planEtc(root, input));
    // volumes are recursive binds by default, except in fly (layout.md §4)
    for (const v of vols) ops.push(...planVolume(input.podDir, root, v, seen, input.flavor !== "fly", input.idShift ?? 0));
    if (app.notifySocket) ops.push({ op: "touch", path: resolveInRoot(root, APP_NOTIFY_SOCKET) }, ...bind(app.notifySocket, resolveInRoot(root, APP_NOTIFY_SOCKET), false, false));
    if (app.readOnlyRootFS) ops.push({ op: "mount", target: root, flags: MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY });
  }
  return ops;
}
