// Where `rkt trust` gets a key from (rkt's pubkey.Manager.getPubKey): a local file, or an http(s)
// URL (given, or found by ac-discovery-pubkeys meta discovery); plain http only when the caller
// allows it (`rkt trust --insecure-allow-http`, or --insecure-options=pubkey,http for fetches).
import { readFileSync } from "node:fs";
import { RktError } from "../errors.ts";
import { getSmall, type HttpOptions } from "../fetch/http.ts";
import { readArmoredPublicKeys, summarize, type KeySummary } from "./pgp.ts";

/** A key file as read, with what to show the user before trusting it. */
export interface KeyFile {
  /** as the user gave it, or as discovery found it */
  location: string;
  /** the file's bytes, stored unchanged when trusted */
  bytes: Uint8Array;
  /** every key of the keyring (the first names the stored file) */
  keys: KeySummary[];
}

async function download(location: string, http: HttpOptions): Promise<Uint8Array> {
  if (location.toLowerCase().startsWith("http:") && !http.allowHttp) {
    throw new RktError(`cannot fetch key "${location}": --insecure-allow-http required for http URLs`);
  }
  try {
    return await getSmall(location, http, "key");
  } catch (cause) {
    throw new RktError(`cannot fetch key "${location}"`, { cause });
  }
}

/** Reads and parses the armored public keyring at `location` (a path, or an http(s) URL fetched with `http`). */
export async function readKeyFile(location: string, http: HttpOptions = {}): Promise<KeyFile> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  let bytes: Uint8Array;
  if (scheme === "http" || scheme === "https") {
    bytes = await download(location, http);
  } else if (scheme) {
    throw new RktError(`cannot fetch key "${location}": only local files and http or https URLs are supported`);
  } else {
    try {
      bytes = readFileSync(location);
    } catch (cause) {
      throw new RktError(`cannot read key "${location}"`, { cause });
    }
  }
  const keys = await readArmoredPublicKeys(bytes, location);
  return { location, bytes, keys: keys.map(summarize) };
}
