import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { requires } from "../../test/helpers/requires.ts";
import { compress, decompress, detectCompression, type Compression } from "./compression.ts";
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
