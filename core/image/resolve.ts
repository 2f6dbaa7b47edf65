// Image arguments of the `rkt image` commands: an ID (prefix) or a name already in the store.
import { NotFoundError } from "../errors.ts";
import { parseAppString } from "../schema/types.ts";
import { looksLikeImageID } from "../store/keys.ts";
import type { ImageStore } from "../store/store.ts";

/** Every stored image `arg` names: one for an ID, all images of that name (and labels) for a name. */
export function resolveStoredAll(store: ImageStore, arg: string): string[] {
  if (looksLikeImageID(arg)) return [store.resolveKey(arg)];
  const { name, labels } = parseAppString(arg);
  const keys = store.findAllByName(name, labels).map((i) => i.key);
  if (keys.length === 0) throw new NotFoundError(`no image named "${arg}" in the store`);
  return keys;
}

/** The one stored image `arg` names (for a name: the latest / newest match, as rkt's GetACI). */
export function resolveStored(store: ImageStore, arg: string): string {
  if (looksLikeImageID(arg)) return store.resolveKey(arg);
  const { name, labels } = parseAppString(arg);
  const found = store.findByName(name, labels);
  if (!found) throw new NotFoundError(`no image named "${arg}" in the store`);
  return found.key;
}
