// The one door to openpgp (RFC 4880/9580 parsing and signature math): loaded lazily on first use so
// commands that never touch keys or signatures (`rkt version`, `rkt list`) never pay for it.
// Keys are read the way rkt's golang openpgp.ReadArmoredKeyRing did: armored only, first key names the file.
import type { Key, PublicKey } from "openpgp";
import { VerificationError } from "../errors.ts";

type OpenPGP = typeof import("openpgp");
let loaded: Promise<OpenPGP> | undefined;

/** The openpgp module, imported on first call. */
export function openpgp(): Promise<OpenPGP> {
  loaded ??= import("openpgp");
  return loaded;
}

/** What `rkt trust` shows of a key before asking to trust it. */
export interface KeySummary {
  /** lowercase hex of the primary key fingerprint */
  fingerprint: string;
  subkeyFingerprints: string[];
  userIds: string[];
}

/**
 * Parses an ASCII-armored keyring of public keys (a `.gpg`/`.asc` key file as published for rkt).
 * Secret keys are refused: a trusted-key file must never hold private material.
 */
export async function readArmoredPublicKeys(armored: string | Uint8Array, source: string): Promise<PublicKey[]> {
  const pgp = await openpgp();
  const text = typeof armored === "string" ? armored : new TextDecoder().decode(armored);
  let keys: Key[];
  try {
    keys = await pgp.readKeys({ armoredKeys: text });
  } catch (cause) {
    throw new VerificationError(`cannot read key "${source}": not an armored OpenPGP public key`, { cause });
  }
  if (keys.length === 0) throw new VerificationError(`cannot read key "${source}": no key in the keyring`);
  if (keys.some((k) => k.isPrivate())) {
    throw new VerificationError(`cannot read key "${source}": it is a private key, export the public key with gpg --armor --export`);
  }
  return keys as PublicKey[];
}

/** Fingerprints and user IDs of a parsed key. */
export function summarize(key: PublicKey): KeySummary {
  return {
    fingerprint: key.getFingerprint().toLowerCase(),
    subkeyFingerprints: key.getSubkeys().map((s) => s.getFingerprint().toLowerCase()),
    userIds: key.getUserIDs(),
  };
}

/** `8B86 DE38 890D DB72 9186  7B02 5210 BD88 8818 2190`: rkt's (and gpg's) display of a fingerprint. */
export function formatFingerprint(hex: string): string {
  const groups = hex.toUpperCase().match(/.{1,4}/g) ?? [];
  const half = groups.length / 2;
  return `${groups.slice(0, half).join(" ")}  ${groups.slice(half).join(" ")}`;
}
