// Pod UUIDs: RFC 4122 version 4, lowercase, and the unambiguous-prefix lookup every pod command
// accepts (rkt's pkg/pod: a prefix matches pod directories in any state).
import { readdirSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { NotFoundError, RktError, UsageError } from "../errors.ts";
import { POD_STATE_DIRS, type DataPaths, type PodStateDir } from "../paths.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A fresh random (version 4) UUID. */
export function newPodUuid(): string {
  return crypto.randomUUID();
}

/** Whether `s` is a whole lowercase RFC 4122 v4 UUID. */
export function isPodUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Every pod directory: its UUID and the state directory it is in. */
export function podDirs(paths: DataPaths): { uuid: string; dir: PodStateDir }[] {
  const found: { uuid: string; dir: PodStateDir }[] = [];
  for (const dir of POD_STATE_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(join(paths.pods, dir));
    } catch (e) {
      // a state directory not made yet holds no pods; one the user may not read is an error (rkt's
      // "failed to get pod handles"), not an empty list
      if ((e as { code?: string }).code === "ENOENT") continue;
      throw new RktError(`cannot read pods in "${join(paths.pods, dir)}"`, { cause: e });
    }
    for (const uuid of names) if (isPodUuid(uuid)) found.push({ uuid, dir });
  }
  return found;
}

/**
 * The one pod whose UUID starts with `prefix` (dashes optional, as rkt matches). Throws a
 * UsageError for an empty or non-hex prefix and NotFoundError for none or several matches.
 */
export function resolvePodUuid(paths: DataPaths, prefix: string): string {
  const want = prefix.trim().toLowerCase().replaceAll("-", "");
  if (want === "" || !/^[0-9a-f]+$/.test(want)) throw new UsageError(`invalid pod UUID "${prefix}": expected a hexadecimal UUID or prefix`);
  const matches = new Set(podDirs(paths).map((p) => p.uuid).filter((u) => u.replaceAll("-", "").startsWith(want)));
  if (matches.size === 0) throw new NotFoundError(`cannot find pod "${prefix}": no pod with this UUID or prefix`);
  if (matches.size > 1) throw new NotFoundError(`cannot find pod "${prefix}": ambiguous UUID prefix, matches ${[...matches].join(", ")}`);
  return [...matches][0]!;
}
