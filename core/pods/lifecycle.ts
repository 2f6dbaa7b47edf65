// Pod state transitions, each one atomic rename(2) of the pod directory while its lock is held
// (rkt's pkg/pod and stage0): embryo → prepare → prepared | run → exited-garbage → deleted;
// prepare/prepared → garbage. The lock fd follows the directory across renames.
import { mkdirSync, renameSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { PodStateError } from "../errors.ts";
import { tryLock, type FileLock } from "../lock.ts";
import type { DataPaths, PodStateDir } from "../paths.ts";
import { newPodUuid } from "./uuid.ts";

/** A pod directory this process holds the lock of. */
export interface LockedPod {
  uuid: string;
  dir: PodStateDir;
  path: string;
  lock: FileLock;
}

/**
 * Creates `pods/embryo/<uuid>`, locks it and moves it to `prepare/` (rkt's NewPod): from then on
 * an interrupted prepare shows as "aborted prepare" and gc collects it. Writes `pod-created`.
 */
export function createPod(paths: DataPaths, uuid = newPodUuid()): LockedPod {
  for (const d of ["embryo", "prepare"] as const) mkdirSync(join(paths.pods, d), { recursive: true, mode: 0o750 });
  const embryo = paths.podDir("embryo", uuid);
  mkdirSync(embryo, { mode: 0o750 });
  const lock = tryLock(embryo);
  if (!lock) throw new PodStateError(uuid, "embryo", "an unlocked new pod");
  writeFileSync(join(embryo, "pod-created"), "");
  const pod: LockedPod = { uuid, dir: "embryo", path: embryo, lock };
  return movePod(paths, pod, "prepare");
}

/** Renames a locked pod's directory into state directory `to`; returns the moved pod. */
export function movePod(paths: DataPaths, pod: LockedPod, to: PodStateDir): LockedPod {
  const target = paths.podDir(to, pod.uuid);
  mkdirSync(join(paths.pods, to), { recursive: true, mode: 0o750 });
  renameSync(pod.path, target);
  return { ...pod, dir: to, path: target };
}

/** How long a refused exclusive lock is tried again: a reader's probe holds it for microseconds. */
const PROBE_WAIT_MS = 20;

/**
 * Locks the pod in `dir`; undefined when another process holds it. Exclusive, to start, move or
 * delete the pod: a refusal is tried again for PROBE_WAIT_MS, since `rkt status` and `rkt list`
 * probe the lock (shared) for a moment, while the process that owns a pod holds it far longer.
 * `shared`: gc's mark of an exited pod, which only a live owner refuses, at once.
 */
export function lockPod(paths: DataPaths, uuid: string, dir: PodStateDir, opts: { shared?: boolean } = {}): LockedPod | undefined {
  const path = paths.podDir(dir, uuid);
  let lock = tryLock(path, opts);
  for (let waited = 0; !lock && !opts.shared && waited < PROBE_WAIT_MS; waited++) {
    Bun.sleepSync(1);
    lock = tryLock(path);
  }
  return lock && { uuid, dir, path, lock };
}
