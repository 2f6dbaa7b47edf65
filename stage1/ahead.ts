// What the built-in stage1 starts before stage0 has even read its flags, for the commands that run
// pods (cmd/main.ts): the slow steps that do not depend on the pod — the first cgroup migration's
// grace period and the compile of the pod's PID 1 shim — overlap stage0's work on other threads.
import { compileShimAhead } from "../ffi/shim.ts";
import { primeCgroupMigration } from "./cgroups/setup.ts";

/** Starts the pod-independent slow steps of a built-in stage1 run on other threads. */
export function startAhead(): void {
  primeCgroupMigration();
  compileShimAhead();
}
