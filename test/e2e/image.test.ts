// rkt's image_* and fetch (FromFile, FullHash) and os_arch scenarios, driven through the compiled
// binary against images made by the real `actool build`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild, uncompressedSha512 } from "../helpers/actool.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { requires } from "../helpers/requires.ts";

const skip = !!requires("actool");

describe.skipIf(skip)("image store through the CLI", () => {
  let ctx: RktContext;
  let aci: string;
  const insecure = "--insecure-options=image";

  beforeAll(() => {
    ctx = rktContext("rkt-image");
    aci = actoolBuild(ctx.tmp, { name: "example.com/hello", version: "1.0", files: { "bin/hello": "hello world\n", "etc/motd": "motd\n", "bin/link": { symlink: "hello" } } }, join(ctx.tmp, "hello.aci"));
  });
  afterAll(() => ctx[Symbol.dispose]());

  const ok = (args: string[]) => {
    const r = ctx.rkt(args);
    if (r.code !== 0) throw new Error(`rkt ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  test("fetch prints the short image ID, which is sha512 of the uncompressed tar (FromFile)", () => {
    const out = ok([insecure, "fetch", aci]).trim();
    const digest = uncompressedSha512(aci);
    expect(out).toBe(`sha512-${digest.slice(0, 32)}`);
    const blob = join(ctx.dir, "cas/blob/sha512", digest.slice(0, 2), `sha512-${digest.slice(0, 64)}`);
    expect(existsSync(blob)).toBe(true);
    expect(new Bun.CryptoHasher("sha512").update(readFileSync(blob)).digest("hex")).toBe(digest);
  });

  test("--full prints the store key (FullHash), and a second fetch imports nothing new", () => {
    const before = ok(["image", "list", "--format=json"]);
    const out = ok([insecure, "fetch", "--full", aci]).trim();
    expect(out).toBe(`sha512-${uncompressedSha512(aci).slice(0, 64)}`);
    expect(ok(["image", "list", "--format=json"])).toBe(before);
    expect(JSON.parse(before)).toHaveLength(1);
  });

  test("fetch also takes a file:// URL", () => {
    expect(ok([insecure, "fetch", `file://${aci}`]).trim()).toBe(`sha512-${uncompressedSha512(aci).slice(0, 32)}`);
  });

  test("the tree store is rendered at fetch time", () => {
    const trees = readdirSync(join(ctx.dir, "cas/tree"));
    expect(trees).toHaveLength(1);
    expect(trees[0]).toMatch(/^deps-sha512-[0-9a-f]{64}$/);
    const tree = join(ctx.dir, "cas/tree", trees[0]!);
    expect(existsSync(join(tree, "rendered"))).toBe(true);
    expect(readFileSync(join(tree, "rootfs/bin/hello"), "utf8")).toBe("hello world\n");
  });

  test("image list shows rkt's columns; --no-legend, --full and --fields change them", () => {
    const key = `sha512-${uncompressedSha512(aci).slice(0, 64)}`;
    const table = ok(["image", "list"]).split("\n");
    expect(table[0]).toMatch(/^ID\s+NAME\s+SIZE\s+IMPORT TIME\s+LAST USED$/);
    expect(table[1]).toContain(key.slice(0, 19));
    expect(table[1]).toContain("example.com/hello:1.0");
    expect(ok(["image", "list", "--no-legend"]).split("\n")[0]).toContain(key.slice(0, 19));
    expect(ok(["image", "list", "--full", "--no-legend"])).toContain(key);
    expect(ok(["image", "list", "--fields=name,latest"]).split("\n")[0]).toMatch(/^NAME\s+LATEST$/);
    const json = JSON.parse(ok(["image", "list", "--format=json"]));
    expect(json[0]).toMatchObject({ id: key, name: "example.com/hello:1.0" });
    expect(json[0].size).toBeGreaterThan(statSync(aci).size);
    const bad = ctx.rkt(["image", "list", "--fields=bogus"]);
    expect(bad.code).toBe(254);
    expect(bad.stderr).toContain('unknown field "bogus"');
  });

  test("image cat-manifest by name, by short ID; unknown images are clear errors", () => {
    const m = JSON.parse(ok(["image", "cat-manifest", "example.com/hello:1.0"]));
    expect(m.name).toBe("example.com/hello");
    const short = `sha512-${uncompressedSha512(aci).slice(0, 12)}`;
    expect(JSON.parse(ok(["image", "cat-manifest", short])).name).toBe("example.com/hello");
    expect(ok(["image", "cat-manifest", "--pretty-print=false", short]).trim().split("\n")).toHaveLength(1);
    const unknown = ctx.rkt(["image", "cat-manifest", "example.com/nope"]);
    expect(unknown.code).toBe(254);
    expect(unknown.stderr).toContain('no image named "example.com/nope"');
    const tooShort = ctx.rkt(["image", "cat-manifest", "sha512-a"]);
    expect(tooShort.code).toBe(254);
    expect(tooShort.stderr).toContain("too short");
  });

  test("image export writes the uncompressed ACI, whose hash is the image ID, and actool accepts it", () => {
    const out = join(ctx.tmp, "exported.aci");
    ok(["image", "export", "example.com/hello:1.0", out]);
    expect(new Bun.CryptoHasher("sha512").update(readFileSync(out)).digest("hex")).toBe(uncompressedSha512(aci));
    expect(Bun.spawnSync(["actool", "validate", out]).exitCode).toBe(0);
    expect(ctx.rkt(["image", "export", "example.com/hello:1.0", out]).code).toBe(254);
    ok(["image", "export", "--overwrite", "example.com/hello:1.0", out]);
  });

  test("image extract and render write the image's files", () => {
    const ex = join(ctx.tmp, "extracted");
    ok(["image", "extract", "example.com/hello:1.0", ex]);
    expect(readFileSync(join(ex, "rootfs/bin/hello"), "utf8")).toBe("hello world\n");
    expect(JSON.parse(readFileSync(join(ex, "manifest"), "utf8")).name).toBe("example.com/hello");
    const rootOnly = join(ctx.tmp, "rootonly");
    ok(["image", "extract", "--rootfs-only", "example.com/hello:1.0", rootOnly]);
    expect(readFileSync(join(rootOnly, "etc/motd"), "utf8")).toBe("motd\n");
    const rendered = join(ctx.tmp, "rendered");
    ok(["image", "render", "example.com/hello:1.0", rendered]);
    expect(readFileSync(join(rendered, "rootfs/bin/link"), "utf8")).toBe("hello world\n");
  });

  test("image verify finds a deleted file in the tree store and repairs it", () => {
    const tree = join(ctx.dir, "cas/tree", readdirSync(join(ctx.dir, "cas/tree"))[0]!, "rootfs");
    expect(ok(["image", "verify", "example.com/hello:1.0"])).toContain("verified");
    unlinkSync(join(tree, "etc/motd"));
    const out = ok(["image", "verify", "example.com/hello:1.0"]);
    expect(out).toContain("/etc/motd: missing");
    expect(readFileSync(join(ctx.dir, "cas/tree", readdirSync(join(ctx.dir, "cas/tree"))[0]!, "rootfs/etc/motd"), "utf8")).toBe("motd\n");
    expect(ok(["image", "verify", "example.com/hello:1.0"])).toContain("verified");
  });

  test("images without os/arch labels or with unknown ones are refused at fetch (os_arch)", () => {
    for (const [labels, msg] of [
      [{ os: "" }, "missing os label"],
      [{ arch: "" }, "missing arch label"],
      [{ os: "plan9" }, 'expected an os of darwin, freebsd, linux, got "plan9"'],
      [{ arch: "sparc" }, 'got "sparc"'],
    ] as const) {
      const bad = actoolBuild(ctx.tmp, { name: "example.com/osarch", labels }, join(ctx.tmp, "osarch.aci"), { invalid: true });
      const r = ctx.rkt([insecure, "fetch", bad]);
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(msg);
    }
    expect(readdirSync(join(ctx.dir, "cas/tmp")).filter((f) => !f.endsWith(".lock"))).toEqual([]);
  });

  test("uncompressed, bzip2 and xz images import to the same ID", () => {
    const plain = actoolBuild(ctx.tmp, { name: "example.com/formats", files: { a: "a" } }, join(ctx.tmp, "plain.aci"), { noCompression: true });
    const id = ok([insecure, "fetch", plain]).trim();
    for (const tool of ["bzip2", "xz"]) {
      const out = join(ctx.tmp, `formats.${tool}.aci`);
      writeFileSync(out, Bun.spawnSync([tool, "-c", plain]).stdout);
      expect(ok([insecure, "fetch", out]).trim()).toBe(id);
    }
  });

  test("image rm by ID and by name, once for duplicates; a missing image is an error", () => {
    const id = ok([insecure, "fetch", join(ctx.tmp, "plain.aci")]).trim();
    expect(ok(["image", "rm", id, id, "example.com/formats"]).match(/successfully removed/g)).toHaveLength(1);
    expect(ctx.rkt(["image", "cat-manifest", id]).code).toBe(254);
    const r = ctx.rkt(["image", "rm", "example.com/formats"]);
    expect(r.code).toBe(254);
    expect(ok(["image", "rm", "example.com/hello"])).toContain("successfully removed");
    expect(JSON.parse(ok(["image", "list", "--format=json"]))).toEqual([]);
  });

  test("image gc removes tree stores no pod uses and images past the grace period", () => {
    ok([insecure, "fetch", aci]);
    expect(readdirSync(join(ctx.dir, "cas/tree")).length).toBeGreaterThan(0);
    ok(["image", "gc"]);
    expect(readdirSync(join(ctx.dir, "cas/tree"))).toEqual([]);
    expect(JSON.parse(ok(["image", "list", "--format=json"]))).toHaveLength(1);
    ok(["image", "gc", "--grace-period=0s"]);
    expect(JSON.parse(ok(["image", "list", "--format=json"]))).toEqual([]);
  });
});

