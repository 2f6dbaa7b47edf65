// Content addressing for Docker/OCI blobs: `sha256:<hex>` digests checked while the bytes stream
// through, so nothing has to be held in memory to be verified. Callers keep whatever they built from
// the bytes out of sight (temp names) until the stream has ended without an error.
import { VerificationError } from "../errors.ts";

const SHA256 = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a `sha256:` digest; anything else (another algorithm, bad hex) is refused. */
export function sha256Hex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new VerificationError(`cannot use digest "${digest}": only sha256:<64 hex digits> is supported`);
  return m[1]!;
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/** Throws unless `bytes` have `digest` (and `size`, when known). */
export function checkDigest(bytes: Uint8Array, digest: string, what: string, size?: number): void {
  sha256Hex(digest);
  const actual = sha256Digest(bytes);
  if (actual !== digest || (size !== undefined && size !== bytes.length)) {
    throw new VerificationError(`cannot verify ${what} "${digest}": got ${actual} (${bytes.length} bytes)`);
  }
}

/**
 * Passes `src` through unchanged while hashing it; throws at the end (or as soon as the size is
 * exceeded) unless the bytes have `digest` and, when given, `size`.
 */
export async function* verifyStream(
  src: AsyncIterable<Uint8Array>,
  digest: string,
  what: string,
  size?: number,
): AsyncGenerator<Uint8Array> {
  sha256Hex(digest);
  const hasher = new Bun.CryptoHasher("sha256");
  let seen = 0;
  for await (const chunk of src) {
    seen += chunk.length;
    if (size !== undefined && seen > size) {
      throw new VerificationError(`cannot verify ${what} "${digest}": more than the ${size} bytes announced`);
    }
    hasher.update(chunk);
    yield chunk;
  }
  const actual = `sha256:${hasher.digest("hex")}`;
  if (actual !== digest || (size !== undefined && seen !== size)) {
    throw new VerificationError(`cannot verify ${what} "${digest}": got ${actual} (${seen} bytes)`);
  }
}
