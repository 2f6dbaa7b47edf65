// `rkt enter` (rkt's enter.go): a running pod, one of its apps (--app, or the only one), its PID 1
// from `pid` or `ppid` — waited for, as rkt's ContainerPid1, since stage1 writes it a little after
// the pod starts running — and the stage1 `enter` entrypoint with rkt's arguments: a stage1 image's
// replaces this process, the built-in one runs here.
import type { GlobalOptions } from "../config/options.ts";
import { RktError, UsageError } from "../errors.ts";
import { dataPaths, type DataPaths } from "../paths.ts";
import { podInfo, podState, readPodPid } from "../pods/pod.ts";
import { checkCanEnter } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";
import { execStage1Enter } from "./stage1-exec.ts";
import { podStage1Tree } from "./stage1-pod.ts";

/** A stage1 `enter` entrypoint: `--pid=PID --appname=APP -- CMD…` in the pod directory. */
export type Stage1Enter = (argv: string[], podDir: string) => Promise<number>;

/** How often the pid file is looked for (rkt's ContainerPid1 polls every 100 ms). */
const PID_POLL_MS = 100;

/** The pod's PID 1 once stage1 has written it; fails as soon as the pod stops running without it. */
async function waitForPid(paths: DataPaths, uuid: string): Promise<{ pid: number; path: string }> {
  for (;;) {
    const { state, path } = podState(paths, uuid);
    if (state !== "running") throw new RktError(`cannot determine the PID of pod "${uuid}": the pod is not running anymore`);
    const pid = readPodPid(path);
    if (pid) return { pid, path };
    await Bun.sleep(PID_POLL_MS);
  }
}

/** Runs `cmd` (default /bin/bash) in app `app` of pod `uuidPrefix`; resolves to its exit code. */
export async function enterPod(g: GlobalOptions, uuidPrefix: string, app: string | undefined, cmd: string[], stage1: Stage1Enter): Promise<number> {
  const paths = dataPaths(g.dir);
  const p = podInfo(paths, resolvePodUuid(paths, uuidPrefix));
  checkCanEnter(p.uuid, p.state);
  const apps = p.manifest?.apps.map((a) => a.name) ?? [];
  if (!app && apps.length !== 1) throw new UsageError(`pod "${p.uuid}" has ${apps.length} apps: choose one with --app (${apps.join(", ")})`);
  const name = app ?? apps[0]!;
  if (!apps.includes(name)) throw new RktError(`cannot enter app "${name}": pod "${p.uuid}" has no such app`);
  const { pid, path } = await waitForPid(paths, p.uuid);
  const command = cmd.length ? cmd : ["/bin/bash"];
  if (podStage1Tree(path) !== undefined) execStage1Enter(g, path, pid, name, command);
  return stage1([`--pid=${pid}`, `--appname=${name}`, "--", ...command], path);
}
