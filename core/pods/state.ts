// The pod lifecycle as rkt's pkg/pod (Documentation/devel/pod-lifecycle.md): a pod's state is never
// stored, it is derived from the directory the pod is in plus whether its directory lock is held.
// Guards name the states an operation accepts and throw PodStateError otherwise.
import { PodStateError } from "../errors.ts";
import type { PodStateDir } from "../paths.ts";

export type PodState =
  | "embryo"
  | "preparing"
  | "aborted-prepare"
  | "prepared"
  | "running"
  | "deleting"
  | "exited-deleting"
  | "exited"
  | "exited-garbage"
  | "garbage";

/**
 * State from (directory, lock held by a live process), layout.md §2. `locked` is asked only where
 * the lock tells states apart: an embryo or prepared pod is that whatever holds its lock (rkt's
 * getPod does not probe them), so that a reader never holds the lock a starter is taking.
 */
export function deriveState(dir: PodStateDir, locked: () => boolean): PodState {
  switch (dir) {
    case "embryo":
      return "embryo";
    case "prepare":
      return locked() ? "preparing" : "aborted-prepare";
    case "prepared":
      return "prepared";
    case "run":
      return locked() ? "running" : "exited";
    case "exited-garbage":
      return locked() ? "exited-deleting" : "exited-garbage";
    case "garbage":
      return locked() ? "deleting" : "garbage";
  }
}

/** The state as `rkt list`/`rkt status` print it ("aborted prepare", "exited garbage", …). */
export function stateName(s: PodState): string {
  return s.replace("-", " ");
}

/** Whether the pod's processes have ended (rkt's `exited=true`). */
export function isExited(s: PodState): boolean {
  return s === "exited" || s === "exited-garbage" || s === "exited-deleting";
}

function guard(uuid: string, state: PodState, allowed: readonly PodState[], want: string): void {
  if (!allowed.includes(state)) throw new PodStateError(uuid, stateName(state), want);
}

/** `rkt stop`: only running pods. */
export function checkCanStop(uuid: string, state: PodState): void {
  guard(uuid, state, ["running"], "running");
}

/** `rkt rm`: anything that is not running, being prepared or being deleted (rkt's rm.go). */
export function checkCanRemove(uuid: string, state: PodState): void {
  guard(uuid, state, ["embryo", "aborted-prepare", "prepared", "exited", "exited-garbage", "garbage"], "not running, preparing or deleting");
}

/** `rkt run-prepared`: only prepared pods. */
export function checkCanRunPrepared(uuid: string, state: PodState): void {
  guard(uuid, state, ["prepared"], "prepared");
}

/** `rkt enter`: only running pods. */
export function checkCanEnter(uuid: string, state: PodState): void {
  guard(uuid, state, ["running"], "running");
}

/** `rkt export`: only pods whose apps have exited. */
export function checkCanExport(uuid: string, state: PodState): void {
  guard(uuid, state, ["exited", "exited-garbage"], "exited");
}
