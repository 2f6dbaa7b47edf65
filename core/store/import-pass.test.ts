import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decompress } from "../aci/compression.ts";
import { tarBytes, type TarEntry } from "../aci/tar.ts";
import { RktError, VerificationError } from "../errors.ts";
import { requires } from "../../test/helpers/requires.ts";
import { WORKER_MIN_INPUT } from "./import-pass.ts";
import { keyOfDigest } from "./keys.ts";
import { ImageStore, type ImportOptions } from "./store.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const sha512 = (b: Uint8Array) => new Bun.CryptoHasher("sha512").update(b).digest("hex");
const MANIFEST: TarEntry = {
  name: "manifest",
  type: "file",
  data: enc(JSON.stringify({ acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/pass", labels: [{ name: "os", value: "linux" }, { name: "arch", value: "amd64" }] })),
};

/** Incompressible bytes, so the gzip is about as big as the tar. */
function noise(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

async function* pieces(b: Uint8Array, step = 512 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += step) yield b.subarray(i, i + step);
}

/** Threads of this process named as Bun names a Worker's. */
function workerThreads(): number {
  return readdirSync("/proc/self/task").filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim() === "Worker";
    } catch {
      return false; // the thread ended while we looked
    }
  }).length;
}

let work: string;
let bigNoise: Uint8Array;
let bigTar: Uint8Array;
let bigGz: Uint8Array;
let smallTar: Uint8Array;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "import-pass-"));
  bigNoise = noise(20 << 20);
  bigTar = tarBytes([
    MANIFEST,
    { name: "rootfs", type: "directory" },
    { name: "rootfs/noise", type: "file", data: bigNoise },
    { name: "rootfs/etc/motd", type: "file", data: enc("hi\n") },
  ]);
  bigGz = gzipSync(bigTar, { level: 1 });
  smallTar = tarBytes([MANIFEST, { name: "rootfs", type: "directory" }, { name: "rootfs/etc/motd", type: "file", data: enc("hi\n") }]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Imports `bytes` into a fresh store; says whether a worker thread was seen meanwhile. */
async function importInto(bytes: Uint8Array, opts: ImportOptions = {}, src: AsyncIterable<Uint8Array> = pieces(bytes)) {
  const dir = mkdtempSync(join(work, "store-"));
  const store = ImageStore.open(dir);
  let sawWorker = false;
  const probe = setInterval(() => (sawWorker ||= workerThreads() > 0), 1);
  try {
    const result = await store.importAci(src, opts).finally(() => clearInterval(probe));
    return { store, dir, result, sawWorker };
  } catch (err) {
    store.close();
    throw Object.assign(err as Error, { dir, sawWorker });
  }
}

/** Nothing of a failed import may stay: no temp area, blob, tree or index row. */
function expectNothingStored(dir: string): void {
  using store = ImageStore.open(dir);
  expect(readdirSync(join(dir, "cas/tmp"))).toEqual([]);
  expect(existsSync(join(dir, "cas/blob/sha512")) ? readdirSync(join(dir, "cas/blob/sha512")) : []).toEqual([]);
  expect(readdirSync(join(dir, "cas/tree"))).toEqual([]);
  expect(store.list()).toEqual([]);
}

/** The error a worker-thread import fails with, after checking that it stored nothing and left no worker running. */
async function failure(bytes: Uint8Array, opts: ImportOptions = {}, src?: AsyncIterable<Uint8Array>): Promise<Error> {
  const err = await importInto(bytes, opts, src).then(
    () => undefined,
    (e: Error & { dir: string; sawWorker: boolean }) => e,
  );
  if (!err) throw new Error("the import did not fail");
  expect(err.sawWorker).toBe(true);
  expectNothingStored(err.dir);
  expect(workerThreads()).toBe(0);
  return err;
}

/** What decompress() alone makes of `bytes`: the error a single-thread import reports. */
async function decompressError(bytes: Uint8Array, maxOutput?: number): Promise<Error> {
  try {
    for await (const _ of decompress(pieces(bytes), { maxOutput })) {
      // drain
    }
  } catch (e) {
    return e as Error;
  }
  throw new Error("decompress did not fail");
}

describe("the import pass", () => {
  test("a big image goes through a worker thread: same key, blob and tree as the bytes say", async () => {
    expect(bigGz.length).toBeGreaterThan(WORKER_MIN_INPUT);
    const tapped = new Bun.CryptoHasher("sha512");
    const { store, result, sawWorker } = await importInto(bigGz, { tap: (c) => tapped.update(c) });
    using _ = store;
    expect(sawWorker).toBe(true);
    expect(workerThreads()).toBe(0);
    expect(result.key).toBe(keyOfDigest(sha512(bigTar)));
    expect(result.manifest.name).toBe("example.com/pass");
    // every raw byte reached the tap (signature checks), in order
    expect(tapped.digest("hex")).toBe(sha512(bigGz));
    expect(sha512(readFileSync(store.blobPath(result.key)))).toBe(sha512(bigTar));
    const { rootfs } = await store.renderTree(result.key);
    expect(readFileSync(join(rootfs, "etc/motd"), "utf8")).toBe("hi\n");
    expect(sha512(readFileSync(join(rootfs, "noise")))).toBe(sha512(bigNoise));
    expect(store.info(result.key).size).toBe(bigTar.length);
  });

  test("a small image stays on the calling thread", async () => {
    const gz = gzipSync(smallTar);
    expect(gz.length).toBeLessThan(WORKER_MIN_INPUT);
    const { store, result, sawWorker } = await importInto(gz);
    using _ = store;
    expect(sawWorker).toBe(false);
    expect(result.key).toBe(keyOfDigest(sha512(smallTar)));
    expect(readFileSync(join((await store.renderTree(result.key)).rootfs, "etc/motd"), "utf8")).toBe("hi\n");
  });

  test("an uncompressed big image also goes through the worker", async () => {
    const { store, result, sawWorker } = await importInto(bigTar);
    using _ = store;
    expect(sawWorker).toBe(true);
    expect(result.key).toBe(keyOfDigest(sha512(bigTar)));
  });
});

describe.skipIf(!!requires("xz"))("the import pass with a system decompressor", () => {
  test("an xz image: the worker thread runs the xz tool", async () => {
    const tar = tarBytes([MANIFEST, { name: "rootfs", type: "directory" }, { name: "rootfs/noise", type: "file", data: bigNoise.subarray(0, 6 << 20) }]);
    const packed = Bun.spawnSync(["xz", "-0", "-T1", "-c"], { stdin: tar }).stdout;
    expect(packed.length).toBeGreaterThan(WORKER_MIN_INPUT);
    const { store, result, sawWorker } = await importInto(packed);
    using _ = store;
    expect(sawWorker).toBe(true);
    expect(result.key).toBe(keyOfDigest(sha512(tar)));
  });
});

describe("failures on the worker thread: the same errors as on one thread, nothing stored", () => {
  test("corrupt gzip", async () => {
    const corrupt = new Uint8Array(bigGz); // a copy (a Buffer's slice() is a view)
    corrupt.fill(0x55, 12 << 20, (12 << 20) + 4096);
    const err = await failure(corrupt);
    expect(err).toBeInstanceOf(RktError);
    expect(err.message).toMatch(/^cannot decompress gzip image: /);
    expect(err.message).toBe((await decompressError(corrupt)).message);
  });

  test("a truncated stream", async () => {
    const cut = bigGz.subarray(0, 14 << 20);
    const err = await failure(cut);
    expect(err).toBeInstanceOf(RktError);
    expect(err.message).toBe("cannot decompress gzip image: unexpected end of data");
  });

  test("the decompression bomb guard", async () => {
    const err = await failure(bigGz, { maxSize: 8 << 20 });
    expect(err).toBeInstanceOf(RktError);
    expect(err.message).toBe(`cannot decompress gzip image: output exceeds the limit of ${8 << 20} bytes`);
    expect(err.message).toBe((await decompressError(bigGz, 8 << 20)).message);
  });

  test("the source failing mid-stream (a dropped connection) ends the import with its error", async () => {
    const dropped = new Error("connection reset");
    async function* drop(): AsyncIterable<Uint8Array> {
      yield* pieces(bigGz.subarray(0, 10 << 20));
      throw dropped;
    }
    expect(await failure(bigGz, {}, drop())).toBe(dropped);
  });

  test("an archive the main thread refuses after the worker started", async () => {
    const bad = gzipSync(tarBytes([MANIFEST, { name: "rootfs", type: "directory" }, { name: "rootfs/noise", type: "file", data: noise(10 << 20) }, { name: "other", type: "file", data: enc("x") }]), { level: 1 });
    const err = await failure(bad);
    expect(err).toBeInstanceOf(VerificationError);
    expect(err.message).toContain('unrecognized file path in layout: "other"');
  });

  test("a failed blob write surfaces with the system error's code", async () => {
    // RLIMIT_FSIZE is per process: a child imports into a store with a 4 MiB file size limit
    const file = join(work, "big.aci");
    writeFileSync(file, bigGz);
    const dir = mkdtempSync(join(work, "store-"));
    const script = `import { ImageStore } from ${JSON.stringify(join(import.meta.dir, "store.ts"))};
      (await import(${JSON.stringify(join(import.meta.dir, "../log.ts"))})).setDebug(true);
      try { await ImageStore.open(${JSON.stringify(dir)}).importAci(Bun.file(${JSON.stringify(file)}).stream()); console.log("imported"); }
      catch (e) { console.log(e.code, e.message); }`;
    const p = Bun.spawnSync(["sh", "-c", `ulimit -f 8192 && trap '' XFSZ && exec "$0" -e "$1"`, process.execPath, script], { stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toContain("on a worker thread");
    expect(p.stdout.toString()).toMatch(/^EFBIG .*file too large/i);
    expectNothingStored(dir);
  });
});
