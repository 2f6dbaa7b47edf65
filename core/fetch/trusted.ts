// The signature policy of a fetch: with --insecure-options=image nothing is checked (and the user
// is warned once); otherwise the image's detached signature must verify against a key trusted for
// the image's name. The signature is --signature, else `<file>.asc` beside a local image, else
// downloaded (`<url>.asc`, or the URL discovery gave) by the remote fetcher through begin().
// It also carries the global options remote fetches need (insecure bits, config dirs, TOFU).
import { existsSync, readFileSync } from "../../ffi/sync-fs.ts";
import type { GlobalOptions } from "../config/options.ts";
import { FetchError } from "../errors.ts";
import { stderr, warn } from "../log.ts";
import type { Keystore } from "../trust/keystore.ts";
import { classifyImage } from "./finder.ts";
import type { SignatureCheck, Verifier } from "./signature.ts";

let warned = false;

/** A verifier that can also refuse early, once the image name is known before its bytes. */
export interface ImageVerifier extends Verifier {
  /** throws now unless a key trusted for `imageName` made the signature */
  check(imageName: string): Promise<void>;
}

/** How one image (and, through forDependency, its dependencies) is trusted. */
export interface FetchTrust extends SignatureCheck {
  readonly g: GlobalOptions;
  /** --signature, for the image the user named only */
  readonly signatureFile?: string;
  /** false with --insecure-options=image (the user is warned once) */
  verifying(): boolean;
  /** the keystore of this invocation's config directories (loaded on first need: it brings OpenPGP parsing) */
  keystore(): Promise<Keystore>;
  /** starts verifying the detached signature `asc` (armored or binary) */
  begin(asc: Uint8Array): Promise<ImageVerifier>;
  /** the same policy for a dependency (which never uses --signature) */
  forDependency(): FetchTrust;
}

/** The trust policy for fetching `image` (a local file's signature is found beside it). */
export function signatureCheck(g: GlobalOptions, image: string, signatureFile?: string): FetchTrust {
  const keystore = async () => new (await import("../trust/keystore.ts")).Keystore({ systemConfig: g.systemConfig, localConfig: g.localConfig });
  const trust: FetchTrust = {
    g,
    signatureFile,
    verifying() {
      if (!g.insecure.image) return true;
      if (!warned) warn("image signature verification has been disabled");
      warned = true;
      return false;
    },
    keystore,
    async begin(asc) {
      const { beginVerification } = await import("../trust/verify.ts");
      const v = await beginVerification(asc);
      const ks = await keystore();
      return {
        push: (c) => v.push(c),
        check: (imageName) => v.check(ks, imageName),
        async finish(imageName) {
          const signer = await v.end(ks, imageName);
          stderr(`signature verified:\n${signer.userIds.map((u) => `  ${u}`).join("\n")}`);
        },
      };
    },
    forDependency: () => signatureCheck(g, "", undefined),
    async start() {
      if (!trust.verifying()) return undefined;
      const ref = image ? classifyImage(image) : undefined;
      const sigPath = signatureFile ?? (ref?.kind === "path" ? `${ref.path}.asc` : undefined);
      if (!sigPath || !existsSync(sigPath)) {
        throw new FetchError(
          `cannot fetch image "${image}": no signature${sigPath ? ` at "${sigPath}"` : ""} (give one with --signature, or skip verification with --insecure-options=image)`,
        );
      }
      return trust.begin(readFileSync(sigPath));
    },
  };
  return trust;
}
