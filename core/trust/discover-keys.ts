// Keys published through appc meta discovery (`ac-discovery-pubkeys`, rkt/pubkey/pubkey.go): found for
// `rkt trust --prefix=P` without a key file, and trusted on first use by fetches run with
// --trust-keys-from-https when nothing is trusted yet for the image's name.
import { discoverPublicKeys } from "../fetch/discovery.ts";
import type { HttpOptions } from "../fetch/http.ts";
import { diag, stderr } from "../log.ts";
import { readKeyFile, type KeyFile } from "./keyfile.ts";
import type { Keystore } from "./keystore.ts";
import { formatFingerprint } from "./pgp.ts";

/** Downloads every key discovery publishes for `prefix` (none found is an error naming each level tried). */
export async function discoverKeys(prefix: string, http: HttpOptions): Promise<KeyFile[]> {
  const files: KeyFile[] = [];
  for (const location of await discoverPublicKeys(prefix, http)) files.push(await readKeyFile(location, http));
  return files;
}

/**
 * rkt's maybeFetchPubKeys with AcceptForce: unless `prefix` (or a parent) already has a trusted key,
 * stores the discovered keys for `prefix` without review, saying so on stderr. Returns the stored paths.
 */
export async function trustDiscoveredKeys(keystore: Keystore, prefix: string, http: HttpOptions): Promise<string[]> {
  if (keystore.hasTrust(prefix)) {
    diag(`keys already exist for prefix "${prefix}", not fetching again`);
    return [];
  }
  const paths: string[] = [];
  for (const file of await discoverKeys(prefix, http)) {
    const fingerprints = file.keys.map((k) => formatFingerprint(k.fingerprint)).join(", ");
    stderr(`Trusting "${file.location}" (${fingerprints}) for prefix "${prefix}" without fingerprint review.`);
    const path = await keystore.storeTrustedKey(prefix, file.bytes);
    stderr(`Added key for prefix "${prefix}" at "${path}"`);
    paths.push(path);
  }
  return paths;
}
