// The token stage0 gives a registered pod (rkt stage0/registration.go generateMDSToken): the path
// segment of AC_METADATA_URL by which the service knows the pod, so an app cannot read another pod's
// metadata. ace.md asks for at least 128 unguessable bits and not the pod UUID.

/** 16 random bytes in hex, as rkt's. */
export function newMdsToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}
