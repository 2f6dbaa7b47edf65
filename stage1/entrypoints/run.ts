// The built-in stage1 `run` entrypoint (coreos.com/rkt/stage1/run): cwd is the pod directory, the
// arguments are rkt's (stage1/plan/args.ts), RKT_LOCK_FD (when exec'd) stays open for the pod's
// lifetime. It plans the pod, makes its cgroups (removed again when the pod ends), clones its PID 1
// into the new namespaces (ffi/spawn.ts), writes `pid`, supervises the apps, writes their exit
// codes to stage1/rootfs/rkt/status/<app> and returns the pod's exit code (254 when the pod could
// not be set up).
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../../core/posix-path.ts";
import { formatError } from "../../core/log.ts";
import { parsePodManifest, type PodManifest } from "../../core/schema/pod-manifest.ts";
import { SIG } from "../../ffi/constants.ts";
import { kill, waitPid } from "../../ffi/proc.ts";
import { reapMigration, startPod, type PodInit, type SpawnSpec } from "../../ffi/spawn.ts";
import { createCgroups, hostCgroups, primeCgroupMigration, recordCgroupPlan } from "../cgroups/setup.ts";
import { removePodCgroups } from "../cgroups/teardown.ts";
import { checkPortsNetwork, forwardedPorts, parseNetworks } from "../../core/networks.ts";
import { inNetns } from "../net/netns.ts";
import type { PodNetwork } from "../net/pod-net.ts";
import { parseRunArgs, type RunArgs } from "../plan/args.ts";
import type { Flavor } from "../plan/mounts.ts";
import { planPod, podFlavor, podNetworkMode, type HostIsolation } from "../plan/pod.ts";
import { Supervisor, type AppSpecs } from "../supervisor.ts";
import { mark } from "../../core/stage0/trace.ts";
import type { PodNotifier } from "../notify.ts";
import { writeStderr } from "../../ffi/stdio.ts";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/** How long a pod runs before stage1 shrinks its own memory. */
const SHRINK_AFTER_MS = 500;
/** How often a cgroup prime still in its migration then is looked at again. */
const PRIME_RECHECK_MS = 100;

/** The tty rkt was started on, for /dev/console with --interactive. */
function callerTty(): string {
  try {
    const t = readlinkSync("/proc/self/fd/0");
    return t.startsWith("/dev/") ? t : "/dev/null";
  } catch {
    return "/dev/null";
  }
}

/** The sockets systemd passed this process (sd_listen_fds(3): LISTEN_PID names it); undefined without. */
function listenFds(): { count: number; names?: string } | undefined {
  const count = Number(process.env.LISTEN_FDS);
  if (process.env.LISTEN_PID !== String(process.pid) || !Number.isInteger(count) || count < 1) return undefined;
  return { count, names: process.env.LISTEN_FDNAMES };
}

