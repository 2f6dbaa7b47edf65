// The `run` section of `bun run bench` (issue #3): `rkt run --net=host IMG` of /bin/true beside the
// floor (`unshare … chroot ROOTFS /bin/true`) and crun on the same rootfs, and the memory a running
// one-app pod keeps. Runs inside a private mount namespace with /sys/fs/cgroup/unified unmounted,
// because crun 1.8 refuses this machine's hybrid cgroup layout otherwise (DESIGN.md §9); rkt and
// the floor run under the same conditions.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RKT_BIN } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { freshFilesystem } from "./fresh-fs.ts";

/** How long after the start the pods count as settled (see runSection). */
const SETTLE_MS = 25_000;
/** Exited pods left on the host for the run-time measurement beside them (see runSection). */
const KEPT_PODS = 200;

export interface BenchTools {
  work: string;
  runs: number;
  median(cmd: string, setup?: string, runs?: number): number;
  /** medians of `a` and `b` run alternately, so that both see the same machine */
  paired(a: string, b: string, setup?: string, runs?: number): [number, number];
  sh(cmd: string): void;
  report(what: string, ours: number, base: number, goal: string): void;
}

/** Re-executes `argv` inside `unshare -m` with the unified cgroup hierarchy unmounted, once. */
export function inBenchMountNs(argv: string[]): boolean {
  if (process.env.RKT_BENCH_MNTNS) return false;
  const inner = `umount /sys/fs/cgroup/unified 2>/dev/null; exec ${argv.map((a) => `'${a}'`).join(" ")}`;
  const p = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", inner], {
    env: { ...process.env, RKT_BENCH_MNTNS: "1" },
    stdout: "inherit",
    stderr: "inherit",
  });
  process.exit(p.exitCode ?? 1);
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The process and all its descendants (through /proc/<pid>/task/*\/children). */
function tree(pid: number): number[] {
  const out = [pid];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
    for (const k of kids ? kids.split(" ") : []) out.push(...tree(Number(k)));
  }
  return out;
}

/**
 * Summed PSS and RSS (MiB) and process count of `pods`' process trees. A pod's PID 1 shares rkt's
 * address space (CLONE_VM): each address space counts once, known by its identical smaps_rollup.
 */
function podMemory(pods: readonly { pid: number }[]): { pss: number; rss: number; procs: number } {
  let pssSum = 0;
  let rssSum = 0;
  let procs = 0;
  for (const p of pods) {
    const seen = new Set<string>();
    for (const q of tree(p.pid)) {
      procs++;
      const key = readFileSync(`/proc/${q}/smaps_rollup`, "utf8").split("\n").slice(1).join("\n");
      if (seen.has(key)) continue;
      seen.add(key);
      pssSum += pss(q);
      rssSum += rss(q);
    }
  }
  return { pss: pssSum, rss: rssSum, procs };
}

