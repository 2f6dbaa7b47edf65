// The worker thread of a big image's import pass (protocol in import-pass.ts): decompresses the
// bytes the main thread posts, hashes them and writes them to the temp blob, and posts them back
// for tar parsing. An entry point of its own in the executable (release/build.ts); it never exits
// by itself, the main thread terminates it.
import { decodeToBlob, OUTPUT_WINDOW, toWire, type FromWorker, type ToWorker } from "./import-pass.ts";

declare var self: Worker;
const post = (m: FromWorker, transfer: Bun.Transferable[] = []) => self.postMessage(m, transfer);

const queue: Uint8Array[] = [];
let ended = false;
let unacked = 0;
let wakeInput = () => {};
let wakeOutput = () => {};

async function* input(): AsyncIterable<Uint8Array> {
  for (;;) {
    const chunk = queue.shift();
    if (chunk) {
      post({ type: "consumed", bytes: chunk.length });
      yield chunk;
    } else if (ended) {
      return;
    } else {
      await new Promise<void>((resolve) => (wakeInput = resolve));
    }
  }
}

/** Hands a written chunk to the main thread, waiting while too much of it is still unparsed there. */
async function emit(chunk: Uint8Array): Promise<void> {
  // zlib's chunks own their buffers (measured); a chunk that shares one is copied so nothing else detaches
  const whole = chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  const buffer = whole ? (chunk.buffer as ArrayBuffer) : new Uint8Array(chunk).buffer;
  unacked += chunk.length;
  post({ type: "output", chunk: new Uint8Array(buffer) }, [buffer]);
  while (unacked > OUTPUT_WINDOW) await new Promise<void>((resolve) => (wakeOutput = resolve));
}

async function run(fd: number, maxOutput: number): Promise<void> {
  try {
    post({ type: "done", result: await decodeToBlob(input(), { fd, maxOutput }, emit) });
  } catch (err) {
    post({ type: "error", error: toWire(err) });
  }
}

self.onmessage = ({ data: m }: MessageEvent<ToWorker>) => {
  switch (m.type) {
    case "start":
      void run(m.fd, m.maxOutput);
      break;
    case "input":
      queue.push(m.chunk);
      wakeInput();
      break;
    case "end":
      ended = true;
      wakeInput();
      break;
    case "ack":
      unacked -= m.bytes;
      wakeOutput();
      break;
  }
};
