// The image store: rkt's CAS layout under <dir>/cas (layout.md §1). One streaming pass per import —
// decompress → sha512 + temp blob (import-pass.ts: on a worker thread for big images) + tar parse
// (layout checks, manifest) + extraction into a temp tree — then, under the image's key lock, renames
// into place and writes the index row last, so a killed import leaves nothing visible (its temp area
// is swept by the next import).
import type { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "../../ffi/sync-fs.ts";
import { dirname, join } from "../posix-path.ts";
import type { TarHeader, TarSink } from "../aci/tar.ts";
import { NotFoundError, RktError } from "../errors.ts";
import { lock } from "../lock.ts";
import { dataPaths, type DataPaths } from "../paths.ts";
import { parseImageManifest, type ImageManifest } from "../schema/image-manifest.ts";
import { openIndex, type AciInfoRow, type RemoteRow } from "./db.ts";
import type { PassResult } from "./import-pass.ts";
import { keyOfDigest, keyPrefix } from "./keys.ts";
import { checkOSArch } from "./os-arch.ts";
import { createTmpArea, sweepTmp } from "./tmp.ts";
import { treeStoreID, type RenderPlan } from "./tree.ts";

export interface ImageInfo {
  key: string;
  name: string;
  importTime: Date;
  lastUsed: Date;
  latest: boolean;
  size: number;
  treeStoreSize: number;
}

/** What an http(s)/docker fetch records about where an image came from (layout.md §1). */
export interface RemoteInfo {
  url: string;
  sigUrl?: string;
  etag?: string;
  maxAge?: number;
  latest?: boolean;
}

export interface ImportOptions {
  remote?: RemoteInfo;
  /** sees every raw input chunk (the bytes as served, before decompression): signature checks */
  tap?: (chunk: Uint8Array) => void;
  /** runs after the whole input was read and before anything is committed; throwing aborts */
  beforeCommit?: (manifest: ImageManifest) => Promise<void>;
  /** largest uncompressed image accepted (bytes) */
  maxSize?: number;
}

export interface ImportResult {
  key: string;
  manifest: ImageManifest;
  /** false when the store had this image already */
  imported: boolean;
}

/** How stale an image's recorded last use may be (see markUsed). */
const LASTUSED_PRECISION_MS = 60_000;

/** Largest uncompressed image accepted: a bound against decompression bombs ($RKT_MAX_IMAGE_SIZE). */
const DEFAULT_MAX_SIZE = Number(process.env.RKT_MAX_IMAGE_SIZE) || 64 * 2 ** 30;

function infoOf(r: AciInfoRow): ImageInfo {
  return {
    key: r.blobkey,
    name: r.name,
    importTime: new Date(r.importtime),
    lastUsed: new Date(r.lastused),
    latest: r.latest === 1,
    size: r.size,
    treeStoreSize: r.treestoresize,
  };
}

async function* tapped(src: AsyncIterable<Uint8Array>, tap?: (c: Uint8Array) => void): AsyncIterable<Uint8Array> {
  for await (const c of src) {
    tap?.(c);
    yield c;
  }
}

/** Counts the bytes of regular files it passes on: the rendered tree's size. */
function counting(inner: TarSink): TarSink & { bytes: number } {
  return {
    bytes: 0,
    entry(h: TarHeader) {
      if (h.type === "file") this.bytes += h.size;
      inner.entry(h);
    },
    data: (c) => inner.data(c),
    end: () => inner.end(),
    finish: () => inner.finish?.(),
  };
}

export class ImageStore implements Disposable {
  readonly paths: DataPaths;
  readonly db: Database;

  private constructor(dir: string) {
    this.paths = dataPaths(dir);
    const layout = [this.paths.blobs, this.paths.manifests, this.paths.casTmp, this.paths.trees, this.paths.imageLocks, this.paths.treeLocks];
    // made in this order, so the last one says the store has them all: one stat for the usual open
    // instead of six mkdir calls (each store open is on `rkt run`'s path)
    if (!existsSync(layout.at(-1)!)) for (const d of layout) mkdirSync(d, { recursive: true });
    this.db = openIndex(this.paths.db);
  }

  /** Opens the store of data directory `dir`, creating its layout when needed. */
  static open(dir: string): ImageStore {
    return new ImageStore(dir);
  }

  close(): void {
    this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  blobPath(key: string): string {
    return join(this.paths.blobs, key.slice(7, 9), key);
  }

  manifestPath(key: string): string {
    return join(this.paths.manifests, key.slice(7, 9), key);
  }

  /** Every image, in import order. */
  list(): ImageInfo[] {
    return (this.db.query("SELECT * FROM aciinfo ORDER BY importtime").all() as AciInfoRow[]).map(infoOf);
  }

  /** The key of an image given by ID or unambiguous ID prefix (≥ sha512-XX). */
  resolveKey(id: string): string {
    const prefix = keyPrefix(id);
    const rows = this.db.query("SELECT blobkey FROM aciinfo WHERE blobkey >= ?1 AND blobkey < ?1 || 'g' LIMIT 2").all(prefix) as { blobkey: string }[];
    if (rows.length === 0) throw new NotFoundError(`no image with ID "${id}" in the store`);
    if (rows.length > 1) throw new NotFoundError(`ambiguous image ID "${id}": give more digits`);
    return rows[0]!.blobkey;
  }

  info(key: string): ImageInfo {
    const row = this.db.query("SELECT * FROM aciinfo WHERE blobkey = ?").get(key) as AciInfoRow | null;
    if (!row) throw new NotFoundError(`no image with ID "${key}" in the store`);
    return infoOf(row);
  }

  /** The raw manifest bytes as the image carried them. */
  manifestBytes(key: string): Buffer {
    try {
      return readFileSync(this.manifestPath(key));
    } catch (e) {
      throw new NotFoundError(`no image with ID "${key}" in the store`, { cause: e });
    }
  }

  manifest(key: string): ImageManifest {
    return parseImageManifest(this.manifestBytes(key));
  }

  /**
   * The image with this name whose labels match all of `labels`. Without a version label, rows marked
   * latest win, then the newest import (rkt's GetACI).
   */
  findByName(name: string, labels: Record<string, string> = {}): ImageInfo | undefined {
    return this.findAllByName(name, labels)[0];
  }

  /** Every image with this name whose labels match all of `labels`, in findByName's preference order. */
  findAllByName(name: string, labels: Record<string, string> = {}): ImageInfo[] {
    const rows = (this.db.query("SELECT * FROM aciinfo WHERE name = ? ORDER BY latest DESC, importtime DESC").all(name) as AciInfoRow[]).map(infoOf);
    const wanted = Object.entries(labels);
    return rows.filter((info) => {
      const have = new Map((this.manifest(info.key).labels ?? []).map((l) => [l.name, l.value]));
      return wanted.every(([k, v]) => have.get(k) === v);
    });
  }

  getRemote(url: string): RemoteRow | undefined {
    return (this.db.query("SELECT * FROM remote WHERE aciurl = ?").get(url) as RemoteRow | null) ?? undefined;
  }

  setRemote(r: RemoteRow): void {
    this.db
      .query("INSERT OR REPLACE INTO remote (aciurl, sigurl, etag, blobkey, cachemaxage, downloadtime) VALUES (?, ?, ?, ?, ?, ?)")
      .run(r.aciurl, r.sigurl, r.etag, r.blobkey, r.cachemaxage, r.downloadtime);
  }

  /**
   * Records that image `key` is used now, unless that was recorded less than a minute ago (as
   * relatime spares atime writes): each write costs `rkt run` ~3 ms of fsyncs (the WAL's new
   * header, then the checkpoint at close), a tenth of the whole command.
   */
  markUsed(key: string): void {
    const now = Date.now();
    this.db.query("UPDATE aciinfo SET lastused = ? WHERE blobkey = ? AND lastused < ?").run(now, key, now - LASTUSED_PRECISION_MS);
  }

  /** Imports an ACI (any supported compression) from a byte stream; see the module comment. */
  async importAci(src: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportResult> {
    sweepTmp(this.paths.casTmp);
    using tmp = createTmpArea(this.paths.casTmp);
    const maxSize = opts.maxSize ?? DEFAULT_MAX_SIZE;
    // the tar side loads only here: reading the store (`rkt run` of a stored image) never needs it
    const [{ TarParser }, { AciLayoutSink }, { SafeExtractor }] = await Promise.all([import("../aci/tar.ts"), import("../aci/layout.ts"), import("../aci/extract.ts")]);

    // The tree is extracted in the same pass when the manifest comes first and names no dependencies
    // (the common case); otherwise it is rendered from the blob(s) afterwards.
    let manifestChunks: Uint8Array[] | undefined;
    let manifestBytes: Uint8Array | undefined;
    let tree: (TarSink & { bytes: number }) | undefined;
    let decided = false;
    const rootfs: TarSink = {
      entry(h) {
        if (!decided) {
          decided = true;
          if (manifestBytes && !needsLayeredRender(manifestBytes)) {
            mkdirSync(tmp.tree);
            tree = counting(new SafeExtractor(join(tmp.tree, "rootfs")));
          }
        }
        tree?.entry(h);
      },
      data: (c) => tree?.data(c),
      end: () => tree?.end(),
      finish: () => tree?.finish?.(),
    };
    const layout = new AciLayoutSink(rootfs);
    const parser = new TarParser({
      entry(h) {
        manifestChunks = h.name === "manifest" && h.type === "file" ? [] : undefined;
        layout.entry(h);
      },
      data(c) {
        manifestChunks?.push(c.slice());
        layout.data(c);
      },
      end() {
        if (manifestChunks) manifestBytes = Buffer.concat(manifestChunks);
        manifestChunks = undefined;
        layout.end();
      },
      finish: () => layout.finish(),
    });

    // imported here: node:zlib and the streams under it take ~4 ms to load, which commands that only
    // read the store (`rkt run` of a stored image) should not pay
    const { importPass } = await import("./import-pass.ts");
    const fd = openSync(tmp.blob, "wx", 0o640);
    let pass: PassResult;
    try {
      pass = await importPass(tapped(src, opts.tap), { fd, maxOutput: maxSize }, (chunk) => parser.push(chunk));
      parser.finish();
    } finally {
      closeSync(fd);
    }
    const raw = layout.manifest();
    const manifest = parseImageManifest(raw);
    checkOSArch(manifest);
    await opts.beforeCommit?.(manifest);
    const key = keyOfDigest(pass.digest);
    const imported = await this.commit(key, manifest, raw, pass.size, tmp, tree, opts.remote);
    return { key, manifest, imported };
  }

  private async commit(
    key: string,
    manifest: ImageManifest,
    raw: Uint8Array,
    size: number,
    tmp: { blob: string; tree: string },
    tree: { bytes: number } | undefined,
    remote: RemoteInfo | undefined,
  ): Promise<boolean> {
    using _ = await lock(join(this.paths.imageLocks, key), { create: true });
    const now = Date.now();
    const have = this.db.query("SELECT blobkey FROM aciinfo WHERE blobkey = ?").get(key) !== null && existsSync(this.blobPath(key));
    if (!have) {
      mkdirSync(dirname(this.blobPath(key)), { recursive: true });
      mkdirSync(dirname(this.manifestPath(key)), { recursive: true });
      writeFileSync(`${tmp.blob}.manifest`, raw);
      renameSync(`${tmp.blob}.manifest`, this.manifestPath(key));
      renameSync(tmp.blob, this.blobPath(key));
      let treeSize = 0;
      if (tree) treeSize = await this.adoptTree([key], join(tmp.tree, "rootfs"), tree.bytes);
      this.db
        .query("INSERT OR REPLACE INTO aciinfo (blobkey, name, importtime, lastused, latest, size, treestoresize) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(key, manifest.name, now, now, remote?.latest ? 1 : 0, size, treeSize);
    } else if (remote?.latest) {
      this.db.query("UPDATE aciinfo SET latest = 1 WHERE blobkey = ?").run(key);
    }
    if (remote) {
      this.setRemote({
        aciurl: remote.url,
        sigurl: remote.sigUrl ?? "",
        etag: remote.etag ?? "",
        blobkey: key,
        cachemaxage: remote.maxAge ?? 0,
        downloadtime: now,
      });
    }
    return !have;
  }

  /** Moves a rendered rootfs into the tree store for `chain` unless one is there already. */
  private async adoptTree(chain: string[], rootfs: string, bytes: number): Promise<number> {
    const id = treeStoreID(chain);
    const dir = join(this.paths.trees, id);
    using _ = await lock(join(this.paths.treeLocks, id), { create: true });
    if (existsSync(join(dir, "rendered"))) return bytes;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    renameSync(rootfs, join(dir, "rootfs"));
    writeFileSync(join(dir, "image"), chain[chain.length - 1]!);
    const flag = join(dir, "rendered");
    writeFileSync(flag, "");
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  /** The image's dependency chain, depth first in manifest order, the image itself last (appc §5). */
  dependencyChain(key: string, seen: string[] = []): string[] {
    if (seen.includes(key)) throw new RktError(`cannot render image "${key}": dependency cycle`);
    const m = this.manifest(key);
    const chain: string[] = [];
    for (const dep of m.dependencies ?? []) {
      const depKey = dep.imageID
        ? this.resolveKey(dep.imageID)
        : this.findByName(dep.imageName, Object.fromEntries((dep.labels ?? []).map((l) => [l.name, l.value])))?.key;
      if (!depKey) throw new NotFoundError(`cannot render image "${m.name}": dependency "${dep.imageName}" is not in the store`);
      chain.push(...this.dependencyChain(depKey, [...seen, key]), depKey);
    }
    return chain.length === 0 ? [key] : [...chain, key];
  }

  /** The rendered tree of an image (with its dependencies); renders it when missing. */
  async renderTree(key: string): Promise<{ treeStoreID: string; rootfs: string }> {
    const chain = this.dependencyChain(key);
    const id = treeStoreID(chain);
    const dir = join(this.paths.trees, id);
    if (!existsSync(join(dir, "rendered"))) {
      sweepTmp(this.paths.casTmp);
      using tmp = createTmpArea(this.paths.casTmp);
      const plan: RenderPlan = { layers: chain.map((k) => ({ blob: this.blobPath(k), manifest: this.manifest(k) })) };
      const { renderChain } = await import("./render.ts");
      const bytes = renderChain(plan, join(tmp.tree, "rootfs"));
      await this.adoptTree(chain, join(tmp.tree, "rootfs"), bytes);
      this.db.query("UPDATE aciinfo SET treestoresize = ? WHERE blobkey = ?").run(bytes, key);
    }
    return { treeStoreID: id, rootfs: join(dir, "rootfs") };
  }

  /** Removes one tree store (its lock held while deleting). */
  async removeTree(id: string): Promise<void> {
    using _ = await lock(join(this.paths.treeLocks, id), { create: true });
    const dir = join(this.paths.trees, id);
    const image = this.treeImage(id);
    if (image) this.db.query("UPDATE aciinfo SET treestoresize = 0 WHERE blobkey = ?").run(image);
    rmSync(join(dir, "rendered"), { force: true });
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(this.paths.treeLocks, id), { force: true });
  }

  /** Tree store IDs on disk. */
  treeIDs(): string[] {
    return existsSync(this.paths.trees) ? readdirSync(this.paths.trees) : [];
  }

  /** The image key a tree was rendered for. */
  treeImage(id: string): string | undefined {
    try {
      return readFileSync(join(this.paths.trees, id, "image"), "utf8");
    } catch {
      return undefined;
    }
  }

  /** Removes an image: index rows first (so it vanishes from lookups), then manifest and blob. */
  async removeImage(key: string): Promise<void> {
    using _ = await lock(join(this.paths.imageLocks, key), { create: true });
    this.db.transaction(() => {
      this.db.query("DELETE FROM aciinfo WHERE blobkey = ?").run(key);
      this.db.query("DELETE FROM remote WHERE blobkey = ?").run(key);
    })();
    rmSync(this.manifestPath(key), { force: true });
    rmSync(this.blobPath(key), { force: true });
  }

  /** Size of a blob on disk (0 when missing). */
  blobSize(key: string): number {
    try {
      return statSync(this.blobPath(key)).size;
    } catch {
      return 0;
    }
  }
}

/** Whether the tree needs more than this image's own rootfs (dependencies or a path whitelist). */
function needsLayeredRender(raw: Uint8Array): boolean {
  try {
    const m = JSON.parse(Buffer.from(raw).toString("utf8"));
    return Array.isArray(m?.dependencies) && m.dependencies.length > 0 || Array.isArray(m?.pathWhitelist) && m.pathWhitelist.length > 0;
  } catch {
    return false;
  }
}
