// What `rkt list` and `rkt status` report about pods (rkt's lib.Pod for JSON), and `status --wait`.
import type { GlobalOptions } from "../config/options.ts";
import type { NetInfo } from "../networks.ts";
import { dataPaths } from "../paths.ts";
import { listPods, podInfo, type PodInfo } from "../pods/pod.ts";
import { isExited, stateName } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";

/** rkt's JSON pod (rkt/lib/pod.go): times in Unix seconds. */
export interface PodJson {
  name: string;
  state: string;
  networks?: NetInfo[];
  app_names?: string[];
  started_at?: number;
  created_at?: number;
  pid?: number;
  user_annotations?: Record<string, string>;
  user_labels?: Record<string, string>;
}

/** The JSON form of a pod. */
export function podJson(p: PodInfo): PodJson {
  const secs = (d?: Date) => (d ? Math.floor(d.getTime() / 1000) : undefined);
  return {
    name: p.uuid,
    state: stateName(p.state),
    // rkt's api/v1 NetInfo: the mask as Go's IPMask.String() prints it, hex
    networks: p.networks.length ? p.networks.map((n) => ({ ...n, mask: Buffer.from(n.mask, "base64").toString("hex") })) : undefined,
    app_names: p.manifest?.apps.map((a) => a.name),
    started_at: secs(p.started),
    created_at: secs(p.created),
    pid: p.pid,
    user_annotations: p.manifest?.userAnnotations,
    user_labels: p.manifest?.userLabels,
  };
}

/** Every pod, newest first as rkt sorts `list`. */
export function listAllPods(g: GlobalOptions): PodInfo[] {
  return listPods(dataPaths(g.dir)).sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
}

/** One pod by UUID or prefix. */
export function podStatus(g: GlobalOptions, uuidPrefix: string): PodInfo {
  const paths = dataPaths(g.dir);
  return podInfo(paths, resolvePodUuid(paths, uuidPrefix));
}

/**
 * Polls (every 100 ms, as rkt) until the pod has exited (`ready`: until stage1 says the apps are
 * started); `timeoutMs` 0 waits forever. Returns the last status.
 */
export async function waitPod(g: GlobalOptions, uuidPrefix: string, until: "exited" | "ready", timeoutMs: number): Promise<PodInfo> {
  const paths = dataPaths(g.dir);
  const uuid = resolvePodUuid(paths, uuidPrefix);
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  for (;;) {
    const info = podInfo(paths, uuid);
    const done = until === "exited" ? isExited(info.state) : info.ready || isExited(info.state);
    if (done || Date.now() >= deadline) return info;
    await Bun.sleep(100);
  }
}
