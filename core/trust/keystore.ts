// rkt's keystore (pkg/keystore): trusted OpenPGP keys as armored files named by fingerprint under
// `<system-config>/trustedkeys/{root.d,prefix.d/<prefix>}` and the same under the local config.
// Walk order and masking are rkt's: system root, local root, then the system and local prefix trees
// from the top level down to the prefix itself; an empty file removes the same-named key seen before.
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PublicKey } from "openpgp";
import { RktError } from "../errors.ts";
import { readArmoredPublicKeys, summarize, type KeySummary } from "./pgp.ts";

/** appc's AC identifier (types.ACIdentifier): what a trust prefix and an image name must be. */
// Stricter than appc's loose identifier check (which lets `a//b` through): a prefix becomes a
// directory path under prefix.d, so every segment must be a plain name.
const AC_IDENTIFIER = /^[a-z0-9]+([-._~/][a-z0-9]+)*$/;

export interface KeystoreConfig {
  /** e.g. /usr/lib/rkt (read only) */
  systemConfig: string;
  /** e.g. /etc/rkt (where `rkt trust` writes) */
  localConfig: string;
}

/** A key that is trusted for some image name, with where it was found. */
export interface TrustedKey extends KeySummary {
  /** the keyring file the key came from */
  path: string;
  key: PublicKey;
}

/** Throws unless `prefix` is an AC identifier such as `example.com/app`. */
export function checkPrefix(prefix: string): void {
  if (!AC_IDENTIFIER.test(prefix)) {
    throw new RktError(
      `invalid prefix "${prefix}": expected an AC identifier (lowercase letters and digits, separated by one of -._~/)`,
    );
  }
}

/** `a/b/c` → `a`, `a/b`, `a/b/c`: the prefix dirs whose keys apply to `a/b/c`, top down. */
function prefixLevels(name: string): string[] {
  const parts = name.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Non-directory entries of `dir` in name order, or none when `dir` does not exist. */
function filesIn(dir: string): { path: string; name: string; size: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw new RktError(`cannot list trusted keys in "${dir}"`, { cause: err });
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    return st && !st.isDirectory() ? [{ path, name, size: st.size }] : [];
  });
}

/** The four keystore roots of rkt, and the lookups over them. */
export class Keystore {
  readonly systemRoot: string;
  readonly localRoot: string;
  readonly systemPrefix: string;
  readonly localPrefix: string;
  /** where `storeTrustedKey` stages files before renaming them in (same filesystem, never walked) */
  private readonly staging: string;

  constructor(cfg: KeystoreConfig) {
    this.systemRoot = join(cfg.systemConfig, "trustedkeys", "root.d");
    this.systemPrefix = join(cfg.systemConfig, "trustedkeys", "prefix.d");
    this.localRoot = join(cfg.localConfig, "trustedkeys", "root.d");
    this.localPrefix = join(cfg.localConfig, "trustedkeys", "prefix.d");
    this.staging = join(cfg.localConfig, "trustedkeys");
  }

  /** Key files that apply to `imageName`, in rkt's walk order (later entries override earlier ones). */
  keyFiles(imageName: string): { path: string; name: string; size: number }[] {
    checkPrefix(imageName);
    const levels = prefixLevels(imageName);
    const dirs = [
      this.systemRoot,
      this.localRoot,
      ...levels.map((l) => join(this.systemPrefix, l)),
      ...levels.map((l) => join(this.localPrefix, l)),
    ];
    return dirs.flatMap(filesIn);
  }

  /**
   * The keyring that may sign images named `imageName`: root keys plus the keys of `imageName` and
   * every parent prefix, minus the masked ones. A key file whose name is not its fingerprint is an
   * error, as in rkt (it means the keystore was edited by hand wrongly).
   */
  async keysFor(imageName: string): Promise<TrustedKey[]> {
    const found = new Map<string, string>();
    for (const f of this.keyFiles(imageName)) {
      if (f.size === 0) found.delete(f.name);
      else found.set(f.name, f.path);
    }
    const keys: TrustedKey[] = [];
    for (const [name, path] of found) {
      const [key] = await readArmoredPublicKeys(readFileSync(path), path);
      const summary = summarize(key!);
      if (summary.fingerprint !== name) {
        throw new RktError(`cannot load trusted key "${path}": the file name is not the key's fingerprint ${summary.fingerprint}`);
      }
      keys.push({ ...summary, path, key: key! });
    }
    return keys;
  }

  /**
   * Whether `prefix` or one of its parents has a non-empty key file in the local or system prefix
   * tree (rkt's TrustedKeyPrefixExists: root keys and masks are not considered).
   */
  hasTrust(prefix: string): boolean {
    checkPrefix(prefix);
    return prefixLevels(prefix).some((level) =>
      [this.localPrefix, this.systemPrefix].some((root) => filesIn(join(root, level)).some((f) => f.size > 0)),
    );
  }

  /**
   * Stores an armored public keyring in the local config, named by its first key's fingerprint,
   * for `prefix`, or as a root key when `prefix` is "" (rkt's convention). Returns the file's path.
   * The bytes are kept as given; the file appears atomically with mode 0644.
   */
  async storeTrustedKey(prefix: string, armored: string | Uint8Array): Promise<string> {
    if (prefix !== "") checkPrefix(prefix);
    const [key] = await readArmoredPublicKeys(armored, prefix === "" ? "root key" : `key for prefix ${prefix}`);
    const dir = prefix === "" ? this.localRoot : join(this.localPrefix, prefix);
    const fingerprint = summarize(key!).fingerprint;
    const dest = join(dir, fingerprint);
    const tmp = join(this.staging, `.${fingerprint}.${process.pid}.tmp`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(tmp, armored);
      chmodSync(tmp, 0o644);
      renameSync(tmp, dest);
    } catch (cause) {
      rmSync(tmp, { force: true });
      throw new RktError(`cannot store trusted key "${dest}"`, { cause });
    }
    return dest;
  }
}
