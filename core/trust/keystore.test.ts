import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey, readKey } from "openpgp";
import { checkPrefix, Keystore } from "./keystore.ts";
import { formatFingerprint } from "./pgp.ts";

const tmp = mkdtempSync(join(tmpdir(), "keystore-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function freshKeystore() {
  const base = join(tmp, String(n++));
  return { base, ks: new Keystore({ systemConfig: join(base, "usr/lib/rkt"), localConfig: join(base, "etc/rkt") }) };
}

async function newKey(name: string) {
  const { publicKey } = await generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name, email: `${name}@example.com` }] });
  return { armored: publicKey, fingerprint: (await readKey({ armoredKey: publicKey })).getFingerprint() };
}

/** Writes a key file by hand where rkt's layout puts it (system keys are never written by rkt). */
function place(dir: string, name: string, content: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
}

const [alice, bob, carol] = await Promise.all([newKey("alice"), newKey("bob"), newKey("carol")]);
const fingerprints = (keys: { fingerprint: string }[]) => keys.map((k) => k.fingerprint).sort();

describe("keystore paths", () => {
  test("the four roots are rkt's", () => {
    const ks = new Keystore({ systemConfig: "/usr/lib/rkt", localConfig: "/etc/rkt" });
    expect([ks.systemRoot, ks.localRoot, ks.systemPrefix, ks.localPrefix]).toEqual([
      "/usr/lib/rkt/trustedkeys/root.d",
      "/etc/rkt/trustedkeys/root.d",
      "/usr/lib/rkt/trustedkeys/prefix.d",
      "/etc/rkt/trustedkeys/prefix.d",
    ]);
  });

  test("a prefix key is stored under prefix.d/<prefix>/<lowercase fingerprint>, 0644 in 0755 dirs, bytes as given", async () => {
    const { base, ks } = freshKeystore();
    const path = await ks.storeTrustedKey("coreos.com/etcd", alice.armored);
    expect(path).toBe(join(base, "etc/rkt/trustedkeys/prefix.d/coreos.com/etcd", alice.fingerprint));
    expect(alice.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(path, "utf8")).toBe(alice.armored);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(statSync(join(base, "etc/rkt/trustedkeys/prefix.d/coreos.com")).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(base, "etc/rkt/trustedkeys")).sort()).toEqual(["prefix.d"]);
  });

  test("a root key is stored under root.d", async () => {
    const { base, ks } = freshKeystore();
    expect(await ks.storeTrustedKey("", bob.armored)).toBe(join(base, "etc/rkt/trustedkeys/root.d", bob.fingerprint));
  });

  test("prefixes that are not AC identifiers are refused", async () => {
    const { ks } = freshKeystore();
    for (const bad of ["Example.com", "https://example.com/app", "a//b", "/a", "a/", "../etc", "a b"]) {
      expect(() => checkPrefix(bad)).toThrow(/invalid prefix/);
      await expect(ks.storeTrustedKey(bad, alice.armored)).rejects.toThrow(/invalid prefix/);
    }
    expect(() => checkPrefix("example.com/some-app_1~x.y")).not.toThrow();
  });

  test("a file that is not an armored public key is refused and nothing is stored", async () => {
    const { base, ks } = freshKeystore();
    await expect(ks.storeTrustedKey("example.com", "hello")).rejects.toThrow(/not an armored OpenPGP public key/);
    const { privateKey } = await generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "x" }] });
    await expect(ks.storeTrustedKey("example.com", privateKey)).rejects.toThrow(/private key/);
    expect(() => readdirSync(join(base, "etc/rkt/trustedkeys/prefix.d"))).toThrow();
  });
});

describe("keyring for an image name", () => {
  test("root keys (system + local) and every prefix dir that is a path prefix of the name", async () => {
    const { ks } = freshKeystore();
    place(ks.systemRoot, alice.fingerprint, alice.armored);
    await ks.storeTrustedKey("example.com", bob.armored);
    place(join(ks.systemPrefix, "example.com/app"), carol.fingerprint, carol.armored);
    expect(fingerprints(await ks.keysFor("example.com/app"))).toEqual(fingerprints([alice, bob, carol]));
    expect(fingerprints(await ks.keysFor("example.com/app/sub"))).toEqual(fingerprints([alice, bob, carol]));
    expect(fingerprints(await ks.keysFor("example.com/other"))).toEqual(fingerprints([alice, bob]));
    // a path prefix, not a string prefix: example.com/app's keys do not apply to example.com/application
    expect(fingerprints(await ks.keysFor("example.com/application"))).toEqual(fingerprints([alice, bob]));
    expect(fingerprints(await ks.keysFor("other.org/app"))).toEqual(fingerprints([alice]));
  });

  test("keys carry their user IDs and the file they came from", async () => {
    const { ks } = freshKeystore();
    const path = await ks.storeTrustedKey("example.com", carol.armored);
    const [key] = await ks.keysFor("example.com/app");
    expect(key).toMatchObject({ fingerprint: carol.fingerprint, path, userIds: ["carol <carol@example.com>"] });
  });

  test("an empty local file masks the same-named system key", async () => {
    const { ks } = freshKeystore();
    place(ks.systemRoot, alice.fingerprint, alice.armored);
    place(join(ks.systemPrefix, "example.com"), bob.fingerprint, bob.armored);
    expect(fingerprints(await ks.keysFor("example.com/app"))).toEqual(fingerprints([alice, bob]));
    place(ks.localRoot, alice.fingerprint, "");
    place(join(ks.localPrefix, "example.com"), bob.fingerprint, "");
    expect(await ks.keysFor("example.com/app")).toEqual([]);
  });

  test("a key file not named by its fingerprint is an error, as in rkt", async () => {
    const { ks } = freshKeystore();
    place(ks.localRoot, bob.fingerprint, alice.armored);
    await expect(ks.keysFor("example.com")).rejects.toThrow(/file name is not the key's fingerprint/);
  });

  test("hasTrust: a non-empty key for the prefix or a parent in prefix.d (root keys do not count)", async () => {
    const { ks } = freshKeystore();
    place(ks.localRoot, alice.fingerprint, alice.armored);
    expect(ks.hasTrust("example.com/app")).toBe(false);
    place(join(ks.systemPrefix, "example.com"), bob.fingerprint, bob.armored);
    expect(ks.hasTrust("example.com/app")).toBe(true);
    expect(ks.hasTrust("example.com")).toBe(true);
    expect(ks.hasTrust("example.org")).toBe(false);
    place(join(ks.localPrefix, "other.org/app"), carol.fingerprint, "");
    expect(ks.hasTrust("other.org/app")).toBe(false);
  });
});

test("fingerprints are shown in groups of four with a double space in the middle", () => {
  expect(formatFingerprint("8b86de38890ddb7291867b025210bd8888182190")).toBe(
    "8B86 DE38 890D DB72 9186  7B02 5210 BD88 8818 2190",
  );
});
