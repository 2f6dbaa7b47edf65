// Signatures made by the real gpg, checked against keystores laid out as rkt's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gpgHome, type GpgHome, type GpgKey } from "../../test/helpers/gpg.ts";
import { requires } from "../../test/helpers/requires.ts";
import { Keystore } from "./keystore.ts";
import { beginVerification, SignatureError, startVerification, verifyDetached, type SignatureFailure } from "./verify.ts";

describe.skipIf(!!requires("gpg"))("detached signature verification", () => {
  const tmp = mkdtempSync(join(tmpdir(), "verify-test-"));
  let gpg: GpgHome;
  let signer: GpgKey;
  let other: GpgKey;
  const data = join(tmp, "image.aci");
  let sig: string;

  afterAll(() => {
    gpg?.[Symbol.dispose]();
    rmSync(tmp, { recursive: true, force: true });
  });

  let n = 0;
  function keystore() {
    const base = join(tmp, `ks${n++}`);
    return new Keystore({ systemConfig: join(base, "system"), localConfig: join(base, "local") });
  }

  async function refused(p: Promise<unknown>, reason: SignatureFailure, message: RegExp) {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureError);
    expect((err as SignatureError).reason).toBe(reason);
    expect((err as Error).message).toMatch(message);
  }

  beforeAll(() => {
    gpg = gpgHome();
    signer = gpg.genKey("Example Signer <signer@example.com>");
    other = gpg.genKey("Someone Else <else@example.com>");
    writeFileSync(data, crypto.getRandomValues(new Uint8Array(300_000)));
    sig = gpg.sign(signer, data);
  });

  test("a good signature by a key trusted for the prefix verifies, and names the signer", async () => {
    const ks = keystore();
    const keyPath = await ks.storeTrustedKey("example.com/app", signer.armored);
    expect(await verifyDetached(ks, "example.com/app", data, sig)).toEqual({
      fingerprint: signer.fingerprint,
      keyId: signer.keyId,
      userIds: ["Example Signer <signer@example.com>"],
      keyPath,
    });
    expect((await verifyDetached(ks, "example.com/app", readFileSync(data), sig)).fingerprint).toBe(signer.fingerprint);
  });

  test("streaming: chunks of any size, the image name given only at the end", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com", signer.armored);
    const bytes = readFileSync(data);
    const v = await beginVerification(sig);
    for (let i = 0; i < bytes.length; i += 7919) v.push(bytes.subarray(i, i + 7919));
    await v.check(ks, "example.com/app");
    expect((await v.end(ks, "example.com/app")).userIds).toEqual([signer.userId]);
    expect(() => v.push(bytes)).toThrow(/after end/);
  });

  test("binary (non-armored) signatures are accepted as rkt does", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com/app", signer.armored);
    const out = join(tmp, "image.aci.sig");
    Bun.spawnSync(["gpg", "--batch", "--yes", "--local-user", signer.fingerprint, "--output", out, "--detach-sign", data], {
      env: { ...process.env, GNUPGHOME: gpg.home },
    });
    expect((await verifyDetached(ks, "example.com/app", data, readFileSync(out))).fingerprint).toBe(signer.fingerprint);
  });

  test("tampered data is refused", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com/app", signer.armored);
    const bytes = new Uint8Array(readFileSync(data));
    bytes[1000]! ^= 1;
    await refused(verifyDetached(ks, "example.com/app", bytes, sig), "bad-signature", /^bad signature for "example.com\/app" by key [0-9A-F]{16} \(Example Signer/);
    await refused(verifyDetached(ks, "example.com/app", bytes.subarray(0, -1), sig), "bad-signature", /bad signature/);
  });

  test("a signature by a key that is not trusted is refused, naming its key ID", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com/app", signer.armored);
    const otherSig = gpg.sign(other, data, join(tmp, "other.asc"));
    await refused(verifyDetached(ks, "example.com/app", data, otherSig), "untrusted-key", new RegExp(`made by key ${other.keyId.toUpperCase()}, which is not trusted`));
  });

  test("a key trusted for another prefix does not count", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com/other", signer.armored);
    await refused(verifyDetached(ks, "example.com/app", data, sig), "no-keys", /^no keys trusted for prefix "example.com\/app" or any parent \(use rkt trust\)$/);
    await ks.storeTrustedKey("example.com/app", other.armored);
    await refused(verifyDetached(ks, "example.com/app", data, sig), "untrusted-key", /not trusted for prefix "example.com\/app"/);
    // the refusal comes before any data when the name is known up front
    await refused(startVerification(ks, "example.com/app", sig), "untrusted-key", /not trusted/);
  });

  test("a key trusted for a parent prefix, or as a root key, is accepted", async () => {
    const parent = keystore();
    await parent.storeTrustedKey("example.com", signer.armored);
    expect((await verifyDetached(parent, "example.com/app/server", data, sig)).fingerprint).toBe(signer.fingerprint);
    const root = keystore();
    await root.storeTrustedKey("", signer.armored);
    expect((await verifyDetached(root, "anything.org/app", data, sig)).fingerprint).toBe(signer.fingerprint);
  });

  test("a system key masked by an empty local file is refused", async () => {
    const ks = keystore();
    mkdirSync(join(ks.systemPrefix, "example.com"), { recursive: true });
    writeFileSync(join(ks.systemPrefix, "example.com", signer.fingerprint), signer.armored);
    expect((await verifyDetached(ks, "example.com/app", data, sig)).fingerprint).toBe(signer.fingerprint);
    mkdirSync(join(ks.localPrefix, "example.com"), { recursive: true });
    writeFileSync(join(ks.localPrefix, "example.com", signer.fingerprint), "");
    await refused(verifyDetached(ks, "example.com/app", data, sig), "no-keys", /no keys trusted/);
  });

  test("malformed signatures are refused as such", async () => {
    const ks = keystore();
    await ks.storeTrustedKey("example.com/app", signer.armored);
    await refused(verifyDetached(ks, "example.com/app", data, "not a signature"), "malformed", /^malformed signature$/);
    await refused(verifyDetached(ks, "example.com/app", data, signer.armored), "malformed", /malformed signature/);
    const corrupt = sig.replace(/\n([A-Za-z0-9+/]{10})/, "\nAAAAAAAAAA");
    await refused(verifyDetached(ks, "example.com/app", data, corrupt), "malformed", /malformed signature/);
  });

  test("RSA keys and signing subkeys work as with rkt's keys", async () => {
    const rsa = gpg.genKey("RSA Signer <rsa@example.com>", "rsa2048");
    const rsaSig = gpg.sign(rsa, data, join(tmp, "rsa.asc"));
    const gpgEnv = { env: { ...process.env, GNUPGHOME: gpg.home } };
    const sub = Bun.spawnSync(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-add-key", rsa.fingerprint, "ed25519", "sign", "never"], gpgEnv);
    expect(sub.exitCode).toBe(0);
    const armored = Bun.spawnSync(["gpg", "--batch", "--armor", "--export", rsa.fingerprint], gpgEnv).stdout.toString();
    const subSig = gpg.sign(rsa, data, join(tmp, "sub.asc")); // gpg picks the newest signing subkey
    const ks = keystore();
    await ks.storeTrustedKey("example.com", armored);
    const got = await verifyDetached(ks, "example.com/app", data, subSig);
    expect(got.fingerprint).toBe(rsa.fingerprint);
    expect(got.keyId).not.toBe(rsa.keyId);
    expect(await verifyDetached(ks, "example.com/app", data, rsaSig)).toMatchObject({ fingerprint: rsa.fingerprint, keyId: rsa.keyId });
  });
});
