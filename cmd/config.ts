// `rkt config`: the merged stage0 configuration as `{"stage0": […]}`.
import { defineCommand } from "citty";
import { stage0Config } from "../core/stage0/config.ts";
import { getGlobals, prettyPrintArg } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "config", description: "Print configuration for each stage in JSON format" },
  args: { ...prettyPrintArg },
  run({ args }) {
    const out = { stage0: stage0Config(getGlobals()) };
    writeStdout((args["pretty-print"] ? JSON.stringify(out, null, "\t") : JSON.stringify(out)) + "\n");
  },
});
