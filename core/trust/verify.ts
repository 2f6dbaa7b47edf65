// Detached OpenPGP signature verification of images against the keystore (rkt's
// keystore.CheckSignature). The data is hashed as it streams by with Bun.CryptoHasher (native, no
// buffering, no queue: push() hashes synchronously) and openpgp then checks the signature over that
// digest, so the store's one-pass import verifies the bytes as served without reading them twice.
import type { SignaturePacket } from "openpgp";
import { RktError, VerificationError } from "../errors.ts";
import type { Keystore, TrustedKey } from "./keystore.ts";
import { openpgp } from "./pgp.ts";

/** Who signed an image: what `rkt fetch` prints after `signature verified:`. */
export interface Signer {
  /** lowercase hex fingerprint of the trusted (primary) key */
  fingerprint: string;
  /** lowercase 16-hex ID of the key or subkey that made the signature */
  keyId: string;
  /** user IDs of the key, e.g. `CoreOS ACI Builder <release@coreos.com>` */
  userIds: string[];
  /** the keystore file that trusted the key */
  keyPath: string;
}

/** Why a signature was refused. */
export type SignatureFailure = "no-keys" | "untrusted-key" | "bad-signature" | "malformed";

/** A refused signature; `reason` lets callers react (e.g. suggest `rkt trust`) without parsing text. */
export class SignatureError extends VerificationError {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A signature being checked against bytes fed in the order they were served. The image name (and
 * so the keyring) may be known only at the end: a file's name is in its manifest, inside the data.
 */
export interface Verification {
  push(chunk: Uint8Array): void;
  /** Throws now unless a key trusted for `imageName` made the signature: lets a download stop early. */
  check(keystore: Keystore, imageName: string): Promise<void>;
  /** The verdict over everything pushed, for an image named `imageName` (an AC identifier). */
  end(keystore: Keystore, imageName: string): Promise<Signer>;
}

/** A verification whose image name was known, and checked, from the start. */
export interface StreamingVerification {
  push(chunk: Uint8Array): void;
  end(): Promise<Signer>;
}

/** OpenPGP hash algorithm IDs (RFC 9580 §9.5) → Bun.CryptoHasher names. */
const HASHES: Record<number, Bun.SupportedCryptoAlgorithms> = {
  1: "md5",
  2: "sha1",
  3: "ripemd160",
  8: "sha256",
  9: "sha384",
  10: "sha512",
  11: "sha224",
  12: "sha3-256",
  14: "sha3-512",
};

/** Fields openpgp keeps on a signature packet but does not declare: its own streaming verification
 * (one-pass signatures) sets `hashed` to a precomputed digest; v6 signatures hash a `salt` first. */
type PacketInternals = SignaturePacket & { hashed?: Promise<Uint8Array>; salt?: Uint8Array };

const upper = (keyId: string) => keyId.toUpperCase();

async function readSignature(signature: string | Uint8Array) {
  const pgp = await openpgp();
  const head = typeof signature === "string" ? signature.slice(0, 64) : new TextDecoder().decode(signature.subarray(0, 64));
  try {
    // rkt accepts armored (.asc) and binary signatures alike.
    if (head.trimStart().startsWith("-----BEGIN")) {
      const armored = typeof signature === "string" ? signature : new TextDecoder().decode(signature);
      return await pgp.readSignature({ armoredSignature: armored });
    }
    const bytes = typeof signature === "string" ? new TextEncoder().encode(signature) : signature;
    return await pgp.readSignature({ binarySignature: bytes });
  } catch (cause) {
    throw new SignatureError("malformed", "malformed signature", { cause });
  }
}

/** Signature packets that can sign an image, or why none can. */
async function imageSignatures(signature: string | Uint8Array): Promise<PacketInternals[]> {
  const pgp = await openpgp();
  const packets = [...(await readSignature(signature)).packets].filter((p) => p instanceof pgp.SignaturePacket);
  if (packets.length === 0) throw new SignatureError("malformed", "malformed signature: no signatures found in signature file");
  const unsupported = (p: SignaturePacket) =>
    p.signatureType !== pgp.enums.signature.binary
      ? `signature type ${p.signatureType} (images are signed as binary documents)`
      : p.version !== 4 && p.version !== 6
        ? `signature version ${p.version}`
        : !HASHES[p.hashAlgorithm ?? 0]
          ? `hash algorithm ${p.hashAlgorithm}`
          : undefined;
  const usable = packets.filter((p) => !unsupported(p));
  if (usable.length === 0) throw new SignatureError("malformed", `malformed signature: unsupported ${unsupported(packets[0]!)}`);
  return usable;
}

/** The trusted keys for `imageName`, which must not be none. */
async function trustedKeys(keystore: Keystore, imageName: string): Promise<TrustedKey[]> {
  const keys = await keystore.keysFor(imageName);
  if (keys.length === 0) {
    throw new SignatureError("no-keys", `no keys trusted for prefix "${imageName}" or any parent (use rkt trust)`);
  }
  return keys;
}

/** The first signature made by a trusted key (as golang openpgp.CheckDetachedSignature picks). */
function pickSigned(packets: readonly PacketInternals[], keys: TrustedKey[], imageName: string) {
  for (const packet of packets) {
    const trusted = keys.find((k) => k.key.getKeys(packet.issuerKeyID).length > 0);
    if (trusted) return { packet, trusted };
  }
  const ids = packets.map((p) => upper(p.issuerKeyID.toHex())).join(", ");
  throw new SignatureError(
    "untrusted-key",
    `signature for "${imageName}" was made by key ${ids}, which is not trusted for prefix "${imageName}" or any parent (use rkt trust --prefix=${imageName})`,
  );
}

/** RFC 9580 §5.2.4: after the data come the hashed signature fields and a v4/v6 trailer. */
function hashTrailer(packet: SignaturePacket): Uint8Array {
  const fields = packet.signatureData!;
  const out = new Uint8Array(fields.length + 6);
  out.set(fields);
  out[fields.length] = packet.version;
  out[fields.length + 1] = 0xff;
  new DataView(out.buffer).setUint32(fields.length + 2, fields.length);
  return out;
}

/** Hashers keyed by what precedes the data (algorithm and v6 salt), shared by the packets that agree. */
function dataHashers(packets: readonly PacketInternals[]) {
  const hashers = new Map<string, Bun.CryptoHasher>();
  const byPacket = new Map<PacketInternals, Bun.CryptoHasher>();
  for (const p of packets) {
    const salt = p.salt ?? new Uint8Array(0);
    const id = `${p.hashAlgorithm}:${Buffer.from(salt).toString("hex")}`;
    let h = hashers.get(id);
    if (!h) {
      h = new Bun.CryptoHasher(HASHES[p.hashAlgorithm!]!);
      h.update(salt);
      hashers.set(id, h);
    }
    byPacket.set(p, h);
  }
  return { all: [...hashers.values()], of: (p: PacketInternals) => byPacket.get(p)! };
}

/**
 * Starts verifying a detached signature (armored or binary) whose image name is not known yet.
 * What is pushed is hashed at once and never kept.
 * @throws SignatureError: "malformed" here; "no-keys", "untrusted-key" from check/end; "bad-signature" from end
 */
export async function beginVerification(signature: string | Uint8Array): Promise<Verification> {
  const packets = await imageSignatures(signature);
  const hashers = dataHashers(packets);
  let ended = false;
  const signed = async (keystore: Keystore, imageName: string) =>
    pickSigned(packets, await trustedKeys(keystore, imageName), imageName);
  return {
    push(chunk) {
      if (ended) throw new RktError("cannot verify signature: data pushed after end()");
      for (const h of hashers.all) h.update(chunk);
    },
    async check(keystore, imageName) {
      await signed(keystore, imageName);
    },
    async end(keystore, imageName) {
      ended = true;
      const { packet, trusted } = await signed(keystore, imageName);
      const h = hashers.of(packet).copy();
      h.update(hashTrailer(packet));
      packet.hashed = Promise.resolve(new Uint8Array(h.digest()));
      return checkDigest(packet, trusted, imageName);
    },
  };
}

/**
 * Starts verifying a detached signature of the image `imageName`, refusing at once (before any data)
 * when no key is trusted for the name or the signer is not one of them.
 * @throws SignatureError
 */
export async function startVerification(
  keystore: Keystore,
  imageName: string,
  signature: string | Uint8Array,
): Promise<StreamingVerification> {
  const v = await beginVerification(signature);
  await v.check(keystore, imageName);
  return { push: (chunk) => v.push(chunk), end: () => v.end(keystore, imageName) };
}

/** Lets openpgp check the signature over the digest, with its key validity rules (expiry, revocation, flags). */
async function checkDigest(packet: PacketInternals, trusted: TrustedKey, imageName: string): Promise<Signer> {
  const pgp = await openpgp();
  const keyId = packet.issuerKeyID.toHex();
  const list = new pgp.PacketList<SignaturePacket>();
  list.push(packet);
  const message = await pgp.createMessage({ binary: new Uint8Array(0) });
  const result = await pgp.verify({
    message,
    signature: new pgp.Signature(list),
    verificationKeys: [trusted.key],
    format: "binary",
  });
  try {
    await result.signatures[0]!.verified;
  } catch (cause) {
    const who = trusted.userIds[0] ? ` (${trusted.userIds[0]})` : "";
    throw new SignatureError("bad-signature", `bad signature for "${imageName}" by key ${upper(keyId)}${who}`, { cause });
  }
  return { fingerprint: trusted.fingerprint, keyId, userIds: trusted.userIds, keyPath: trusted.path };
}

/**
 * Verifies a detached signature (armored or binary) of `data` (a file path or the bytes) made by a
 * key trusted for `imageName`.
 * @throws SignatureError
 */
export async function verifyDetached(
  keystore: Keystore,
  imageName: string,
  data: string | Uint8Array,
  signature: string | Uint8Array,
): Promise<Signer> {
  const v = await startVerification(keystore, imageName, signature);
  if (typeof data !== "string") {
    v.push(data);
  } else {
    try {
      for await (const chunk of Bun.file(data).stream()) v.push(chunk);
    } catch (cause) {
      throw new RktError(`cannot read "${data}"`, { cause });
    }
  }
  return v.end();
}
