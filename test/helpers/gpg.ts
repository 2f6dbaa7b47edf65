// Throwaway OpenPGP keys made by the real gpg (what image publishers use), in a private GNUPGHOME:
// key generation, armored public key export and `--armor --detach-sign` signatures. Disposal stops
// the gpg-agent this home started and removes the directory.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface GpgKey {
  /** lowercase hex of the primary key fingerprint (the keystore's file name) */
  fingerprint: string;
  /** last 16 hex digits of the fingerprint, lowercase */
  keyId: string;
  userId: string;
  /** ASCII-armored public key */
  armored: string;
  /** the armored public key written to a file in the gpg home */
  path: string;
}

export interface GpgHome extends Disposable {
  home: string;
  /** Generates a signing key without passphrase: ed25519 (fast) unless rsa is asked for. */
  genKey(userId: string, algo?: "ed25519" | "rsa2048"): GpgKey;
  /** `gpg --armor --detach-sign` of `file` by `key`; writes `<file>.asc` unless `out` is given, returns the armor. */
  sign(key: GpgKey, file: string, out?: string): string;
}

/** A fresh gpg home; `using gpg = gpgHome()` cleans it up. */
export function gpgHome(): GpgHome {
  const home = mkdtempSync(join(tmpdir(), "rkt-gpg-"));
  const gpg = (args: string[]): string => {
    const p = Bun.spawnSync(["gpg", "--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", ...args], {
      env: { ...process.env, GNUPGHOME: home },
    });
    if (p.exitCode !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${p.stderr.toString()}`);
    return p.stdout.toString();
  };
  return {
    home,
    genKey(userId, algo = "ed25519") {
      gpg(["--quick-gen-key", userId, algo, "sign", "never"]);
      // fpr lines follow their key (and sub) lines; take the one right after the primary `pub` line.
      const lines = gpg(["--with-colons", "--fingerprint", `=${userId}`]).split("\n");
      const fprLine = lines[lines.findIndex((l) => l.startsWith("pub:")) + 1]!;
      const fingerprint = fprLine.split(":")[9]!.toLowerCase();
      const armored = gpg(["--armor", "--export", fingerprint]);
      const path = join(home, `${fingerprint}.pub.asc`);
      writeFileSync(path, armored);
      return { fingerprint, keyId: fingerprint.slice(-16), userId, armored, path };
    },
    sign(key, file, out = `${file}.asc`) {
      gpg(["--yes", "--local-user", key.fingerprint, "--armor", "--output", out, "--detach-sign", file]);
      return readFileSync(out, "utf8");
    },
    [Symbol.dispose]() {
      Bun.spawnSync(["gpgconf", "--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: home } });
      rmSync(home, { recursive: true, force: true });
    },
  };
}
