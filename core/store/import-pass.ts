// The byte half of an image import (store.ts importAci): decompress → sha512 → temp blob, each
// uncompressed chunk then handed on to the tar parser and tree extraction. For a big image this half
// runs on a Worker thread (import-worker.ts) while the main thread extracts, so a fetch uses two
// cores as `curl | gzip -dc | sha512sum` does (issue #4); small images stay on the calling thread.
import { fsyncSync, writeSync } from "node:fs";
import { decompress, readAhead } from "../aci/compression.ts";
import { RktError } from "../errors.ts";
import { diag } from "../log.ts";

/** What the pass learnt about the uncompressed image. */
export interface PassResult {
  /** sha512 of the uncompressed bytes, hex */
  digest: string;
  size: number;
}

/** Where the byte half of an import writes, and how much it accepts. */
export interface PassOptions {
  /** the temp blob, open for writing; the pass writes and fsyncs it, the caller closes it */
  fd: number;
  /** largest uncompressed size accepted (a decompression bomb guard) */
  maxOutput: number;
}

/**
 * Input (bytes as read, compressed) from which the pass runs on a worker thread. Measured with
 * dist/rkt into a tmpfs store, where extraction is cheapest, so the overlap a worker buys smallest: medians
 * of 15 paired fetches of gzip images of /usr files, single thread / worker: 2 MiB 75 / 79 ms, 4 MiB
 * 107 / 108 ms, 8 MiB 177 / 163 ms, 16 MiB 308 / 275 ms, 124 MiB 1.85 / 1.45 s. The worker starts in
 * 3.5-6 ms (new Worker to its first message), then runs in a fresh VM whose code is still cold.
 * The input is read ahead this far instead of sized by the caller: Docker conversions and chunked
 * responses have no length.
 */
export const WORKER_MIN_INPUT = 4 * 2 ** 20;
/** Input bytes posted to the worker and not yet taken by its decompressor. */
const INPUT_WINDOW = 2 * 2 ** 20;
/** Uncompressed bytes posted back by the worker and not yet acknowledged by the main thread. */
export const OUTPUT_WINDOW = 8 * 2 ** 20;
/** Parsed bytes acknowledged at once: fewer messages, and below OUTPUT_WINDOW so none is awaited forever. */
const ACK_BATCH = 2 ** 20;

/*
 * The protocol between importPass() and import-worker.ts. Both directions are bounded by credits,
 * so about INPUT_WINDOW + OUTPUT_WINDOW bytes at most (a chunk more each) are in flight, whatever
 * the size of the image:
 *
 *   main thread                                     worker
 *   start {fd, maxOutput}        ───────────────▶
 *   input {chunk} (a copy)       ───────────────▶   queued (main stops at INPUT_WINDOW unconsumed)
 *                                ◀───────────────   consumed {bytes}      decompressor took a chunk
 *                                ◀───────────────   output {chunk}        hashed, written (transferred)
 *   parse + extract; ack {bytes} ───────────────▶                         (worker stops at OUTPUT_WINDOW unacked)
 *   end                          ───────────────▶   fsync
 *                                ◀───────────────   done {digest, size} | error {error}
 *
 * The main thread terminates the worker in every case and closes the blob only once it has exited.
 */
export type ToWorker =
  | { type: "start"; fd: number; maxOutput: number }
  | { type: "input"; chunk: Uint8Array }
  | { type: "end" }
  | { type: "ack"; bytes: number };

export type FromWorker =
  | { type: "consumed"; bytes: number }
  | { type: "output"; chunk: Uint8Array }
  | { type: "done"; result: PassResult }
  | { type: "error"; error: WireError };

/** An error as it crosses threads: structured cloning keeps neither its class nor its fields. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  cause?: WireError;
}

/** `err` as plain data for postMessage. */
export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const { code, errno, syscall, path } = err as Partial<WireError>;
  return { name: err.name, message: err.message, code, errno, syscall, path, cause: err.cause === undefined ? undefined : toWire(err.cause) };
}

/** The error toWire() described: an RktError again, or an Error with the system error's fields. */
function fromWire(w: WireError): Error {
  const cause = w.cause && fromWire(w.cause);
  if (w.name === "RktError") return new RktError(w.message, { cause });
  const err = new Error(w.message, { cause });
  err.name = w.name;
  for (const k of ["code", "errno", "syscall", "path"] as const) if (w[k] !== undefined) Object.assign(err, { [k]: w[k] });
  return err;
}

