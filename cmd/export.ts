// `rkt export [--app=NAME] [--overwrite] UUID OUTPUT.aci`: an exited pod's app as an ACI.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { UsageError } from "../core/errors.ts";
import { exportPod } from "../core/stage0/export.ts";
import { getGlobals, overwriteArg, positionals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "export", description: "Export an app from an exited pod to an ACI file" },
  args: {
    app: { type: "string", description: "name of the app to export within the specified pod" },
    ...overwriteArg,
    uuid: { type: "positional", required: false, valueHint: "UUID OUTPUT_ACI_FILE" },
  },
  async run({ args }) {
    ensureSuperuser();
    const pos = positionals(args);
    if (pos.length !== 2) throw new UsageError("export needs a pod UUID and an output file");
    await exportPod(getGlobals(), pos[0]!, pos[1]!, { app: args.app, overwrite: args.overwrite });
  },
});
