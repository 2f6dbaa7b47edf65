// Hidden entrypoints of the rkt binary that implement the stage1 interface (rkt's
// Documentation/devel/stage1-implementors-guide.md). cmd/main.ts dispatches `_stage1-<name>` here
// before citty or any command module loads, so the stage1 start-up path stays minimal; stage0
// calls the built-in `run` in-process through builtinStage1Run (DESIGN.md §3).
import { writeStderr } from "../../ffi/stdio.ts";

type Entrypoint = (argv: string[], podDir?: string) => number | Promise<number>;

const entrypoints: Record<string, () => Promise<Entrypoint>> = {
  run: () => import("./run.ts").then((m) => m.main),
  stop: () => import("./stop.ts").then((m) => m.main),
  gc: () => import("./gc.ts").then((m) => m.main),
  enter: () => import("./enter.ts").then((m) => m.main),
};

/** Runs `_stage1-<name> args…`; an unknown name is an internal error (exit 254). */
export async function dispatch(argv: string[]): Promise<number> {
  const name = argv[0]!.slice("_stage1-".length);
  const load = entrypoints[name];
  if (!load) {
    writeStderr(`rkt: unknown stage1 entrypoint "${name}"\n`);
    return 254;
  }
  return (await load())(argv.slice(1));
}

/**
 * A built-in stage1 entrypoint in this process: the same arguments and pod directory contract as
 * the exec'd one. For `run` the caller keeps holding the pod lock for the pod's lifetime.
 */
export async function builtinStage1(name: "run" | "stop" | "gc" | "enter", argv: string[], podDir: string): Promise<number> {
  return (await entrypoints[name]!())(argv, podDir);
}

/** The built-in `gc` as rkt's stage0 calls a stage1's: with the local configuration (its network plugins). */
export function builtinGc(localConfig: string): (uuid: string, podDir: string) => Promise<void> {
  return async (uuid, podDir) => void (await builtinStage1("gc", [`--local-config=${localConfig}`, uuid], podDir));
}
