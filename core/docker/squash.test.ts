import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TarParser, tarBytes, type TarEntry, type TarHeader } from "../aci/tar.ts";
import { FetchError } from "../errors.ts";
import { squashToAci } from "./squash.ts";

const tmp = mkdtempSync(join(tmpdir(), "rkt-squash-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const f = (name: string, text = name, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: "file", data: Buffer.from(text), ...extra });
const d = (name: string, mode = 0o755): TarEntry => ({ name, type: "directory", mode });
const wh = (name: string): TarEntry => ({ name, type: "file" });

let n = 0;
/** Squashes layers (bottom first) and returns the entries under rootfs/, in order, with contents. */
async function squash(...layers: TarEntry[][]): Promise<{ h: TarHeader; text: string }[]> {
  const files = layers.map((entries) => {
    const file = join(tmp, `layer-${n++}.tar`);
    writeFileSync(file, tarBytes(entries));
    return file;
  });
  const out: { h: TarHeader; text: string }[] = [];
  let cur: { h: TarHeader; parts: Uint8Array[] } | undefined;
  const parser = new TarParser({
    entry: (h) => void (cur = { h, parts: [] }),
    data: (c) => void cur!.parts.push(c.slice()),
    end: () => void out.push({ h: cur!.h, text: Buffer.concat(cur!.parts).toString() }),
  });
  for await (const c of squashToAci(files, Buffer.from("{}"))) parser.push(c);
  parser.finish();
  expect(out.slice(0, 2).map((e) => e.h.name)).toEqual(["manifest", "rootfs/"]);
  return out.slice(2).filter((e) => !e.h.name.startsWith("rootfs/dev/"));
}
const names = (es: { h: TarHeader }[]) => es.map((e) => e.h.name.replace(/^rootfs\//, "").replace(/\/$/, ""));

describe("squashToAci", () => {
  test("upper layers replace files; directories merge and keep their top-most metadata", async () => {
    const es = await squash([d("a", 0o755), f("a/x", "old"), f("a/y")], [d("a", 0o700), f("a/x", "new")]);
    expect(names(es)).toEqual(["a", "a/y", "a/x"]);
    expect(es[0]!.h.mode).toBe(0o700);
    expect(es.find((e) => e.h.name === "rootfs/a/x")!.text).toBe("new");
  });

  test("a whiteout removes the path and everything under it from lower layers only", async () => {
    const es = await squash([d("a"), f("a/x"), d("a/sub"), f("a/sub/z"), f("b")], [wh("a/.wh.sub"), wh(".wh.b"), f("a/sub2")]);
    expect(names(es)).toEqual(["a", "a/x", "a/sub2"]);
  });

  test("a path whited out and re-created above keeps only the new content", async () => {
    const es = await squash([d("a"), f("a/old")], [wh(".wh.a")], [d("a"), f("a/new")]);
    expect(names(es)).toEqual(["a", "a/new"]);
  });

  test("an opaque directory hides lower content but keeps its own layer's", async () => {
    const es = await squash([d("o"), f("o/old"), d("o/deep"), f("o/deep/x")], [d("o"), wh("o/.wh..wh..opq"), f("o/new")], [f("o/top")]);
    expect(names(es)).toEqual(["o", "o/new", "o/top"]);
  });

  test("an opaque root hides every lower layer", async () => {
    const es = await squash([f("lower")], [wh(".wh..wh..opq"), f("upper")]);
    expect(names(es)).toEqual(["upper"]);
  });

  test("a file over a directory hides the directory's subtree; a directory over a file replaces it", async () => {
    const es = await squash([d("p"), f("p/x"), f("q")], [f("p", "file"), d("q"), f("q/y")]);
    expect(names(es)).toEqual(["p", "q", "q/y"]);
    expect(es[0]!.h.type).toBe("file");
  });

  test("the later of two entries in one layer wins, and each path appears once", async () => {
    const es = await squash([f("x", "first"), f("x", "second")], [f("y")]);
    expect(names(es)).toEqual(["x", "y"]);
    expect(es[0]!.text).toBe("second");
  });

  test("hardlinks follow their target; one whose target was deleted becomes a copy", async () => {
    const link = (name: string, target: string): TarEntry => ({ name, type: "link", linkname: target });
    const es = await squash([f("t", "T"), link("l1", "t"), link("l2", "t"), f("u", "U"), link("k", "u")], [wh(".wh.t")]);
    expect(names(es)).toEqual(["l1", "l2", "u", "k"]);
    expect(es[0]).toMatchObject({ h: { type: "file" }, text: "T" });
    expect(es[1]!.h).toMatchObject({ type: "link", linkname: "rootfs/l1" });
    expect(es[3]!.h).toMatchObject({ type: "link", linkname: "rootfs/u" });
  });

  test("a hardlink to a file replaced above keeps the old content", async () => {
    const link = { name: "old", type: "link", linkname: "t" } satisfies TarEntry;
    const es = await squash([f("t", "v1"), link], [f("t", "v2")]);
    expect(es.map((e) => [e.h.name, e.h.type, e.text])).toEqual([
      ["rootfs/old", "file", "v1"],
      ["rootfs/t", "file", "v2"],
    ]);
  });

  test("a hardlink whose target is deleted two layers up gets the content from below it", async () => {
    const es = await squash([f("t", "T")], [{ name: "l", type: "link", linkname: "t" }], [wh(".wh.t")]);
    expect(es.map((e) => [e.h.name, e.h.type, e.text])).toEqual([["rootfs/l", "file", "T"]]);
  });

  test("aufs metadata is not content; a /dev that is not a directory is refused", async () => {
    expect(names(await squash([d(".wh..wh.plnk"), f(".wh..wh.plnk/1.2"), f("x")]))).toEqual(["x"]);
    await expect(squash([f("dev", "oops")])).rejects.toThrow(FetchError);
  });

  test("the stdio symlinks are added unless the image has them", async () => {
    const files = [join(tmp, "dev.tar")];
    writeFileSync(files[0]!, tarBytes([d("dev"), { name: "dev/stdout", type: "symlink", linkname: "/proc/self/fd/1" }]));
    const seen: TarHeader[] = [];
    const parser = new TarParser({ entry: (h) => void seen.push(h), data() {}, end() {} });
    for await (const c of squashToAci(files, Buffer.from("{}"))) parser.push(c);
    expect(seen.filter((h) => h.name.startsWith("rootfs/dev")).map((h) => [h.name, h.linkname])).toEqual([
      ["rootfs/dev/", ""],
      ["rootfs/dev/stdout", "/proc/self/fd/1"],
      ["rootfs/dev/stdin", "/proc/self/fd/0"],
      ["rootfs/dev/stderr", "/dev/console"],
      ["rootfs/dev/fd", "/proc/self/fd"],
    ]);
  });
});
