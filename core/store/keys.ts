// Image IDs and store keys as rkt prints and accepts them (layout.md §1 "Image IDs"): the appc image
// ID is sha512 of the uncompressed tar; rkt's key keeps the first 64 hex; fetch prints 32, lists 12.
import { NotFoundError } from "../errors.ts";

/** hex digits rkt keeps in a store key */
export const KEY_HEX = 64;

/** The store key ("sha512-" + 64 hex) of a full sha512 hex digest. */
export function keyOfDigest(hex: string): string {
  return `sha512-${hex.slice(0, KEY_HEX)}`;
}

/** What `rkt fetch` prints (`--full`: the whole key). */
export function fetchID(key: string, full: boolean): string {
  return full ? key : key.slice(0, "sha512-".length + 32);
}

/** What lists print (`--full`: the whole key). */
export function shortID(key: string, full = false): string {
  return full ? key : key.slice(0, "sha512-".length + 12);
}

/** Whether `s` looks like an image ID or ID prefix rather than a name or path. */
export function looksLikeImageID(s: string): boolean {
  return /^sha512-[0-9a-f]*$/.test(s);
}

/**
 * Normalises an ID prefix for lookup: lowercase, at most 64 hex, at least "sha512-XX".
 * A longer (full 128 hex) appc ID is cut to the key length.
 */
export function keyPrefix(id: string): string {
  const s = id.toLowerCase();
  if (!/^sha512-[0-9a-f]*$/.test(s)) throw new NotFoundError(`invalid image ID "${id}": expected sha512-<hex>`);
  if (s.length < "sha512-".length + 2) throw new NotFoundError(`image ID "${id}" too short: give at least sha512-XX`);
  return s.slice(0, "sha512-".length + KEY_HEX);
}
