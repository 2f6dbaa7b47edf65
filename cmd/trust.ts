// `rkt trust [--prefix=P | --root] [KEY…]`: reads each key (a file or an http(s) URL; without any, the
// keys the prefix publishes through meta discovery), shows it, asks `yes/no` on stdin unless
// --skip-fingerprint-review (or the key came over https with --trust-keys-from-https), and stores
// it in the local config's keystore (rkt/trust.go, pubkey.go).
import { defineCommand } from "citty";
import { RktError, UsageError } from "../core/errors.ts";
import { loadAuthConfig } from "../core/config/auth.ts";
import { discoverKeys } from "../core/trust/discover-keys.ts";
import { readKeyFile } from "../core/trust/keyfile.ts";
import { checkPrefix, Keystore } from "../core/trust/keystore.ts";
import { formatFingerprint } from "../core/trust/pgp.ts";
import { getGlobals, positionals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

const out = (line: string) => writeStdout(line + "\n");

/** rkt's review loop: only "yes" trusts; "no" or the end of input does not; anything else asks again. */
async function askTrust(lines: AsyncIterator<string>): Promise<boolean> {
  for (;;) {
    writeStdout("Are you sure you want to trust this key (yes/no)? ");
    const { value, done } = await lines.next();
    if (done) out("");
    if (done || value.trim() === "no") return false;
    if (value.trim() === "yes") return true;
    out("Please enter 'yes' or 'no'");
  }
}

export default defineCommand({
  meta: { name: "trust", description: "Trust a key for image verification" },
  args: {
    keys: { type: "positional", required: false, valueHint: "PUBKEY..." },
    prefix: { type: "string", description: "prefix to limit trust to", valueHint: "PREFIX" },
    root: { type: "boolean", description: "add root key from filesystem without a prefix", default: false },
    "skip-fingerprint-review": { type: "boolean", description: "accept key without fingerprint confirmation", default: false },
    "insecure-allow-http": { type: "boolean", description: "allow HTTP use for key discovery and/or retrieval", default: false },
  },
  async run({ args }) {
    const prefix = args.prefix ?? "";
    const locations = positionals(args);
    if (prefix === "" && !args.root) {
      throw new UsageError(locations.length > 0 ? "--root required for non-prefixed (root) keys" : "--prefix or --root required");
    }
    if (prefix !== "" && args.root) throw new UsageError("--root and --prefix usage mutually exclusive");
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(prefix)?.[1];
    if (scheme) throw new UsageError(`--prefix must not contain a URL scheme, omit ${scheme}://`);
    if (prefix !== "") checkPrefix(prefix);
    if (locations.length === 0 && args.root) throw new UsageError("--root requires a key file");

    const g = getGlobals();
    const http = { insecureTls: g.insecure.tls, allowHttp: args["insecure-allow-http"], auth: loadAuthConfig(g) };
    const keystore = new Keystore({ systemConfig: g.systemConfig, localConfig: g.localConfig });
    const lines = console[Symbol.asyncIterator]();
    const refused: string[] = [];
    // Without key files, the keys are those the prefix publishes (ac-discovery-pubkeys).
    const sources = locations.length > 0 ? locations : await discoverKeys(prefix, http);
    for (const source of sources) {
      const file = typeof source === "string" ? await readKeyFile(source, http) : source;
      const location = file.location;
      // rkt's AcceptForce for keys fetched over https when --trust-keys-from-https is given.
      const review = !args["skip-fingerprint-review"] && !(g.trustKeysFromHttps && location.startsWith("https://"));
      out(`Prefix: ${JSON.stringify(prefix)}\nKey: ${JSON.stringify(location)}`);
      for (const k of file.keys) {
        out(`GPG key fingerprint is: ${formatFingerprint(k.fingerprint)}`);
        for (const sub of k.subkeyFingerprints) out(`    Subkey fingerprint: ${formatFingerprint(sub)}`);
        for (const uid of k.userIds) out(`\t${uid}`);
      }
      if (review && !(await askTrust(lines))) {
        refused.push(location);
        continue;
      }
      out(`Trusting ${JSON.stringify(location)} for prefix ${JSON.stringify(prefix)} ${review ? "after" : "without"} fingerprint review.`);
      const path = await keystore.storeTrustedKey(prefix, file.bytes);
      out(prefix === "" ? `Added root key at ${JSON.stringify(path)}` : `Added key for prefix ${JSON.stringify(prefix)} at ${JSON.stringify(path)}`);
    }
    if (refused.length > 0) throw new RktError(`not trusting ${refused.map((l) => JSON.stringify(l)).join(", ")}`);
  },
});
