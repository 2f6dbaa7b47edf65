// `rkt stop` (rkt's stop.go): only running pods; the stage1 `stop` entrypoint does the signalling
// (a stage1 image's as a child process, the built-in one in this process).
import type { GlobalOptions } from "../config/options.ts";
import { RktError } from "../errors.ts";
import { dataPaths } from "../paths.ts";
import { podState } from "../pods/pod.ts";
import { checkCanStop } from "../pods/state.ts";
import { runStage1Stop } from "./stage1-exec.ts";
import { podStage1Tree } from "./stage1-pod.ts";

/** A stage1 `stop` entrypoint: `[--force] UUID` in the pod directory. */
export type Stage1Stop = (argv: string[], podDir: string) => Promise<number>;

/** Stops pod `uuid` (full UUID); SIGKILL at once with `force`. */
export async function stopPod(g: GlobalOptions, uuid: string, force: boolean, stage1: Stage1Stop): Promise<void> {
  const pod = podState(dataPaths(g.dir), uuid);
  checkCanStop(uuid, pod.state);
  const code = podStage1Tree(pod.path) !== undefined
    ? await runStage1Stop(g, pod.path, uuid, force)
    : await stage1([...(force ? ["--force"] : []), uuid], pod.path);
  if (code !== 0) throw new RktError(`cannot stop pod "${uuid}": stage1 stop exited with ${code}`);
}
