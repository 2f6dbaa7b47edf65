// `rkt cat-manifest [--pretty-print] (UUID | --uuid-file=F)`: the pod manifest stage0 wrote.
import { defineCommand } from "citty";
import { NotFoundError } from "../core/errors.ts";
import { podStatus } from "../core/stage0/status.ts";
import { podArgs, uuidFileArg } from "./_uuids.ts";
import { getGlobals, prettyPrintArg } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "cat-manifest", description: "Inspect and print the pod manifest" },
  args: { ...prettyPrintArg, ...uuidFileArg, uuid: { type: "positional", required: false, valueHint: "UUID" } },
  run({ args }) {
    const [uuid] = podArgs(args);
    const p = podStatus(getGlobals(), uuid!);
    if (!p.manifest) throw new NotFoundError(`cannot read the manifest of pod "${p.uuid}": it has none yet`);
    writeStdout(JSON.stringify(p.manifest, null, args["pretty-print"] ? "\t" : undefined) + "\n");
  },
});
