// `rkt run [flags] IMAGE [per-app flags] [-- args [---]] …`: prepare a pod and run it, with the
// built-in stage1 in this process (a stage1 image replaces it); exits with the pod's exit code.
import type { CommandDef } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { preparePod } from "../core/stage0/prepare.ts";
import { runPod } from "../core/stage0/run.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { parsePodArgs, RUN_HELP_ARGS } from "./_pod-args.ts";
import { getGlobals } from "./_shared.ts";
import { mark } from "../core/stage0/trace.ts";

// A plain CommandDef rather than citty's defineCommand (the same object, typed): importing citty
// at all costs `rkt run` ~1 ms (cmd/main.ts runs this command without it).
export default {
  meta: { name: "run", description: "Run image(s) in a pod in rkt" },
  args: { ...RUN_HELP_ARGS, image: { type: "positional", required: false, valueHint: "IMAGE [-- image-args...[---]]..." } },
  async run({ rawArgs }) {
    ensureSuperuser();
    const g = getGlobals();
    const { prepare, run } = parsePodArgs(rawArgs, true);
    mark("args parsed");
    const pod = await preparePod(g, prepare, run);
    return runPod(g, pod, run, (argv, dir) => builtinStage1("run", argv, dir));
  },
} satisfies CommandDef<any>;
