import { describe, expect, test } from "bun:test";
import { VerificationError } from "../errors.ts";
import { sha256Digest, verifyStream } from "./digest.ts";
import { parseChallenge } from "./registry.ts";

describe("WWW-Authenticate challenges", () => {
  test("Bearer with quoted parameters, commas and escapes inside quotes", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:a/b:pull,push" },
    });
    expect(parseChallenge('Basic realm="say \\"hi\\""').params.realm).toBe('say "hi"');
    expect(parseChallenge("bearer realm=http://x/t, service=s")).toEqual({ scheme: "bearer", params: { realm: "http://x/t", service: "s" } });
  });
});

describe("streamed digest checks", () => {
  async function drain(src: AsyncIterable<Uint8Array>): Promise<number> {
    let n = 0;
    for await (const c of src) n += c.length;
    return n;
  }
  async function* chunks(...parts: string[]) {
    for (const p of parts) yield Buffer.from(p);
  }
  test("passes bytes through when digest and size match", async () => {
    expect(await drain(verifyStream(chunks("ab", "cd"), sha256Digest("abcd"), "blob", 4))).toBe(4);
  });
  test("refuses other content, a wrong size, or more bytes than announced", async () => {
    await expect(drain(verifyStream(chunks("abce"), sha256Digest("abcd"), "blob"))).rejects.toThrow(VerificationError);
    await expect(drain(verifyStream(chunks("abcd"), sha256Digest("abcd"), "blob", 5))).rejects.toThrow("got sha256:");
    await expect(drain(verifyStream(chunks("abc", "de"), sha256Digest("abcde"), "blob", 4))).rejects.toThrow("more than the 4 bytes announced");
    await expect(drain(verifyStream(chunks("x"), "sha512:00", "blob"))).rejects.toThrow("only sha256");
  });
});
