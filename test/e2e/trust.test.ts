// `rkt trust` as users run it (rkt_trust_test.go, the seed README's example), with real gpg keys.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { actoolBuild } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { gpgHome, type GpgHome, type GpgKey } from "../helpers/gpg.ts";
import { requires } from "../helpers/requires.ts";

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

const spaced = (fpr: string) => {
  const g = fpr.toUpperCase().match(/.{4}/g)!;
  return `${g.slice(0, 5).join(" ")}  ${g.slice(5).join(" ")}`;
};

describe.skipIf(!!requires("gpg"))("rkt trust", () => {
  let gpg: GpgHome;
  let key: GpgKey;
  beforeAll(() => {
    gpg = gpgHome();
    key = gpg.genKey("Example ACI Builder <release@example.com>");
  });
  afterAll(() => gpg?.[Symbol.dispose]());

  test("answered yes: shows the key, asks, stores it under the local prefix.d", () => {
    using ctx = rktContext("trust");
    const r = ctx.rkt(["trust", "--prefix=example.com/etcd", key.path], { stdin: "yes\n" });
    const stored = join(ctx.localConfig, "trustedkeys/prefix.d/example.com/etcd", key.fingerprint);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        `Prefix: "example.com/etcd"`,
        `Key: "${key.path}"`,
        `GPG key fingerprint is: ${spaced(key.fingerprint)}`,
        `\tExample ACI Builder <release@example.com>`,
        `Are you sure you want to trust this key (yes/no)? Trusting "${key.path}" for prefix "example.com/etcd" after fingerprint review.`,
        `Added key for prefix "example.com/etcd" at "${stored}"`,
        ``,
      ].join("\n"),
    );
    expect(r.code).toBe(0);
    expect(filesUnder(join(ctx.localConfig, "trustedkeys"))).toEqual([`prefix.d/example.com/etcd/${key.fingerprint}`]);
    expect(readFileSync(stored, "utf8")).toBe(key.armored);
    expect(statSync(stored).mode & 0o777).toBe(0o644);
    expect(filesUnder(ctx.systemConfig)).toEqual([]);
  });

  test("answered no (or nothing): not trusting, exit 254, nothing stored", () => {
    using ctx = rktContext("trust");
    for (const stdin of ["no\n", "", "maybe\nno\n"]) {
      const r = ctx.rkt(["trust", "--prefix=example.com/etcd", key.path], { stdin });
      expect(r.code).toBe(254);
      expect(r.stderr).toBe(`rkt: not trusting "${key.path}"\n`);
      expect(r.stdout).toContain("Are you sure you want to trust this key (yes/no)? ");
      expect(r.stdout).not.toContain("Added");
    }
    expect(ctx.rkt(["trust", "--prefix=example.com/etcd", key.path], { stdin: "maybe\nno\n" }).stdout).toContain("Please enter 'yes' or 'no'");
    expect(filesUnder(ctx.localConfig)).toEqual([]);
  });

  test("--skip-fingerprint-review stores without asking", () => {
    using ctx = rktContext("trust");
    const r = ctx.rkt(["trust", "--skip-fingerprint-review", "--prefix", "example.com", key.path]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("Are you sure");
    expect(r.stdout).toContain(`Trusting "${key.path}" for prefix "example.com" without fingerprint review.`);
    expect(filesUnder(join(ctx.localConfig, "trustedkeys"))).toEqual([`prefix.d/example.com/${key.fingerprint}`]);
  });

  test("--root stores a root key", () => {
    using ctx = rktContext("trust");
    const r = ctx.rkt(["trust", "--root", key.path], { stdin: "yes\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith(`Prefix: ""\n`);
    expect(r.stdout).toContain(`Added root key at "${join(ctx.localConfig, "trustedkeys/root.d", key.fingerprint)}"`);
    expect(filesUnder(join(ctx.localConfig, "trustedkeys"))).toEqual([`root.d/${key.fingerprint}`]);
  });

  test("several key files: each is shown, asked for and stored", () => {
    using ctx = rktContext("trust");
    const second = gpg.genKey("Second Builder <second@example.com>");
    const r = ctx.rkt(["trust", "--prefix=example.com/app", key.path, second.path], { stdin: "yes\nyes\n" });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Added key/g)).toHaveLength(2);
    expect(filesUnder(join(ctx.localConfig, "trustedkeys/prefix.d/example.com/app"))).toEqual(
      [key.fingerprint, second.fingerprint].sort(),
    );
  });

  test("flag misuse and unreadable keys fail with 254 and store nothing", () => {
    using ctx = rktContext("trust");
    const cases: [string[], RegExp][] = [
      [[key.path], /--root required for non-prefixed \(root\) keys/],
      [[], /--prefix or --root required/],
      [["--root", "--prefix=example.com", key.path], /--root and --prefix usage mutually exclusive/],
      [["--root"], /--root requires a key file/],
      [["--prefix=https://example.com", key.path], /--prefix must not contain a URL scheme, omit https:\/\//],
      [["--prefix=Example.com", key.path], /invalid prefix "Example.com"/],
      [["--prefix=example.com", join(ctx.tmp, "missing.gpg")], /cannot read key ".*missing.gpg": ENOENT/],
      [["--prefix=example.com", "/etc/hostname"], /not an armored OpenPGP public key/],
    ];
    for (const [args, message] of cases) {
      const r = ctx.rkt(["trust", ...args], { stdin: "yes\n" });
      expect({ args, code: r.code }).toEqual({ args, code: 254 });
      expect(r.stderr).toMatch(message);
    }
    expect(filesUnder(ctx.localConfig)).toEqual([]);
  });
});

