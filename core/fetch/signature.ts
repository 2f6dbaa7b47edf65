// Whether and how an image's detached signature is checked while its bytes stream into the store.
// The verifier sees the bytes as served; the signer's key must be trusted for the image's name,
// which is known only once the manifest has been read, hence finish(imageName).

export interface Verifier {
  push(chunk: Uint8Array): void;
  /** resolves when the signature is good and its key trusted for `imageName`; throws otherwise */
  finish(imageName: string): Promise<void>;
}

export interface SignatureCheck {
  /** a fresh verifier, or undefined when verification is off (--insecure-options=image) */
  start(): Promise<Verifier | undefined>;
}
