// The pod identity endpoint's keyed hash (ace.md "Identity Endpoint"; rkt/metadata_service.go
// handlePodSign/handlePodVerify): HMAC-SHA512 over the pod's 16 UUID bytes followed by the content,
// under a 64-byte key drawn when the service starts, so signatures are valid for its lifetime only.
import { timingSafeEqual } from "node:crypto";

/** Signs and checks pod signatures with this service's key. */
export class PodHmac {
  readonly #key = crypto.getRandomValues(new Uint8Array(64));

  /** HMAC-SHA512(key, uuid ‖ content). */
  sign(uuid: Uint8Array, content: Uint8Array): Uint8Array {
    return new Bun.CryptoHasher("sha512", this.#key).update(uuid).update(content).digest();
  }

  /** Whether `signature` is this service's signature of `content` by pod `uuid` (constant time). */
  verify(uuid: Uint8Array, content: Uint8Array, signature: Uint8Array): boolean {
    const mac = this.sign(uuid, content);
    return signature.length === mac.length && timingSafeEqual(signature, mac);
  }
}
