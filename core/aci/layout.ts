// The ACI layout check (appc spec/aci.md, aci/layout.go ValidateArchive) as a TarSink in the
// import pipeline: it keeps the manifest, refuses anything but `manifest` and `rootfs/…`, refuses
// duplicate names, and forwards the rootfs entries, renamed relative to the rootfs, to the next
// sink (the safe extractor). It does not parse the manifest: core/schema does.
import { VerificationError } from "../errors.ts";
import type { TarHeader, TarSink } from "./tar.ts";

export interface AciLayoutOptions {
  /** the largest manifest accepted, in bytes (default 1 MiB) */
  maxManifestSize?: number;
}

const DEFAULT_MAX_MANIFEST = 1 << 20;

/**
 * Lexically cleaned tar path, as Go's filepath.Clean: no "." or empty components, ".." applied,
 * no trailing slash; "." for the top. A leading "/" or ".." that cannot be applied stays.
 */
export function cleanPath(name: string): string {
  const abs = name.startsWith("/");
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  const s = out.join("/");
  return abs ? `/${s}` : s || ".";
}

/** Checks the ACI layout of a tar stream and passes the rootfs on, relative to the rootfs. */
export class AciLayoutSink implements TarSink {
  private seen = new Set<string>();
  private manifestParts: Uint8Array[] | undefined;
  private manifestBytes = 0;
  private hasRootfs = false;
  private where: "manifest" | "rootfs" | "skip" = "skip";
  private result?: Uint8Array;
  private readonly maxManifest: number;

  constructor(
    private readonly rootfs: TarSink,
    opts: AciLayoutOptions = {},
  ) {
    this.maxManifest = opts.maxManifestSize ?? DEFAULT_MAX_MANIFEST;
  }

  entry(h: TarHeader): void {
    const name = cleanPath(h.name);
    if (this.seen.has(name)) throw new VerificationError(`cannot read image archive: duplicate entry "${name}"`);
    this.seen.add(name);
    if (name === ".") {
      this.where = "skip";
      return;
    }
    if (name === "manifest") {
      if (h.type !== "file") throw new VerificationError(`cannot read image archive: manifest is a ${h.type}, expected a regular file`);
      if (h.size > this.maxManifest) {
        throw new VerificationError(`cannot read image archive: manifest is ${h.size} bytes, more than the limit of ${this.maxManifest}`);
      }
      this.manifestParts = [];
      this.where = "manifest";
      return;
    }
    if (name !== "rootfs" && !name.startsWith("rootfs/")) {
      throw new VerificationError(`cannot read image archive: unrecognized file path in layout: "${h.name}"`);
    }
    if (name === "rootfs") {
      if (h.type !== "directory") throw new VerificationError(`cannot read image archive: rootfs is a ${h.type}, expected a directory`);
      this.hasRootfs = true;
    }
    let linkname = h.linkname;
    if (h.type === "link") {
      const target = cleanPath(linkname);
      if (!target.startsWith("rootfs/")) {
        throw new VerificationError(`cannot read image archive: hardlink "${h.name}" points outside rootfs, to "${linkname}"`);
      }
      linkname = target.slice(7);
    }
    this.where = "rootfs";
    this.rootfs.entry({ ...h, name: name === "rootfs" ? "." : name.slice(7), linkname });
  }

  data(chunk: Uint8Array): void {
    if (this.where === "rootfs") this.rootfs.data(chunk);
    else if (this.where === "manifest") {
      // The chunk aliases the parser's input: copy.
      this.manifestParts!.push(chunk.slice());
      this.manifestBytes += chunk.length;
    }
  }

  end(): void {
    if (this.where === "rootfs") this.rootfs.end();
    else if (this.where === "manifest") {
      this.result = Buffer.concat(this.manifestParts!, this.manifestBytes);
      this.manifestParts = undefined;
    }
    this.where = "skip";
  }

  /** Throws when the manifest or the rootfs is missing; then finishes the rootfs sink. */
  finish(): void {
    if (!this.result) throw new VerificationError("cannot read image archive: no image manifest found");
    if (!this.hasRootfs) throw new VerificationError("cannot read image archive: no rootfs found");
    this.rootfs.finish?.();
  }

  /** The manifest's bytes; valid once the archive has been read (after finish). */
  manifest(): Uint8Array {
    if (!this.result) throw new VerificationError("cannot read image archive: no image manifest found");
    return this.result;
  }
}
