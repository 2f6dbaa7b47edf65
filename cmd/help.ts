// `rkt help [COMMAND…]`: the same text as `rkt COMMAND --help`.
import { defineCommand, type CommandDef } from "citty";
import { UsageError } from "../core/errors.ts";
import { renderHelp } from "./_help.ts";
import { commands, summaries } from "./commands.ts";

export default defineCommand({
  meta: { name: "help", description: "Help about any command" },
  args: { command: { type: "positional", required: false, valueHint: "[command]" } },
  async run({ args }) {
    const path = args._.map(String);
    if (path.length === 0) {
      process.stdout.write(await renderHelp([], { subCommands: commands }, summaries));
      return;
    }
    let cmd: CommandDef<any> = { subCommands: commands };
    for (const name of path) {
      const subs = typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands;
      const sub = subs?.[name];
      if (!sub) throw new UsageError(`unknown help topic "${path.join(" ")}"`);
      cmd = await (typeof sub === "function" ? (sub as () => Promise<CommandDef<any>>)() : sub);
    }
    process.stdout.write(await renderHelp(path, cmd));
  },
});
