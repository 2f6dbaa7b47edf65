// Global options every command sees (rkt's persistent flags), and the --insecure-options bit set.
import { UsageError } from "../errors.ts";

/** rkt's insecure option bits (rkt/flag/secflags.go). */
export interface InsecureOptions {
  image: boolean;
  tls: boolean;
  http: boolean;
  pubkey: boolean;
  capabilities: boolean;
  paths: boolean;
  seccomp: boolean;
  ondisk: boolean;
}

const GROUPS: Record<string, (keyof InsecureOptions)[]> = {
  none: [],
  image: ["image"],
  tls: ["tls"],
  http: ["http"],
  pubkey: ["pubkey"],
  capabilities: ["capabilities"],
  paths: ["paths"],
  seccomp: ["seccomp"],
  ondisk: ["ondisk"],
  "all-fetch": ["image", "tls", "http", "pubkey"],
  "all-run": ["capabilities", "paths", "seccomp"],
  all: ["image", "tls", "http", "pubkey", "capabilities", "paths", "seccomp", "ondisk"],
};

/** Parses `--insecure-options=image,tls`; unknown words are a usage error naming the valid ones. */
export function parseInsecureOptions(value: string): InsecureOptions {
  const opts: InsecureOptions = {
    image: false, tls: false, http: false, pubkey: false,
    capabilities: false, paths: false, seccomp: false, ondisk: false,
  };
  for (const word of value.split(",").map((w) => w.trim()).filter(Boolean)) {
    const bits = GROUPS[word];
    if (!bits) {
      throw new UsageError(
        `invalid --insecure-options "${word}": expected a comma-separated list of ${Object.keys(GROUPS).join(", ")}`,
      );
    }
    for (const b of bits) opts[b] = true;
  }
  return opts;
}

export interface GlobalOptions {
  /** data directory, absolute (default /var/lib/rkt) */
  dir: string;
  /** whether --dir was given (it then beats paths.d) */
  dirFromFlag: boolean;
  systemConfig: string;
  localConfig: string;
  userConfig: string;
  debug: boolean;
  insecure: InsecureOptions;
  trustKeysFromHttps: boolean;
}