/** This host's cgroups and capabilities, as seen from this process. */
function hostIsolation(): HostIsolation {
  return { cgroups: hostCgroups(), lastCap: Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8")), arch: process.arch };
}

/** The pod's CNI networks and forwarded ports, set up (loaded only then); undefined for host and none. */
async function podNetworks(podDir: string, args: RunArgs, flavor: Flavor, manifest: PodManifest): Promise<PodNetwork | undefined> {
  const mode = podNetworkMode(args, flavor);
  checkPortsNetwork(mode, manifest.ports.length);
  if (mode !== "cni") return undefined;
  const { setupPodNetworks } = require("../net/pod-net.ts") as typeof import("../net/pod-net.ts");
  return setupPodNetworks(podDir, args.uuid, parseNetworks(args.net.join(",")), forwardedPorts(manifest), args.localConfig, (msg) => writeStderr(`stage1: warning: ${msg}\n`));
}

async function launch(args: RunArgs, podDir: string): Promise<{ pod: PodInit; apps: AppSpecs[]; specs: SpawnSpec[]; uuid: string; interactive: boolean; notifier?: PodNotifier }> {
  const flavor = podFlavor(podDir);
  const host = hostIsolation();
  // again now: the apps join within the window it leaves open (stage1/cgroups/setup.ts)
  if (flavor !== "fly") primeCgroupMigration();
  mark("stage1 host");
  const manifest = parsePodManifest(readFileSync(join(podDir, "pod")));
  // run by systemd as a Type=notify service (fly, as rkt's, does not take part); loaded only then
  const systemd = flavor === "fly" ? undefined : process.env.NOTIFY_SOCKET;
  const sd = systemd ? (require("../notify.ts") as typeof import("../notify.ts")) : undefined;
  const notifying = sd ? manifest.apps.map((a) => a.name).filter((app) => sd.supportsNotify(podDir, app)) : [];
  const network = await podNetworks(podDir, args, flavor, manifest);
  // and once more after the CNI plugins, which take far longer than that window
  if (network) primeCgroupMigration();
  const plan = planPod(podDir, manifest, args, host, args.interactive ? callerTty() : "/dev/null", flavor, { notifying, listen: listenFds() }, network);
  mark("stage1 planned");
  // its sockets exist before PID 1 binds them into the apps
  const notifier = sd && systemd ? new sd.PodNotifier(systemd, podDir, notifying) : undefined;
  mkdirSync(join(podDir, "stage1", "rootfs", "rkt", "status"), { recursive: true });
  if (plan.cgroups) recordCgroupPlan(podDir, plan.cgroups);
  const pod = network ? inNetns(network.netns, () => startPod(plan.setup, plan.specs)) : startPod(plan.setup, plan.specs);
  mark("pod started");
  writeFileSync(join(podDir, "pid"), String(pod.pid));
  try {
    // before any app starts: PID 1 itself never joins them
    if (plan.cgroups) createCgroups(plan.cgroups);
  } catch (e) {
    notifier?.stop();
    pod.close();
    waitPid(pod.pid);
    throw e;
  }
  mark("cgroups created");
  return { pod, apps: plan.apps, specs: plan.specs, uuid: args.uuid, interactive: args.interactive, notifier };
}

/**
 * Removes the pod's cgroups once nothing runs in them, as systemd does with a stopped scope's;
 * stage1 gc removes what a killed stage1 left behind.
 */
function releaseCgroups(podDir: string): void {
  try {
    removePodCgroups(podDir);
  } catch (e) {
    writeStderr(`${formatError(e)}\n`);
  }
}

/** Leaves the pod's networks, if it joined any (stage1 gc does the same for a pod that ran). */
async function releaseNetworks(podDir: string, args: RunArgs): Promise<void> {
  if (!existsSync(join(podDir, "netns"))) return;
  try {
    await (require("../net/pod-net.ts") as typeof import("../net/pod-net.ts")).teardownPodNetworks(podDir, args.uuid, args.localConfig);
  } catch (e) {
    writeStderr(`${formatError(e)}\n`);
  }
}

/** Runs the pod in `podDir` (default: cwd); resolves to its exit code. */
export async function main(argv: string[], podDir = process.cwd()): Promise<number> {
  let launched;
  let args: RunArgs | undefined;
  try {
    args = parseRunArgs(argv);
    launched = await launch(args, podDir);
  } catch (e) {
    writeStderr(`${formatError(e)}\n`);
    releaseCgroups(podDir);
    // as rkt's stage1: a pod that could not start leaves its networks at once
    if (args) await releaseNetworks(podDir, args);
    return 254;
  }
  const { pod, apps, specs, uuid, interactive, notifier } = launched;
  const statusDir = join(podDir, "stage1", "rootfs", "rkt", "status");
  const timers: Timer[] = [];
  const later = (ms: number, fn: () => void) => void timers.push(setTimeout(fn, ms));
  const sup = new Supervisor(apps, {
    start: (i) => pod.start(i),
    signal: (i, s) => pod.signal(i, s),
    signalAll: (s) => pod.signalAll(s),
    writeStatus: (app, code) => writeFileSync(join(statusDir, app), String(code)),
    report: (msg) => writeStderr(`stage1: ${msg}\n`),
    later,
    // the app's rootfs as the pod sees it (its volumes are mounted in PID 1's mount namespace);
    // loaded only when an app could not start
    explain: (idx, step, code) =>
      step === "execve" && code === "ENOENT"
        ? (require("../diagnose.ts") as typeof import("../diagnose.ts")).explainMissingExec(`/proc/${pod.pid}/root${specs[idx]!.root}`, specs[idx]!.path)
        : undefined,
  });
  // rkt's own signals go to the pod's PID 1, which passes them on to every app; with --interactive
  // the terminal's ^C already reaches the app, which shares rkt's process group.
  const forward = (sig: (typeof FORWARDED)[number]) => (interactive && sig === "SIGINT") || kill(pod.pid, SIG[sig]);
  for (const sig of FORWARDED) process.on(sig, forward);
  let setupFailed = false;
  const unstarted = new Set(apps.map((a) => a.main));
  try {
    sup.begin();
    // This process stays for the pod's lifetime: once the pod has run a moment (a pod that ends
    // sooner never pays for it), JSC drops the compiled code and free heap it no longer needs
    // (~0.9 MiB of the ~8 MiB it keeps), and the cgroup prime is reaped: usually long done, but on
    // a loaded host its migration can outlast the moment, and it is looked at again until it has
    // exited. Bun.shrink is marked deprecated, hence the guard.
    const reapPrime = () => reapMigration() || later(PRIME_RECHECK_MS, reapPrime);
    later(SHRINK_AFTER_MS, () => {
      reapPrime();
      Bun.shrink?.();
    });
    while (!sup.done) {
      const events = await pod.next();
      if (events.length === 0) break;
      for (const ev of events) {
        mark(`event ${ev.kind}`);
        // ready once every app's main process runs: `rkt status --wait-ready`, and systemd's READY=1
        if (ev.kind === "started" && unstarted.delete(ev.idx) && unstarted.size === 0) {
          symlinkSync("ready", join(podDir, "stage1", "rootfs", "rkt", "supervisor-status"));
          notifier?.started();
        }
        if (ev.kind === "setup-failed") {
          writeStderr(`stage1: cannot set up pod "${uuid}": ${ev.error.message}\n`);
          setupFailed = true;
        }
        sup.handle(ev);
      }
    }
  } finally {
    notifier?.stop();
    pod.close();
    while ((await pod.next()).length > 0);
    waitPid(pod.pid);
    mark("pod reaped");
    releaseCgroups(podDir);
    mark("cgroups released");
    timers.forEach(clearTimeout);
    reapMigration();
    for (const sig of FORWARDED) process.off(sig, forward);
  }
  // PID 1 gone before every app finished: the pod could not run to its end
  return setupFailed || !sup.done ? 254 : sup.exitCode;
}
