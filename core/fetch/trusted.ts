// The signature policy of a fetch: with --insecure-options=image nothing is checked (and the user
// is warned once); otherwise the image's detached signature (--signature, or <file>.asc beside a
// local image) must verify against a key trusted for the image's name.
import { existsSync, readFileSync } from "node:fs";
import type { GlobalOptions } from "../config/options.ts";
import { FetchError } from "../errors.ts";
import { stderr, warn } from "../log.ts";
import { Keystore } from "../trust/keystore.ts";
import { beginVerification } from "../trust/verify.ts";
import { classifyImage } from "./finder.ts";
import type { SignatureCheck } from "./signature.ts";

let warned = false;

/** The SignatureCheck for fetching `image` (a local file's signature is found beside it). */
export function signatureCheck(g: GlobalOptions, image: string, signatureFile?: string): SignatureCheck {
  return {
    async start() {
      if (g.insecure.image) {
        if (!warned) warn("image signature verification has been disabled");
        warned = true;
        return undefined;
      }
      const ref = classifyImage(image);
      const sigPath = signatureFile ?? (ref.kind === "path" ? `${ref.path}.asc` : undefined);
      if (!sigPath || !existsSync(sigPath)) {
        throw new FetchError(
          `cannot fetch image "${image}": no signature${sigPath ? ` at "${sigPath}"` : ""} (give one with --signature, or skip verification with --insecure-options=image)`,
        );
      }
      const v = await beginVerification(readFileSync(sigPath));
      return {
        push: (c) => v.push(c),
        async finish(imageName) {
          const signer = await v.end(new Keystore({ systemConfig: g.systemConfig, localConfig: g.localConfig }), imageName);
          stderr(`signature verified:\n${signer.userIds.map((u) => `  ${u}`).join("\n")}`);
        },
      };
    },
  };
}
