// `rkt image …`: the image subcommands, loaded lazily.
import { defineCommand, type CommandDef } from "citty";

const load = (p: Promise<{ default: CommandDef<any> }>) => p.then((m) => m.default);

export default defineCommand({
  meta: { name: "image", description: "Operate on image(s) in the local store" },
  subCommands: {
    "cat-manifest": () => load(import("./cat-manifest.ts")),
    export: () => load(import("./export.ts")),
    extract: () => load(import("./extract.ts")),
    gc: () => load(import("./gc.ts")),
    list: () => load(import("./list.ts")),
    render: () => load(import("./render.ts")),
    rm: () => load(import("./rm.ts")),
    verify: () => load(import("./verify.ts")),
  },
});
