// Random access to uncompressed tar files on disk: a header-only scan that reads each header
// block but never the file data (the parser is fed zeros in its place, which it passes through
// without looking), and byte ranges streamed from a file. Used for local image archives (members
// found by name) and for the squash planner, which needs every layer's entry list but no data.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { TarParser, type TarHeader, type TarSink } from "../aci/tar.ts";
import { VerificationError } from "../errors.ts";

const BLOCK = 512;
const CHUNK = 1 << 20;
const ZEROS = new Uint8Array(CHUNK);

/** The number in a header's octal size field (meta headers: pax `x`/`g`, GNU `L`/`K`). */
function headerSize(b: Uint8Array): number {
  let v = 0;
  for (let i = 124; i < 136; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) v = v * 8 + (c - 0x30);
    else if (v > 0) break;
  }
  return v;
}

/**
 * Calls `onEntry` for every entry of the tar file at `path`, with the file offset where its data
 * starts. Reads only header blocks (and the payloads of pax/long-name headers).
 */
export function scanTarHeaders(path: string, onEntry: (h: TarHeader, dataOffset: number) => void): void {
  // Synchronous: thousands of 512-byte reads cost a promise each otherwise (measured 4x slower).
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let pos = 0;
    let got: TarHeader | undefined;
    const sink: TarSink = {
      entry: (h) => void (got = h),
      data() {},
      end() {},
    };
    const parser = new TarParser(sink);
    const block = new Uint8Array(BLOCK);
    let zeroBlocks = 0;
    while (pos + BLOCK <= size && zeroBlocks < 2) {
      if (readSync(fd, block, 0, BLOCK, pos) < BLOCK) break;
      pos += BLOCK;
      got = undefined;
      parser.push(block);
      const zero = block.every((c) => c === 0);
      zeroBlocks = zero ? zeroBlocks + 1 : 0;
      if (got) {
        const h: TarHeader = got;
        onEntry(h, pos);
        // The data is skipped: the parser gets zeros of the same length instead.
        let skip = Math.ceil(h.size / BLOCK) * BLOCK;
        pos += skip;
        while (skip > 0) {
          const n = Math.min(skip, CHUNK);
          parser.push(ZEROS.subarray(0, n));
          skip -= n;
        }
      } else if (!zero) {
        // A pax or GNU long-name header: its payload is metadata the parser must see.
        const payload = new Uint8Array(Math.ceil(headerSize(block) / BLOCK) * BLOCK);
        const n = readSync(fd, payload, 0, payload.length, pos);
        pos += payload.length;
        parser.push(payload.subarray(0, n));
      }
    }
    if (pos > size) throw new VerificationError(`cannot read tar file "${path}": it ends inside an entry`);
    parser.finish();
  } finally {
    closeSync(fd);
  }
}

/** The bytes [offset, offset+length) of a file, in fresh chunks (never reused buffers). */
export async function* readRange(path: string, offset = 0, length = Infinity): AsyncGenerator<Uint8Array> {
  // Synchronous reads of 1 MiB (page cache, local disk): a promise per chunk costs more than the read.
  const fd = openSync(path, "r");
  try {
    let pos = offset;
    const end = length === Infinity ? fstatSync(fd).size : offset + length;
    while (pos < end) {
      const buf = new Uint8Array(Math.min(CHUNK, end - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) throw new VerificationError(`cannot read "${path}": it ends at byte ${pos}, before ${end}`);
      pos += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
