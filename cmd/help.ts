// `rkt help [COMMAND…]`: the same text as `rkt COMMAND --help`.
import { defineCommand, type CommandDef } from "citty";
import { UsageError } from "../core/errors.ts";
import { renderHelp, subCommand } from "./_help.ts";
import { commands, summaries } from "./commands.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "help", description: "Help about any command" },
  args: { command: { type: "positional", required: false, valueHint: "[command]" } },
  async run({ args }) {
    const path = args._.map(String);
    if (path.length === 0) {
      writeStdout(await renderHelp([], { subCommands: commands }, summaries));
      return;
    }
    let cmd: CommandDef<any> = { subCommands: commands };
    for (const name of path) {
      const sub = await subCommand(cmd, name);
      if (!sub) throw new UsageError(`unknown help topic "${path.join(" ")}"`);
      cmd = sub;
    }
    writeStdout(await renderHelp(path, cmd));
  },
});
