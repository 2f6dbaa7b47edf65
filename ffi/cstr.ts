// C strings and string vectors for bun:ffi calls. Buffers are returned to the caller, who keeps
// them referenced for the whole call so the GC cannot move or free them underneath libc.
import { ptr, type Pointer } from "bun:ffi";

/** UTF-8 bytes of `s` followed by a NUL. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

/** A NULL-terminated `char *[]` plus the buffers it points into (keep `keep` alive during the call). */
export function cstrv(items: readonly string[]): { vec: BigUint64Array; keep: Buffer[]; ptr: Pointer } {
  const keep = items.map(cstr);
  const vec = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => (vec[i] = BigInt(ptr(b))));
  return { vec, keep, ptr: ptr(vec) };
}
