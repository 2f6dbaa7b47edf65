// `rkt enter` (rkt's enter.go): a running pod, one of its apps (--app, or the only one), its PID 1
// from `pid`, and the stage1 `enter` entrypoint with rkt's arguments.
import type { GlobalOptions } from "../config/options.ts";
import { RktError, UsageError } from "../errors.ts";
import { dataPaths } from "../paths.ts";
import { podInfo } from "../pods/pod.ts";
import { checkCanEnter } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";

/** A stage1 `enter` entrypoint: `--pid=PID --appname=APP -- CMD…` in the pod directory. */
export type Stage1Enter = (argv: string[], podDir: string) => Promise<number>;

/** Runs `cmd` (default /bin/bash) in app `app` of pod `uuidPrefix`; resolves to its exit code. */
export async function enterPod(g: GlobalOptions, uuidPrefix: string, app: string | undefined, cmd: string[], stage1: Stage1Enter): Promise<number> {
  const paths = dataPaths(g.dir);
  const p = podInfo(paths, resolvePodUuid(paths, uuidPrefix));
  checkCanEnter(p.uuid, p.state);
  const apps = p.manifest?.apps.map((a) => a.name) ?? [];
  if (!app && apps.length !== 1) throw new UsageError(`pod "${p.uuid}" has ${apps.length} apps: choose one with --app (${apps.join(", ")})`);
  const name = app ?? apps[0]!;
  if (!apps.includes(name)) throw new RktError(`cannot enter app "${name}": pod "${p.uuid}" has no such app`);
  if (!p.pid) throw new RktError(`cannot enter pod "${p.uuid}": its PID 1 is not known yet`);
  return stage1([`--pid=${p.pid}`, `--appname=${name}`, "--", ...(cmd.length ? cmd : ["/bin/bash"])], p.path);
}
