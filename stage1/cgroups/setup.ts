// Applies a pod's cgroup plan (core/cgroups): the record of what the pod owns and rkt's `subcgroup`
// first (before `pid`, and so that gc finds even a half-made tree), then, before any app starts,
// the directories and the controller and limit files. The apps join their cgroups themselves,
// writing "0" to cgroup.procs in the PID 1 shim before execve: stage1 and PID 1 stay outside, so
// the pod's memory cgroup is never charged for the resident Bun process (DESIGN.md §3).
import { mkdirSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../../core/posix-path.ts";
import { detectCgroups } from "../../core/cgroups/detect.ts";
import { RktError } from "../../core/errors.ts";
import type { CgroupManager, CgroupPlan } from "../../core/cgroups/manager.ts";
import { podCgroupsFile } from "../../core/cgroups/pod.ts";
import { attachDeviceFilter } from "../../ffi/bpf.ts";
import { startMigration } from "../../ffi/spawn.ts";

let host: { mgr: CgroupManager | undefined } | undefined;

/** This host's cgroups as the calling process sees them (read once); undefined without cgroups. */
export function hostCgroups(): CgroupManager | undefined {
  return (host ??= { mgr: detectCgroups() }).mgr;
}

/**
 * Starts a cgroup migration beside this thread's work (a child that moves itself into the cgroup
 * this process is in, ffi/spawn.ts). Every cgroup migration takes cgroup_threadgroup_rwsem for
 * writing, whose first writer waits one RCU grace period (6–16 ms measured here; crun pays it too);
 * writers within the following grace period do not (kernel/rcu/sync.c). Started as soon as a
 * command that runs pods starts (cmd/main.ts) and again when stage1 plans the pod, it overlaps the
 * wait that the apps' own joins would otherwise pay before their execve (measured: `rkt run` 49 ms
 * without it, 37 ms with it). The waiting writer holds cgroup_mutex, so stage1 makes the pod's
 * directories only once its PID 1 is started.
 */
export function primeCgroupMigration(): void {
  const mgr = hostCgroups();
  if (mgr) startMigration(mgr.ownProcs);
}

/** Records the cgroups of `plan` in pod directory `podDir`, and rkt's `subcgroup`. */
export function recordCgroupPlan(podDir: string, plan: CgroupPlan): void {
  writeFileSync(podCgroupsFile(podDir), plan.owned.map((d) => `${d}\n`).join(""));
  writeFileSync(join(podDir, "subcgroup"), plan.subcgroup);
}

/** Creates the cgroups of `plan` with their limits and device restrictions. */
export function createCgroups(plan: CgroupPlan): void {
  for (const dir of plan.mkdirs) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EROFS") throw new RktError(`cannot create cgroup "${dir}": the cgroup filesystem is read-only here (inside a container, rkt needs it writable)`);
      if (code !== "EEXIST") throw new RktError(`cannot create cgroup "${dir}"`, { cause: e });
    }
  }
  for (const w of plan.writes) {
    try {
      writeFileSync(w.path, w.data);
    } catch (e) {
      if (w.optional && (e as { code?: string }).code === "EPERM") continue;
      throw new RktError(`cannot write "${w.data}" to cgroup file "${w.path}"`, { cause: e });
    }
  }
  for (const f of plan.deviceFilters) {
    try {
      attachDeviceFilter(f.dir, f.program);
    } catch (e) {
      throw new RktError(`cannot restrict the devices of cgroup "${f.dir}" (--insecure-options=paths runs without)`, { cause: e });
    }
  }
}
