// The metadata service's registry (rkt/metadata_service.go podStore): pods stage0 registered, by UUID
// for registration and by token for the apps' requests, each with the image manifests of its apps.
// In memory only, as rkt's: a restarted service knows no pods until they are registered again.
import type { ImageManifest } from "../schema/image-manifest.ts";
import type { PodManifest } from "../schema/pod-manifest.ts";

export interface MdsPod {
  /** canonical form (lowercase, dashed) */
  uuid: string;
  /** the 16 bytes the pod HMAC covers */
  uuidBytes: Uint8Array;
  token: string;
  manifest: PodManifest;
  apps: Map<string, ImageManifest>;
}

/**
 * appc's types.NewUUID: 32 hex digits once the dashes are gone, in any case. Returns the 16 bytes, or
 * a message saying what is wrong.
 */
export function parseUuid(s: string): Uint8Array | string {
  const hex = s.replaceAll("-", "");
  if (hex.length !== 32) return `bad UUID length: ${hex.length}`;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return `invalid hex in UUID "${s}"`;
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** The canonical text form of 16 UUID bytes. */
export function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Registered pods; the service is one thread, so no locking. */
export class PodStore {
  readonly #byUuid = new Map<string, MdsPod>();
  readonly #byToken = new Map<string, MdsPod>();

  /** Registers (or registers again, with a new token) the pod with UUID `uuidBytes`. */
  add(uuidBytes: Uint8Array, token: string, manifest: PodManifest): void {
    const uuid = formatUuid(uuidBytes);
    const old = this.#byUuid.get(uuid);
    if (old) this.#byToken.delete(old.token);
    const pod: MdsPod = { uuid, uuidBytes, token, manifest, apps: new Map() };
    this.#byUuid.set(uuid, pod);
    this.#byToken.set(token, pod);
  }

  /** Adds app `name`'s image manifest to a registered pod; false when the pod is unknown. */
  addApp(uuidBytes: Uint8Array, name: string, manifest: ImageManifest): boolean {
    const pod = this.#byUuid.get(formatUuid(uuidBytes));
    pod?.apps.set(name, manifest);
    return pod !== undefined;
  }

  /** Forgets a pod and its token; false when it was not registered. */
  remove(uuidBytes: Uint8Array): boolean {
    const uuid = formatUuid(uuidBytes);
    const pod = this.#byUuid.get(uuid);
    if (!pod) return false;
    this.#byUuid.delete(uuid);
    this.#byToken.delete(pod.token);
    return true;
  }

  /** The pod an app's request names by its token. */
  byToken(token: string): MdsPod | undefined {
    return this.#byToken.get(token);
  }
}
