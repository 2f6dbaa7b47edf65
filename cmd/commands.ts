// The command table, loaded lazily (nuxi style) so `rkt version` never loads openpgp or the store.
import type { CommandDef } from "citty";

type Lazy = () => Promise<CommandDef<any>>;
const load = (p: Promise<{ default: CommandDef<any> }>) => p.then((m) => m.default);

/** Top-level commands as the user types them, in the order `rkt help` lists them. */
export const commands: Record<string, Lazy> = {
  "cat-manifest": () => load(import("./cat-manifest.ts")),
  config: () => load(import("./config.ts")),
  enter: () => load(import("./enter.ts")),
  export: () => load(import("./export.ts")),
  fetch: () => load(import("./fetch.ts")),
  gc: () => load(import("./gc.ts")),
  help: () => load(import("./help.ts")),
  image: () => load(import("./image/mod.ts")),
  list: () => load(import("./list.ts")),
  "metadata-service": () => load(import("./metadata-service.ts")),
  prepare: () => load(import("./prepare.ts")),
  rm: () => load(import("./rm.ts")),
  run: () => load(import("./run.ts")),
  "run-prepared": () => load(import("./run-prepared.ts")),
  status: () => load(import("./status.ts")),
  stop: () => load(import("./stop.ts")),
  trust: () => load(import("./trust.ts")),
  version: () => load(import("./version.ts")),
};

/** One-line descriptions for `rkt help`, kept here so listing them loads no command module. */
export const summaries: Record<string, string> = {
  "cat-manifest": "Inspect and print the pod manifest",
  config: "Print configuration for each stage in JSON format",
  enter: "Enter the namespaces of an app within a rkt pod",
  export: "Export an app from an exited pod to an ACI file",
  fetch: "Fetch image(s) and store them in the local store",
  gc: "Garbage collect rkt pods no longer in use",
  help: "Help about any command",
  image: "Operate on image(s) in the local store",
  list: "List pods",
  "metadata-service": "Run metadata service",
  prepare: "Prepare to run image(s) in a pod in rkt",
  rm: "Remove all files and resources associated with an exited pod",
  run: "Run image(s) in a pod in rkt",
  "run-prepared": "Run a prepared application pod in rkt",
  status: "Check the status of a rkt pod",
  stop: "Stop a pod",
  trust: "Trust a key for image verification",
  version: "Print the version and exit",
};
