// `rkt stop [--force] (UUID… | --uuid-file=F)`: stops running pods through the stage1 `stop`
// entrypoint and prints each stopped pod's UUID quoted, as rkt.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { RktError } from "../core/errors.ts";
import { stderr } from "../core/log.ts";
import { stopPod } from "../core/stage0/stop.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { podArgs, uuidFileArg } from "./_uuids.ts";
import { getGlobals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop a pod" },
  args: {
    force: { type: "boolean", description: "forced stopping", default: false },
    ...uuidFileArg,
    uuid: { type: "positional", required: false, valueHint: "UUID..." },
  },
  async run({ args }) {
    ensureSuperuser();
    let failed = 0;
    for (const uuid of podArgs(args)) {
      try {
        await stopPod(getGlobals(), uuid, args.force, (argv, dir) => builtinStage1("stop", argv, dir));
        writeStdout(`"${uuid}"\n`);
      } catch (e) {
        stderr(`error stopping "${uuid}": ${(e as Error).message}`);
        failed++;
      }
    }
    if (failed) throw new RktError(`failed to stop ${failed} pod(s)`);
  },
});