/**
 * Decompresses `input`, hashing the uncompressed bytes and writing them to `opts.fd`, and hands each
 * chunk to `emit` once it is written (awaiting what emit returns). The same loop on either thread.
 */
export async function decodeToBlob(
  input: AsyncIterable<Uint8Array>,
  opts: PassOptions,
  emit: (chunk: Uint8Array) => void | Promise<void>,
): Promise<PassResult> {
  const hasher = new Bun.CryptoHasher("sha512");
  let size = 0;
  for await (const chunk of decompress(input, { maxOutput: opts.maxOutput })) {
    size += chunk.length;
    hasher.update(chunk);
    for (let off = 0; off < chunk.length; ) off += writeSync(opts.fd, chunk, off);
    const wait = emit(chunk);
    if (wait) await wait;
  }
  fsyncSync(opts.fd);
  return { digest: hasher.digest("hex"), size };
}

/**
 * Runs the byte half of an import over `src`, calling `sink` with each uncompressed chunk in order
 * (synchronously; a throw aborts the pass with that error). Uses a worker thread for big inputs.
 */
export async function importPass(src: AsyncIterable<Uint8Array>, opts: PassOptions, sink: (chunk: Uint8Array) => void): Promise<PassResult> {
  const ahead = await readAhead(src, WORKER_MIN_INPUT);
  if (ahead.ended) return decodeToBlob(ahead.all, opts, sink);
  diag(`import: over ${WORKER_MIN_INPUT} bytes, decompressing and hashing on a worker thread`);
  return onWorker(ahead.all, opts, sink);
}

/** Where the worker's module is: in the executable an entry point of its own (release/build.ts). */
function workerURL(): string {
  // In the executable this module sits in a chunk at the bundle's root, and entry points keep their
  // paths from the project root; from source the worker is beside this file.
  return import.meta.url.startsWith("file:///$bunfs/") ? "./core/store/import-worker.ts" : new URL("./import-worker.ts", import.meta.url).href;
}

async function onWorker(input: AsyncIterable<Uint8Array>, opts: PassOptions, sink: (chunk: Uint8Array) => void): Promise<PassResult> {
  const worker = new Worker(workerURL());
  const exited = new Promise<void>((resolve) => worker.addEventListener("close", () => resolve()));
  const post = (m: ToWorker, transfer: Bun.Transferable[] = []) => worker.postMessage(m, transfer);
  const outcome = Promise.withResolvers<PassResult>();
  outcome.promise.catch(() => {}); // awaited below, once the input loop stopped
  let settled = false;
  let unconsumed = 0;
  let unacked = 0;
  let wake = () => {};
  const settle = (f: () => void) => {
    if (settled) return;
    settled = true;
    f();
    wake();
  };
  worker.onmessage = ({ data: m }: MessageEvent<FromWorker>) => {
    if (settled) return;
    switch (m.type) {
      case "consumed":
        unconsumed -= m.bytes;
        wake();
        break;
      case "output":
        try {
          sink(m.chunk);
        } catch (err) {
          settle(() => outcome.reject(err));
          return;
        }
        unacked += m.chunk.length;
        if (unacked >= ACK_BATCH) {
          post({ type: "ack", bytes: unacked });
          unacked = 0;
        }
        break;
      case "done":
        settle(() => outcome.resolve(m.result));
        break;
      case "error":
        settle(() => outcome.reject(fromWire(m.error)));
        break;
    }
  };
  worker.onerror = (e) => settle(() => outcome.reject(new RktError(`cannot import image: the import worker failed: ${e.message}`)));
  try {
    post({ type: "start", ...opts });
    try {
      for await (const chunk of input) {
        while (unconsumed > INPUT_WINDOW && !settled) await new Promise<void>((resolve) => (wake = resolve));
        if (settled) break;
        // A copy is transferred, as the source may still hold the chunk: measured 30-35 ms of main
        // thread per 125 MiB against 39-56 ms for structured cloning
        const copy = new Uint8Array(chunk);
        post({ type: "input", chunk: copy }, [copy.buffer]);
        unconsumed += chunk.length;
      }
      if (!settled) post({ type: "end" });
    } catch (err) {
      settle(() => outcome.reject(err));
    }
    return await outcome.promise;
  } finally {
    // The blob's fd is the caller's to close: not before the worker can no longer write to it.
    worker.terminate();
    await exited;
  }
}
