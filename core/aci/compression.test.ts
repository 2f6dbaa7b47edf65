import { describe, expect, test } from "bun:test";
import { constants, gzipSync, zstdCompressSync } from "node:zlib";
import { requires } from "../../test/helpers/requires.ts";
import { compress, decompress, detectCompression, ZstdFrames, type Compression } from "./compression.ts";
import { tarBytes } from "./tar.ts";

async function* pieces(b: Uint8Array, step = 65536): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += step) yield b.subarray(i, i + step);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const tar = tarBytes([{ name: "a", type: "file", data: Buffer.from("x".repeat(300_000)) }]);
// Some incompressible bytes too, so compressed streams span several chunks.
const payload = Buffer.concat([tar, crypto.getRandomValues(new Uint8Array(60_000))]);

describe("detectCompression", () => {
  test("by magic bytes", () => {
    expect(detectCompression(new Uint8Array([0x1f, 0x8b, 8]))).toBe("gzip");
    expect(detectCompression(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]))).toBe("xz");
    expect(detectCompression(tar.subarray(0, 512))).toBe("none");
    expect(detectCompression(new Uint8Array([0x1f]))).toBe("none");
  });
});

const kinds: Compression[] = ["gzip", "bzip2", "xz", "none"];

describe.skipIf(!!requires("xz", "bzip2"))("compress and decompress", () => {
  for (const kind of kinds) {
    test(`${kind} round trip, detected from the stream`, async () => {
      const packed = await collect(compress(pieces(payload), kind));
      expect(detectCompression(packed)).toBe(kind);
      let seen: Compression | undefined;
      // Tiny input pieces: the sniffing must gather enough bytes first.
      const out = await collect(decompress(pieces(packed, 3), { onCompression: (c) => (seen = c) }));
      expect(seen).toBe(kind);
      expect(out.equals(payload)).toBe(true);
    });
  }

  for (const kind of ["gzip", "bzip2", "xz"] as const) {
    test(`truncated ${kind} is an error, not a short stream`, async () => {
      const packed = await collect(compress(pieces(payload), kind));
      const cut = packed.subarray(0, Math.floor(packed.length * 0.6));
      await expect(collect(decompress(pieces(cut)))).rejects.toThrow(new RegExp(`^cannot decompress ${kind} image: unexpected end of data`));
    });

    test(`corrupt ${kind} is an error`, async () => {
      const packed = Buffer.from(await collect(compress(pieces(payload), kind)));
      for (let i = 40; i < 80; i++) packed[i] = packed[i]! ^ 0x55;
      await expect(collect(decompress(pieces(packed)))).rejects.toThrow(`cannot decompress ${kind} image: `);
    });
  }

  test("an input error reaches the consumer", async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield gzipSync(payload).subarray(0, 1000);
      throw new Error("connection reset");
    }
    await expect(collect(decompress(broken()))).rejects.toThrow("connection reset");
  });

  test("maxOutput stops a decompression bomb", async () => {
    const bomb = gzipSync(new Uint8Array(50 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    await expect(collect(decompress(pieces(bomb), { maxOutput: 1 << 20 }))).rejects.toThrow(
      "cannot decompress gzip image: output exceeds the limit of 1048576 bytes",
    );
  });

  for (const kind of ["gzip", "xz"] as const) {
    test(`stopping early ends the ${kind} decompressor`, async () => {
      const big = await collect(compress(pieces(new Uint8Array(20 << 20)), kind));
      for await (const _ of decompress(pieces(big, 4096))) break;
    });
  }
});

// Compressible and incompressible parts: compressed, raw and RLE blocks over several frames' worth.
const layer = Buffer.concat([Buffer.from("layer ".repeat(200_000)), crypto.getRandomValues(new Uint8Array(60_000)), new Uint8Array(300_000)]);
const withChecksum = zstdCompressSync(layer, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

// zstd (Docker/OCI layers only): Bun's decoder ends a truncated stream quietly; the frame walk does not.
describe("zstd", () => {
  test("detected by its magic number", () => {
    expect(detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x04]))).toBe("zstd");
  });

  test("round trip, fed in tiny pieces; frames and skippable frames in a row", async () => {
    const packed = await collect(compress(pieces(layer), "zstd"));
    expect(detectCompression(packed)).toBe("zstd");
    expect((await collect(decompress(pieces(packed, 3), { zstd: true }))).equals(layer)).toBe(true);
    const multi = Buffer.concat([withChecksum, skippable, zstdCompressSync(Buffer.from("tail"))]);
    expect((await collect(decompress(pieces(multi, 1000), { zstd: true }))).equals(Buffer.concat([layer, Buffer.from("tail")]))).toBe(true);
  });

  test("refused as an ACI compression", async () => {
    await expect(collect(decompress(pieces(withChecksum)))).rejects.toThrow(
      "cannot decompress zstd image: an ACI may be compressed with gzip, bzip2 or xz only",
    );
  });

  test("truncated anywhere is an error, not a short stream", async () => {
    // inside the frame header, a block header, a block, the checksum
    for (const cut of [5, 9, 1000, withChecksum.length - 2]) {
      await expect(collect(decompress(pieces(withChecksum.subarray(0, cut)), { zstd: true }))).rejects.toThrow(
        /^cannot decompress zstd image: unexpected end of data/,
      );
    }
  });

  test("corrupt data and trailing garbage are errors", async () => {
    const corrupt = Buffer.from(withChecksum);
    for (let i = 40; i < 80; i++) corrupt[i] = corrupt[i]! ^ 0x55;
    await expect(collect(decompress(pieces(corrupt), { zstd: true }))).rejects.toThrow("cannot decompress zstd image: ");
    const trailing = Buffer.concat([withChecksum, Buffer.from("not a frame")]);
    await expect(collect(decompress(pieces(trailing), { zstd: true }))).rejects.toThrow("cannot decompress zstd image: ");
  });

  test("the frame walk follows block sizes and checksums across chunk boundaries", () => {
    for (const step of [1, 7, 4096]) {
      const walk = new ZstdFrames();
      const seen = new Set<string>();
      for (let i = 0; i < withChecksum.length; i += step) {
        walk.push(withChecksum.subarray(i, i + step));
        if (i + step < withChecksum.length) seen.add(walk.state);
      }
      expect([...seen]).toEqual(["truncated"]);
      expect(walk.state).toBe("complete");
    }
  });
});
