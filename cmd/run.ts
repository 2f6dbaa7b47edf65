// `rkt run [flags] IMAGE [per-app flags] [-- args [---]] …`: prepare a pod and run it, with the
// built-in stage1 in this process (a stage1 image replaces it); exits with the pod's exit code.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { preparePod } from "../core/stage0/prepare.ts";
import { runPod } from "../core/stage0/run.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { parsePodArgs, RUN_HELP_ARGS } from "./_pod-args.ts";
import { getGlobals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "run", description: "Run image(s) in a pod in rkt" },
  args: { ...RUN_HELP_ARGS, image: { type: "positional", required: false, valueHint: "IMAGE [-- image-args...[---]]..." } },
  async run({ rawArgs }) {
    ensureSuperuser();
    const g = getGlobals();
    const { prepare, run } = parsePodArgs(rawArgs, true);
    const pod = await preparePod(g, prepare, run);
    return runPod(g, pod, run, (argv, dir) => builtinStage1("run", argv, dir));
  },
});
