// `rkt enter [--app=NAME] UUID [CMD [ARGS…]]`: a command inside a running pod's app.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { UsageError } from "../core/errors.ts";
import { enterPod } from "../core/stage0/enter.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { getGlobals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "enter", description: "Enter the namespaces of an app within a rkt pod" },
  args: {
    app: { type: "string", description: "name of the app to enter within the specified pod" },
    uuid: { type: "positional", required: false, valueHint: "UUID [CMD [ARGS ...]]" },
  },
  async run({ rawArgs, args }) {
    ensureSuperuser();
    // everything after the UUID is the command, flags included
    const rest = [...rawArgs];
    const uuidAt = rest.findIndex((a, i) => !a.startsWith("-") && !(i > 0 && rest[i - 1] === "--app"));
    if (uuidAt < 0) throw new UsageError("enter needs a pod UUID");
    const cmd = rest.slice(uuidAt + 1).filter((a, i) => !(i === 0 && a === "--"));
    return enterPod(getGlobals(), rest[uuidAt]!, args.app, cmd, (argv, dir) => builtinStage1("enter", argv, dir));
  },
});
