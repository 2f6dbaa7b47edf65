// The Docker layer cache, beyond rkt (which downloaded every layer of every image again): layers
// kept uncompressed under `<data>/cas/docker-layers/sha256/<diff ID hex>`, named by the sha256 of
// their uncompressed tar (the image config's diff ID), so images sharing a base layer fetch and
// decompress it once, whatever compression each registry used. A layer gets its name only after its
// bytes were checked against its diff ID and fsynced; the fsync (measured: a third of a cold
// conversion) runs while the conversion already reads the layer under its temp name.
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsync, mkdirSync, openSync, readdirSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { link, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { decompress } from "../aci/compression.ts";
import { VerificationError } from "../errors.ts";
import { warn } from "../log.ts";
import { sha256Hex } from "./digest.ts";

const TMP_PREFIX = ".tmp-";

/** Whether a process with this PID exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** Where the cache lives inside a data directory. */
export function layerCacheDir(dataDir: string): string {
  return join(dataDir, "cas", "docker-layers", "sha256");
}

export class LayerCache {
  readonly dir: string;
  /** layers being written by this process, so one image naming a layer twice fetches it once */
  private inflight = new Map<string, Promise<string>>();
  /** temp files being made durable and named, by temp path */
  private committing = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.dir = layerCacheDir(dataDir);
    this.sweep();
  }

  /** Removes temp files left by processes that died before naming them. */
  private sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(name.slice(TMP_PREFIX.length).split("-")[0]);
      if (name.startsWith(TMP_PREFIX) && pid !== process.pid && !alive(pid)) rmSync(join(this.dir, name), { force: true });
    }
  }

  /** Removes cached layers no image has used since `cutoff` (ms since epoch); returns their names. */
  prune(cutoff: number): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      if (name.startsWith(TMP_PREFIX)) continue;
      const file = join(this.dir, name);
      if (statSync(file).mtimeMs < cutoff) {
        rmSync(file, { force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  /** The file of a layer, whether or not it is there yet. */
  path(diffId: string): string {
    return join(this.dir, sha256Hex(diffId));
  }

  has(diffId: string): boolean {
    return existsSync(this.path(diffId));
  }

  /**
   * A path to read the uncompressed layer `diffId` from until settle(); when it is not cached,
   * reads `fetch()` (the layer as stored or served: gzip, zstd, bzip2, xz or plain tar), decompresses
   * and checks it, and starts committing it to the cache.
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

  /** Waits until every layer this cache wrote is durable under its name; removes the temp names. */
  async settle(): Promise<void> {
    await Promise.all(this.inflight.values()).catch(() => {});
    for (const [tmp, commit] of this.committing) {
      await commit.catch((err) => warn(`cannot keep a docker layer in the cache: ${(err as Error).message}`));
      await rm(tmp, { force: true });
    }
    this.committing.clear();
  }

  private async write(diffId: string, file: string, fetch: () => AsyncIterable<Uint8Array>): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}-${randomUUID()}`);
    const fd = openSync(tmp, "wx", 0o640);
    try {
      const hasher = new Bun.CryptoHasher("sha256");
      let size = 0;
      for await (const chunk of decompress(fetch(), { zstd: true })) {
        hasher.update(chunk);
        size += chunk.length;
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      }
      const actual = `sha256:${hasher.digest("hex")}`;
      if (actual !== diffId) {
        throw new VerificationError(`cannot verify layer "${diffId}": its uncompressed content has digest ${actual} (${size} bytes)`);
      }
    } catch (err) {
      closeSync(fd);
      await rm(tmp, { force: true });
      throw err;
    }
    const commit = (async () => {
      try {
        await promisify(fsync)(fd);
      } finally {
        closeSync(fd);
      }
      // link, not rename: the conversion may still be reading the temp name
      await link(tmp, file).catch((e) => {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      });
    })();
    commit.catch(() => {}); // reported by settle(), not as an unhandled rejection
    this.committing.set(tmp, commit);
    return tmp;
  }
}
