// Where `rkt trust` gets a key from (rkt's pubkey.Manager.getPubKey): a local file for now. Keys
// from http(s) URLs and from ac-discovery-pubkeys meta discovery come with the discovery work.
import { readFileSync } from "node:fs";
import { RktError } from "../errors.ts";
import { readArmoredPublicKeys, summarize, type KeySummary } from "./pgp.ts";

/** A key file as read, with what to show the user before trusting it. */
export interface KeyFile {
  /** as the user gave it */
  location: string;
  /** the file's bytes, stored unchanged when trusted */
  bytes: Uint8Array;
  /** every key of the keyring (the first names the stored file) */
  keys: KeySummary[];
}

/** Reads and parses the armored public keyring at `location` (a path). */
export async function readKeyFile(location: string): Promise<KeyFile> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") {
    // TODO(#4): download keys (honouring --insecure-allow-http) once discovery lands.
    throw new RktError(`cannot fetch key "${location}": keys from URLs are not implemented yet, download it and give the file`);
  }
  if (scheme) throw new RktError(`cannot fetch key "${location}": only local files and http or https URLs are supported`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(location);
  } catch (cause) {
    throw new RktError(`cannot read key "${location}"`, { cause });
  }
  const keys = await readArmoredPublicKeys(bytes, location);
  return { location, bytes, keys: keys.map(summarize) };
}
