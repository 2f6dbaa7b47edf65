// The pod arguments of stop and rm: UUIDs (or prefixes) given as arguments or via --uuid-file.
import type { ArgsDef } from "citty";
import { readGivenFile, UsageError } from "../core/errors.ts";
import { dataPaths } from "../core/paths.ts";
import { resolvePodUuid } from "../core/pods/uuid.ts";
import { getGlobals, positionals } from "./_shared.ts";

export const uuidFileArg = {
  "uuid-file": { type: "string", description: "read pod UUID from file instead of argument" },
} as const satisfies ArgsDef;

/** Full UUIDs of the pods named on the command line; an empty --uuid-file is an error as in rkt. */
export function podArgs(args: { _: string[]; "uuid-file"?: string }): string[] {
  const pos = positionals(args);
  if (args["uuid-file"] && pos.length) throw new UsageError("cannot use both UUID arguments and --uuid-file");
  const given = args["uuid-file"] ? [readGivenFile(args["uuid-file"], "--uuid-file").trim()] : pos;
  if (given.length === 0 || given.some((u) => u === "")) throw new UsageError("at least one pod UUID is required");
  const paths = dataPaths(getGlobals().dir);
  return given.map((u) => resolvePodUuid(paths, u));
}
