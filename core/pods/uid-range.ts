// A pod's UID/GID range (`--private-users`) as text: `SHIFT:COUNT`, as rkt writes it to the pod's
// `private-users-prepared` and passes it to stage1 (layout.md). One parser for both readers, stage0
// (run-prepared, export) and stage1's arguments.

/** A pod's IDs 0…count-1 are host IDs shift…shift+count-1. */
export interface UidRange {
  shift: number;
  count: number;
}

/** The range as rkt writes it: `SHIFT:COUNT`. */
export function formatUidRange(r: UidRange): string {
  return `${r.shift}:${r.count}`;
}

/** `SHIFT:COUNT` with a non-empty range inside uid_t; undefined for anything else. */
export function parseUidRange(text: string): UidRange | undefined {
  const m = /^(\d+):(\d+)$/.exec(text);
  const [shift, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  return count > 0 && shift + count <= 2 ** 32 ? { shift, count } : undefined;
}