describe.skipIf(skip)("image dependencies", () => {
  test("render includes the dependency's files (ImageRender, ImageDependencies from the store)", () => {
    using ctx = rktContext("rkt-deps");
    const base = actoolBuild(ctx.tmp, { name: "example.com/base", version: "1", files: { "etc/base": "base\n", "etc/shared": "from base\n" } }, join(ctx.tmp, "base.aci"));
    const baseID = ctx.rkt(["--insecure-options=image", "fetch", "--full", base]).stdout.trim();
    const app = actoolBuild(
      ctx.tmp,
      {
        name: "example.com/app",
        files: { "etc/app": "app\n", "etc/shared": "from app\n" },
        manifest: { dependencies: [{ imageName: "example.com/base", labels: [{ name: "version", value: "1" }] }] },
      },
      join(ctx.tmp, "app.aci"),
    );
    expect(ctx.rkt(["--insecure-options=image", "fetch", app]).code).toBe(0);
    const out = join(ctx.tmp, "render");
    const r = ctx.rkt(["image", "render", "--rootfs-only", "example.com/app", out]);
    expect(r.stderr).toBe("");
    expect(readFileSync(join(out, "etc/base"), "utf8")).toBe("base\n");
    expect(readFileSync(join(out, "etc/app"), "utf8")).toBe("app\n");
    expect(readFileSync(join(out, "etc/shared"), "utf8")).toBe("from app\n");
    // RenderOnFetch: the app's tree (with its dependency) exists right after fetch.
    const trees = readdirSync(join(ctx.dir, "cas/tree"));
    expect(trees).toHaveLength(2);
    expect(baseID).toMatch(/^sha512-/);
    rmSync(out, { recursive: true });
  });
});