// rkt_trust_test.go: a signed image fetches once its key is trusted for its name (or a parent, or
// as a root key), and not otherwise; nothing reaches the store from a refused fetch.
describe.skipIf(!!requires("gpg", "actool"))("signed fetch after rkt trust", () => {
  let gpg: GpgHome;
  let signer: GpgKey;
  let stranger: GpgKey;
  let work: RktContext;
  let aci: string;
  beforeAll(() => {
    gpg = gpgHome();
    signer = gpg.genKey("Example ACI Builder <release@example.com>");
    stranger = gpg.genKey("Stranger <stranger@example.org>");
    work = rktContext("trust-fetch");
    aci = actoolBuild(work.tmp, { name: "example.com/app/hello", version: "1.0", files: { "etc/motd": "hi\n" } }, join(work.tmp, "hello.aci"));
    gpg.sign(signer, aci);
  });
  afterAll(() => {
    work?.[Symbol.dispose]();
    gpg?.[Symbol.dispose]();
  });

  const trust = (ctx: RktContext, key: GpgKey, ...flags: string[]) =>
    expect(ctx.rkt(["trust", "--skip-fingerprint-review", ...flags, key.path]).code).toBe(0);
  const images = (ctx: RktContext) => JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout || "[]");
  const refused = (ctx: RktContext, file: string, message: RegExp) => {
    const r = ctx.rkt(["fetch", file]);
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(message);
    expect(images(ctx)).toEqual([]);
  };
  const fetched = (ctx: RktContext) => {
    const r = ctx.rkt(["fetch", aci]);
    expect(r.stderr).toBe("rkt: signature verified:\n  Example ACI Builder <release@example.com>\n");
    expect(r.stdout).toMatch(/^sha512-[0-9a-f]{32}\n$/);
    expect(r.code).toBe(0);
  };

  test("untrusted: no key for the name or any parent, then keys for other prefixes, then another signer", () => {
    using ctx = rktContext("trust-fetch");
    refused(ctx, aci, /no keys trusted for prefix "example.com\/app\/hello" or any parent \(use rkt trust\)/);
    trust(ctx, signer, "--prefix=example.com/other");
    trust(ctx, signer, "--prefix=example.com/app/hell"); // a string prefix of the name, not a path prefix
    refused(ctx, aci, /no keys trusted for prefix/);
    trust(ctx, stranger, "--prefix=example.com/app/hello");
    refused(ctx, aci, new RegExp(`made by key ${signer.keyId.toUpperCase()}, which is not trusted for prefix "example.com/app/hello"`));
  });

  test.each([
    ["for the image's name", "--prefix=example.com/app/hello"],
    ["for a parent prefix", "--prefix=example.com"],
    ["as a root key", "--root"],
  ])("trusted %s: fetched, and the signer is named", (_, flag) => {
    using ctx = rktContext("trust-fetch");
    trust(ctx, signer, flag);
    fetched(ctx);
  });

  test("a tampered image is refused even with its signer trusted", () => {
    using ctx = rktContext("trust-fetch");
    trust(ctx, signer, "--prefix=example.com/app/hello");
    const other = actoolBuild(ctx.tmp, { name: "example.com/app/hello", version: "1.0", files: { "etc/motd": "evil\n" } }, join(ctx.tmp, "evil.aci"));
    copyFileSync(`${aci}.asc`, `${other}.asc`);
    refused(ctx, other, /bad signature for "example.com\/app\/hello" by key [0-9A-F]{16} \(Example ACI Builder/);
  });

  test("a system key masked by an empty local file is refused", () => {
    using ctx = rktContext("trust-fetch");
    const sys = join(ctx.systemConfig, "trustedkeys/prefix.d/example.com");
    mkdirSync(sys, { recursive: true });
    writeFileSync(join(sys, signer.fingerprint), signer.armored);
    const local = join(ctx.localConfig, "trustedkeys/prefix.d/example.com");
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, signer.fingerprint), "");
    refused(ctx, aci, /no keys trusted for prefix/);
  });
});
