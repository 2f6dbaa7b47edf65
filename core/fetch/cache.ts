// The remote cache rules of rkt (layout.md §1 "Remote caching", resumablesession.go getMaxAge and
// common.go useCached): what a response's Cache-Control allows, and whether a stored download is
// still fresh enough to be used without asking the server at all.
import type { RemoteRow } from "../store/db.ts";

/**
 * Seconds the response may be reused without revalidation: `no-store`/`no-cache` → 0, `max-age=N`
 * → N when N > 0 is written without a leading zero, else 0. Directives are split on commas and
 * spaces (rkt split on spaces only, a known TODO there).
 */
export function maxAgeOf(cacheControl: string | null): number {
  let maxAge = 0;
  for (const part of (cacheControl ?? "").split(/[\s,]+/)) {
    const [attr = "", val = ""] = part.split("=", 2);
    const name = attr.toLowerCase();
    if (name === "no-store" || name === "no-cache") return 0;
    if (name === "max-age" && /^[1-9]\d*$/.test(val)) maxAge = Number(val);
  }
  return maxAge;
}

/** Whether a stored download is within its max-age (downloadtime in ms, cachemaxage in seconds). */
export function isFresh(row: RemoteRow, now = Date.now()): boolean {
  return row.cachemaxage > 0 && now - row.downloadtime < row.cachemaxage * 1000;
}
