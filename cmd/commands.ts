// The command table, loaded lazily (nuxi style) so `rkt version` never loads openpgp or the store.
import type { CommandDef } from "citty";

type Lazy = () => Promise<CommandDef<any>>;
const load = (p: Promise<{ default: CommandDef<any> }>) => p.then((m) => m.default);

/** Top-level commands as the user types them, in the order `rkt help` lists them. */
export const commands: Record<string, Lazy> = {
  fetch: () => load(import("./fetch.ts")),
  help: () => load(import("./help.ts")),
  image: () => load(import("./image/mod.ts")),
  trust: () => load(import("./trust.ts")),
  version: () => load(import("./version.ts")),
};

/** One-line descriptions for `rkt help`, kept here so listing them loads no command module. */
export const summaries: Record<string, string> = {
  fetch: "Fetch image(s) and store them in the local store",
  help: "Help about any command",
  image: "Operate on image(s) in the local store",
  trust: "Trust a key for image verification",
  version: "Print the version and exit",
};
