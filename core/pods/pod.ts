// One pod as stage0 sees it: where its directory is now, its derived state, and what its files say
// (manifest, creation and start times, pid, apps' exit codes, networks). Reading never takes a lock for longer
// than a non-blocking probe, so listing pods never waits on a running one.
import { readdirSync, readFileSync, readlinkSync, statSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { NotFoundError, RktError } from "../errors.ts";
import { readNetInfo, type NetInfo } from "../networks.ts";
import { tryLock } from "../lock.ts";
import { POD_STATE_DIRS, type DataPaths, type PodStateDir } from "../paths.ts";
import type { PodManifest } from "../schema/pod-manifest.ts";
import { deriveState, type PodState } from "./state.ts";
import { podDirs } from "./uuid.ts";

/** Where a pod directory is right now. */
export interface PodRef {
  uuid: string;
  dir: PodStateDir;
  /** absolute path of the pod directory */
  path: string;
}

/** What `rkt list` and `rkt status` show about a pod. */
export interface PodInfo extends PodRef {
  state: PodState;
  manifest?: PodManifest;
  created?: Date;
  started?: Date;
  /** host PID of the pod's PID 1 while it runs */
  pid?: number;
  /** exit code of every app that has one */
  appExitCodes: Record<string, number>;
  /** stage1 reported its apps started (`stage1/rootfs/rkt/supervisor-status` → ready) */
  ready: boolean;
  /** the CNI networks it joined (`net-info.json`) */
  networks: NetInfo[];
}

/** The state directory that holds pod `uuid` now; NotFoundError when none does. */
export function locatePod(paths: DataPaths, uuid: string): PodRef {
  for (const dir of POD_STATE_DIRS) {
    const path = paths.podDir(dir, uuid);
    try {
      if (statSync(path).isDirectory()) return { uuid, dir, path };
    } catch {
      // not in this state
    }
  }
  throw new NotFoundError(`cannot find pod "${uuid}": no such pod`);
}

/**
 * Whether a process owns the pod (holds its directory's lock exclusively). The probe is a
 * non-blocking shared lock, as rkt's getPod: readers never refuse one another, gc's mark or, for
 * more than a moment, a process that takes the lock to start, move or delete the pod.
 */
export function isPodLocked(path: string): boolean {
  const lock = tryLock(path, { shared: true });
  lock?.release();
  return lock === undefined;
}

/**
 * The pod's current directory and state. A rename racing the probe (the pod moved on) is retried,
 * as rkt's pods.go does on ENOENT.
 */
export function podState(paths: DataPaths, uuid: string): PodRef & { state: PodState } {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ref = locatePod(paths, uuid);
    try {
      return { ...ref, state: deriveState(ref.dir, () => isPodLocked(ref.path)) };
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
  }
  throw new RktError(`cannot determine the state of pod "${uuid}": it keeps moving between states`);
}

function mtime(path: string): Date | undefined {
  try {
    return statSync(path).mtime;
  } catch {
    return undefined;
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The pod manifest as written by stage0 (`pod`), undefined before it exists. */
export function readPodManifest(podPath: string): PodManifest | undefined {
  const text = readText(join(podPath, "pod"));
  return text === undefined ? undefined : (JSON.parse(text) as PodManifest);
}

/** The host PID stage1 wrote (`pid`, or the only child of `ppid`). */
export function readPodPid(podPath: string): number | undefined {
  const pid = readText(join(podPath, "pid"));
  if (pid !== undefined) return Number.parseInt(pid, 10) || undefined;
  const ppid = Number.parseInt(readText(join(podPath, "ppid")) ?? "", 10);
  if (!ppid) return undefined;
  const children = (readText(`/proc/${ppid}/task/${ppid}/children`) ?? "").trim().split(/\s+/).filter(Boolean);
  return children.length === 1 ? Number(children[0]) : undefined;
}

/** The status directory stage1 writes the apps' exit codes to. */
export function appStatusDir(podPath: string): string {
  return join(podPath, "stage1", "rootfs", "rkt", "status");
}

/** Exit codes of the apps that have one (`stage1/rootfs/rkt/status/<app>`). */
export function readAppExitCodes(podPath: string): Record<string, number> {
  const dir = appStatusDir(podPath);
  const codes: Record<string, number> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return codes;
  }
  for (const name of names) {
    if (name.endsWith("-created") || name.endsWith("-started")) continue;
    const code = Number.parseInt(readText(join(dir, name)) ?? "", 10);
    if (!Number.isNaN(code)) codes[name] = code;
  }
  return codes;
}

/** Everything `list`/`status` show about pod `uuid`. */
export function podInfo(paths: DataPaths, uuid: string): PodInfo {
  const ref = podState(paths, uuid);
  const running = ref.state === "running";
  return {
    ...ref,
    manifest: readPodManifest(ref.path),
    created: mtime(join(ref.path, "pod-created")) ?? mtime(join(ref.path, "pod")),
    started: mtime(join(ref.path, "pid")) ?? mtime(join(ref.path, "ppid")),
    pid: running ? readPodPid(ref.path) : undefined,
    appExitCodes: readAppExitCodes(ref.path),
    ready: readLink(join(ref.path, "stage1", "rootfs", "rkt", "supervisor-status")) === "ready",
    networks: readNetInfo(ref.path),
  };
}

/** All pods, in no particular order; pods that vanish while being read are left out. */
export function listPods(paths: DataPaths): PodInfo[] {
  const out: PodInfo[] = [];
  for (const { uuid } of podDirs(paths)) {
    try {
      out.push(podInfo(paths, uuid));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  return out;
}
