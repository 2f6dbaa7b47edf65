// `rkt gc` and `rkt rm` (rkt's gc.go, rm.go; layout.md §2): mark exited pods as garbage, expire
// prepared ones, and delete garbage after its grace period (measured from the mark rename's
// ctime), each step an atomic rename under the pod lock.
import { statSync } from "node:fs";
import type { GlobalOptions } from "../config/options.ts";
import { causeChain, messageOf, NotFoundError } from "../errors.ts";
import { warn } from "../log.ts";
import { dataPaths, type DataPaths, type PodStateDir } from "../paths.ts";
import { lockPod, movePod, type LockedPod } from "../pods/lifecycle.ts";
import { podState } from "../pods/pod.ts";
import { checkCanRemove } from "../pods/state.ts";
import { podDirs } from "../pods/uuid.ts";
import { runStage1Gc } from "./stage1-exec.ts";
import { podStage1Tree } from "./stage1-pod.ts";
import { deletePodDir, mountPoints } from "./teardown.ts";

/** What gc did with one pod, for the command to report. */
export type GcEvent =
  | { uuid: string; action: "marked" }
  | { uuid: string; action: "removed" }
  | { uuid: string; action: "kept"; reason: string };

export interface GcOptions {
  gracePeriodMs: number;
  expirePreparedMs: number;
  markOnly: boolean;
  now?: number;
}

/** The built-in stage1 `gc` entrypoint, run before a pod's directory goes (a stage1 image's runs as a child). */
export type Stage1Gc = (uuid: string, podDir: string) => Promise<void>;

function ctimeMs(path: string): number {
  return statSync(path).ctimeMs;
}

/** Moves every pod of `from` that no live process owns (exited / aborted) to `to`. */
function markUnlocked(paths: DataPaths, from: PodStateDir, to: PodStateDir, events: GcEvent[]): void {
  for (const { uuid, dir } of podDirs(paths)) {
    if (dir !== from) continue;
    const pod = lockPod(paths, uuid, from, { shared: true });
    if (!pod) continue;
    try {
      movePod(paths, pod, to);
      events.push({ uuid, action: "marked" });
    } finally {
      pod.lock.release();
    }
  }
}

/**
 * Deletes a garbage pod: stage1's gc, then its directory. `points`, the mount table as gc read it
 * once (deletePodDir), serves pods of the built-in stage1, whose gc mounts nothing; a stage1
 * image's gc is a program of its own, so its pod gets the table as it is afterwards.
 */
async function sweep(g: GlobalOptions, pod: LockedPod, stage1Gc: Stage1Gc, points?: string[]): Promise<void> {
  try {
    // rkt's stage0.GC: a pod that ran leaves the metadata service first; failing that only warns
    if (pod.dir === "exited-garbage") {
      const { unregisterPod } = await import("../mds/client.ts");
      await unregisterPod(pod.path, pod.uuid).catch((e) => warn(`could not unregister pod "${pod.uuid}" with the metadata service: ${messageOf(causeChain(e).at(-1))}`));
    }
    const image = podStage1Tree(pod.path) !== undefined;
    if (image) await runStage1Gc(g, pod.path, pod.uuid);
    else await stage1Gc(pod.uuid, pod.path);
    deletePodDir(pod.uuid, pod.path, image ? undefined : points);
  } finally {
    pod.lock.release();
  }
}

/** One gc pass; returns what happened to each pod touched. */
export async function gcPods(g: GlobalOptions, opts: GcOptions, stage1Gc: Stage1Gc): Promise<GcEvent[]> {
  const paths = dataPaths(g.dir);
  const events: GcEvent[] = [];
  markUnlocked(paths, "run", "exited-garbage", events);
  markUnlocked(paths, "prepare", "garbage", events);
  // after marking: a grace period of 0 collects what was marked just now
  const now = opts.now ?? Date.now();
  for (const { uuid, dir } of podDirs(paths)) {
    if (dir !== "prepared" || now - ctimeMs(paths.podDir(dir, uuid)) < opts.expirePreparedMs) continue;
    const pod = lockPod(paths, uuid, "prepared");
    if (!pod) continue;
    movePod(paths, pod, "garbage").lock.release();
    events.push({ uuid, action: "marked" });
  }
  if (opts.markOnly) return events;
  // read once, when the first pod goes: each pod's mounts are below its own directory
  let points: string[] | undefined;
  for (const { uuid, dir } of podDirs(paths)) {
    if (dir !== "exited-garbage" && dir !== "garbage") continue;
    const path = paths.podDir(dir, uuid);
    // ctime has sub-millisecond precision: a pod marked in this very pass may look younger than "now"
    if (dir === "exited-garbage" && opts.gracePeriodMs > 0 && now - ctimeMs(path) < opts.gracePeriodMs) {
      events.push({ uuid, action: "kept", reason: "still within grace period" });
      continue;
    }
    const pod = lockPod(paths, uuid, dir);
    if (!pod) continue; // another gc or rm is deleting it
    await sweep(g, pod, stage1Gc, (points ??= mountPoints()));
    events.push({ uuid, action: "removed" });
  }
  return events;
}

/** `rkt rm UUID`: garbage-collects one pod at once, whatever its grace period. */
export async function removePod(g: GlobalOptions, uuid: string, stage1Gc: Stage1Gc): Promise<void> {
  const paths = dataPaths(g.dir);
  const { dir, state } = podState(paths, uuid);
  checkCanRemove(uuid, state);
  const pod = lockPod(paths, uuid, dir);
  if (!pod) throw new NotFoundError(`cannot remove pod "${uuid}": another process holds it`);
  const target: PodStateDir = dir === "run" || dir === "exited-garbage" ? "exited-garbage" : "garbage";
  const moved = dir === target ? pod : movePod(paths, pod, target);
  await sweep(g, moved, stage1Gc);
}