export async function runSection(t: BenchTools): Promise<void> {
  // The store on a new filesystem, as for the other sections (see freshFilesystem): every pod creates
  // some thirty files and directories, and after many deletions each creation on this journal-less
  // disk took ~1 ms instead of ~0.05 ms (measured with mkdir(2) in a store used by earlier runs).
  using fs = freshFilesystem(join(t.work, "run-fs"));
  const store = join(fs.dir, "store");
  const aci = join(t.work, "busybox.aci");
  await busyboxAci(aci, { name: "example.com/bench-true", app: { exec: ["/bin/true"] } });
  const rkt = `${RKT_BIN} --dir=${store} --insecure-options=image`;
  t.sh(`${rkt} fetch ${aci} >/dev/null 2>&1`);
  const tree0 = readdirSync(join(store, "cas/tree"))[0]!;
  const rootfs = join(store, "cas/tree", tree0, "rootfs");

  // crun's bundle: the same rootfs, /bin/true, no terminal, the host network as --net=host.
  const bundle = join(t.work, "crun-bundle");
  rmSync(bundle, { recursive: true, force: true });
  mkdirSync(bundle);
  t.sh(`cd ${bundle} && crun spec`);
  const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  spec.root = { path: rootfs, readonly: true };
  spec.process.args = ["/bin/true"];
  spec.process.terminal = false;
  spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== "network");
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));

  const floor = t.median(`unshare --fork --pid --mount --uts --ipc --mount-proc chroot ${rootfs} /bin/true`, undefined, 20);
  const crunRun = `crun run --bundle ${bundle} bench-${process.pid} >/dev/null`;
  const rktRun = `${rkt} run --net=host example.com/bench-true >/dev/null 2>&1`;
  // Both put the container into its cgroup: a write to cgroup.procs, whose first writer after a
  // pause waits one RCU grace period (kernel/rcu/sync.c; 8-27 ms measured here) and whose writers
  // within the next grace period do not. A user starting a pod finds the machine idle, so each run
  // comes after a pause; pods started in a loop (back to back) share the grace period, which
  // leaves crun at 10-12 ms here against 24-34 ms after a pause.
  const [crunIdle, oursIdle] = t.paired(crunRun, rktRun, "sleep 0.5", 20);
  t.report("rkt run --net=host (/bin/true) vs crun run, each after a pause", oursIdle, crunIdle, "≤ 2.0, design 1.5");
  const [crun, ours] = t.paired(crunRun, rktRun, undefined, 20);
  t.report("  the same back to back (pods started in a loop)", ours, crun, "≤ 2.0, design 1.5");
  t.report("rkt run --net=host (/bin/true) back to back vs unshare+chroot floor", ours, floor, "—");
  // gc once, timed: wall time per pod, and how many pods it collected
  const gc = (): [number, number] => {
    const pods = readdirSync(join(store, "pods", "run")).length;
    const start = performance.now();
    t.sh(`${rkt} gc --grace-period=0s >/dev/null 2>&1`);
    return [(performance.now() - start) / pods, pods];
  };
  const [gcFew, fewPods] = gc();

  // Exited pods keep their overlays mounted until gc, as rkt's do: with a gc every 30 minutes (rkt's
  // advice) a host starting pods in a loop holds hundreds. What rkt itself reads of the mount table
  // must not grow with them (the kernel's copy of it into each new mount namespace does, crun's
  // too), and gc must take no longer per pod for many pods than for a few.
  const few = t.median(rktRun, undefined, 20);
  t.sh(`for i in $(seq ${KEPT_PODS}); do ${rktRun}; done`);
  const many = t.median(rktRun, undefined, 20);
  t.report(`  the same beside ${KEPT_PODS} exited pods vs right after a gc`, many, few, "—");
  const [gcMany, manyPods] = gc();
  t.report(`rkt gc per pod, of ${manyPods} exited pods vs of ${fewPods}`, gcMany, gcFew, "—");

  // Memory: one one-app pod that sleeps, then nine more. "Per additional pod" is the growth of the
  // ten pods' summed PSS over the first one's, divided by nine: what each pod adds once the rkt
  // binary's shared pages are paid for; the plain average over the ten is printed beside it. Taken
  // twice: just after the start, and once the pods have settled: JSC's warm-up and JIT threads end
  // after ~20 s without work (their stacks ~0.5 MiB), so what a running pod keeps is the second.
  const argv = [RKT_BIN, `--dir=${store}`, "run", "--net=host", "example.com/bench-true", "--exec=/bin/sleep", "--", "60"];
  const start = () => Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" });
  const pods = [start()];
  await Bun.sleep(1500);
  const first = podMemory(pods);
  for (let i = 1; i < 10; i++) pods.push(start());
  await Bun.sleep(2000);
  const early = podMemory(pods);
  await Bun.sleep(SETTLE_MS);
  const settled = podMemory(pods);
  for (const [when, all] of [["at start", early], ["settled", settled]] as const) {
    const extra = (all.pss - first.pss) / 9;
    console.log(`memory per additional running one-app pod (1 → 10 running), ${when.padEnd(8)}: PSS ${extra.toFixed(2)} MiB (goal ≤ 5 MiB); average of the ten ${(all.pss / 10).toFixed(1)} MiB PSS, ${(all.rss / 10).toFixed(1)} MiB RSS, ${(all.procs / 10).toFixed(0)} processes each`);
  }
  for (const p of pods) p.kill("SIGTERM");
  await Promise.all(pods.map((p) => p.exited));
  t.sh(`${rkt} gc --grace-period=0s >/dev/null 2>&1`);
}
