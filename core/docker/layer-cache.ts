// The Docker layer cache, beyond rkt (which downloaded every layer of every image again): layers
// kept uncompressed under `<data>/cas/docker-layers/sha256/<diff ID hex>`, named by the sha256 of
// their uncompressed tar (the image config's diff ID), so images sharing a base layer fetch and
// decompress it once, whatever compression each registry used. A layer becomes visible only after
// its bytes were checked against its diff ID, written and fsynced (temp name, then rename).
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, utimesSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { decompress } from "../aci/compression.ts";
import { VerificationError } from "../errors.ts";
import { sha256Hex } from "./digest.ts";

/** Where the cache lives inside a data directory. */
export function layerCacheDir(dataDir: string): string {
  return join(dataDir, "cas", "docker-layers", "sha256");
}

export class LayerCache {
  readonly dir: string;
  /** layers being written by this process, so one image naming a layer twice fetches it once */
  private inflight = new Map<string, Promise<string>>();

  constructor(dataDir: string) {
    this.dir = layerCacheDir(dataDir);
  }

  /** The file of a layer, whether or not it is there yet. */
  path(diffId: string): string {
    return join(this.dir, sha256Hex(diffId));
  }

  has(diffId: string): boolean {
    return existsSync(this.path(diffId));
  }

  /**
   * The path of the uncompressed layer `diffId`; when it is not cached, reads `fetch()` (the layer
   * as stored or served: gzip, bzip2, xz or plain tar), decompresses and checks it, and caches it.
   */
  ensure(diffId: string, fetch: () => AsyncIterable<Uint8Array>): Promise<string> {
    const file = this.path(diffId);
    if (existsSync(file)) {
      // Its mtime says when an image last used it, for whoever prunes the cache.
      const now = new Date();
      utimesSync(file, now, now);
      return Promise.resolve(file);
    }
    let p = this.inflight.get(file);
    if (!p) {
      p = this.write(diffId, file, fetch).finally(() => this.inflight.delete(file));
      this.inflight.set(file, p);
    }
    return p;
  }

  private async write(diffId: string, file: string, fetch: () => AsyncIterable<Uint8Array>): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${process.pid}-${randomUUID()}`);
    const fh = await open(tmp, "wx", 0o640);
    try {
      const hasher = new Bun.CryptoHasher("sha256");
      let size = 0;
      for await (const chunk of decompress(fetch())) {
        hasher.update(chunk);
        size += chunk.length;
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
      }
      const actual = `sha256:${hasher.digest("hex")}`;
      if (actual !== diffId) {
        throw new VerificationError(`cannot verify layer "${diffId}": its uncompressed content has digest ${actual} (${size} bytes)`);
      }
      await fh.sync();
      await fh.close();
      await rename(tmp, file);
      return file;
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
