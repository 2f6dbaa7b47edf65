// Turns the pod manifest and stage1's arguments into everything the pod's PID 1 and the supervisor
// need: namespaces, the setup plan, the spec table (apps and their event handlers). Reads the app
// rootfs (users, groups, symlinks) but changes nothing: the PID 1 shim applies it.
import { hostname as hostnameOfHost } from "node:os";
import { join, posix } from "node:path";
import { RktError } from "../../core/errors.ts";
import { parseNetworks, supportedNetworkMode } from "../../core/networks.ts";
import type { PodManifest, RuntimeApp } from "../../core/schema/pod-manifest.ts";
import { CLONE } from "../../ffi/constants.ts";
import type { PodSetup, SpawnSpec } from "../../ffi/spawn.ts";
import type { AppSpecs } from "../supervisor.ts";
import type { RunArgs } from "./args.ts";
import { appEnvironment } from "./env.ts";
import { FLY_IMAGE_NAME, stage1ImageName } from "../../core/stage0/stage1-image.ts";
import { planPodMounts, type Flavor } from "./mounts.ts";
import { resolveCredentials } from "./user.ts";

/** Host path of app `name`'s rootfs inside pod directory `podDir` (layout.md §2). */
export function appRootfs(podDir: string, name: string): string {
  return join(podDir, "stage1", "rootfs", "opt", "stage2", name, "rootfs");
}

function appSpecs(podDir: string, ra: RuntimeApp, interactive: boolean): { main: SpawnSpec; preStart?: SpawnSpec; postStop?: SpawnSpec } {
  const app = ra.app;
  const exec = app?.exec ?? [];
  if (!app || exec.length === 0) throw new RktError(`cannot run app "${ra.name}": it has no exec (give one with --exec)`);
  const root = appRootfs(podDir, ra.name);
  const creds = resolveCredentials(root, ra.name, app.user, app.group, app.supplementaryGIDs);
  const env = appEnvironment(ra.name, app.environment);
  const cwd = app.workingDirectory || "/";
  const base = { root, cwd, env, nullStdin: !interactive, newMountNs: true, keepSession: interactive };
  const handler = (name: "pre-start" | "post-stop"): SpawnSpec | undefined => {
    const h = app.eventHandlers?.find((e) => e.name === name);
    // handlers run as root even when the app does not (rkt's TestPreStart)
    return h && h.exec.length ? { ...base, path: h.exec[0]!, argv: h.exec, uid: 0, gid: 0, groups: [] } : undefined;
  };
  return { main: { ...base, path: posix.resolve(cwd, exec[0]!), argv: exec, ...creds }, preStart: handler("pre-start"), postStop: handler("post-stop") };
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

/**
 * Everything needed to launch and supervise the pod. The fly flavor (rkt's stage1-fly) runs its one
 * app chrooted in the host's namespaces but for mounts: no PID 1 of its own, the host's hostname.
 */
export function planPod(
  podDir: string,
  manifest: PodManifest,
  args: RunArgs,
  console = "/dev/null",
  flavor: Flavor = "coreos",
): { setup: PodSetup; specs: SpawnSpec[]; apps: AppSpecs[] } {
  if (manifest.apps.length === 0) throw new RktError("cannot run pod: its manifest has no apps");
  const fly = flavor === "fly";
  if (fly && manifest.apps.length > 1) throw new RktError("cannot run pod: fly only supports 1 application per pod");
  const net = fly ? "host" : supportedNetworkMode(parseNetworks(args.net.join(",")));
  const hostname = fly ? hostnameOfHost() : args.hostname || `rkt-${args.uuid}`;
  const specs: SpawnSpec[] = [];
  const add = (s: SpawnSpec | undefined) => (s ? specs.push(s) - 1 : undefined);
  const apps = manifest.apps.map((ra): AppSpecs => {
    const s = appSpecs(podDir, ra, args.interactive);
    const preStart = add(s.preStart);
    const main = add(s.main)!;
    return { name: ra.name, main, preStart, postStop: add(s.postStop) };
  });
  const ops = planPodMounts({
    flavor,
    podDir,
    hostname,
    dns: args.dnsConfMode,
    volumes: manifest.volumes,
    console,
    apps: manifest.apps.map((ra) => ({
      name: ra.name,
      root: appRootfs(podDir, ra.name),
      mountPoints: ra.app?.mountPoints ?? [],
      mounts: ra.mounts ?? [],
      readOnlyRootFS: !!ra.readOnlyRootFS,
    })),
  });
  let cloneFlags = fly ? CLONE.CLONE_NEWNS : CLONE.CLONE_NEWPID | CLONE.CLONE_NEWNS | CLONE.CLONE_NEWUTS;
  if (!fly && args.ipc !== "parent") cloneFlags |= CLONE.CLONE_NEWIPC;
  if (net === "none") cloneFlags |= CLONE.CLONE_NEWNET;
  // fly keeps the host's UTS namespace: an empty hostname tells PID 1 not to set one
  return { setup: { cloneFlags, ops, hostname: fly ? "" : hostname, loopbackUp: net === "none", keepSession: args.interactive }, specs, apps };
}
