// `rkt rm (UUID… | --uuid-file=F)`: removes pods at once (stage1 gc, unmount, delete) and prints
// each removed UUID quoted, as rkt.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { RktError } from "../core/errors.ts";
import { stderr } from "../core/log.ts";
import { removePod } from "../core/stage0/gc.ts";
import { builtinGc } from "../stage1/entrypoints/table.ts";
import { podArgs, uuidFileArg } from "./_uuids.ts";
import { getGlobals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "rm", description: "Remove all files and resources associated with an exited pod" },
  args: { ...uuidFileArg, uuid: { type: "positional", required: false, valueHint: "UUID..." } },
  async run({ args }) {
    ensureSuperuser();
    let failed = 0;
    for (const uuid of podArgs(args)) {
      try {
        await removePod(getGlobals(), uuid, builtinGc(getGlobals().localConfig));
        writeStdout(`"${uuid}"\n`);
      } catch (e) {
        stderr(`cannot remove pod "${uuid}": ${(e as Error).message}`);
        failed++;
      }
    }
    if (failed) throw new RktError(`failed to remove ${failed} pod(s)`);
  },
});
