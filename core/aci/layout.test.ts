import { describe, expect, test } from "bun:test";
import { AciLayoutSink, cleanPath } from "./layout.ts";
import { TarParser, tarBytes, type TarEntry, type TarHeader, type TarSink } from "./tar.ts";

const MANIFEST: TarEntry = { name: "manifest", type: "file", data: Buffer.from('{"acKind":"ImageManifest"}') };
const ROOTFS: TarEntry = { name: "rootfs", type: "directory" };

/** Runs entries through the layout sink; returns what reached the rootfs sink and the manifest. */
function layout(entries: TarEntry[], opts = {}): { forwarded: TarHeader[]; manifest: string; finished: boolean } {
  const forwarded: TarHeader[] = [];
  let finished = false;
  const rootfs: TarSink = {
    entry: (h) => void forwarded.push(h),
    data() {},
    end() {},
    finish: () => void (finished = true),
  };
  const sink = new AciLayoutSink(rootfs, opts);
  const p = new TarParser(sink);
  p.push(tarBytes(entries));
  p.finish();
  return { forwarded, manifest: Buffer.from(sink.manifest()).toString(), finished };
}

describe("cleanPath", () => {
  test("as Go's filepath.Clean", () => {
    expect(cleanPath("./rootfs/")).toBe("rootfs");
    expect(cleanPath("rootfs//a/./b/../c")).toBe("rootfs/a/c");
    expect(cleanPath("rootfs/../../x")).toBe("../x");
    expect(cleanPath("/../x")).toBe("/x");
    expect(cleanPath("./")).toBe(".");
  });
});

describe("AciLayoutSink", () => {
  test("keeps the manifest and forwards rootfs entries relative to the rootfs", () => {
    const r = layout([
      { name: "./", type: "directory" },
      MANIFEST,
      { name: "./rootfs/", type: "directory", mode: 0o700 },
      { name: "rootfs/bin/busybox", type: "file", data: Buffer.from("x") },
      { name: "rootfs/bin/sh", type: "link", linkname: "rootfs/bin/busybox" },
      { name: "rootfs/bin/ls", type: "symlink", linkname: "/bin/busybox" },
    ]);
    expect(r.manifest).toBe('{"acKind":"ImageManifest"}');
    expect(r.forwarded.map((h) => [h.name, h.linkname])).toEqual([
      [".", ""],
      ["bin/busybox", ""],
      ["bin/sh", "bin/busybox"],
      ["bin/ls", "/bin/busybox"],
    ]);
    expect(r.forwarded[0]!.mode).toBe(0o700);
    expect(r.finished).toBe(true);
  });

  const refused: [string, TarEntry[], string][] = [
    ["a missing manifest", [ROOTFS], "cannot read image archive: no image manifest found"],
    ["a missing rootfs", [MANIFEST, { name: "rootfs/a", type: "file" }], "cannot read image archive: no rootfs found"],
    ["a manifest that is a directory", [{ name: "manifest", type: "directory" }, ROOTFS], "manifest is a directory, expected a regular file"],
    ["a manifest that is a symlink", [{ name: "manifest", type: "symlink", linkname: "/etc/passwd" }, ROOTFS], "manifest is a symlink"],
    ["a rootfs that is a file", [MANIFEST, { name: "rootfs", type: "file" }], "rootfs is a file, expected a directory"],
    ["an unknown top-level file", [MANIFEST, ROOTFS, { name: "extra", type: "file" }], 'unrecognized file path in layout: "extra"'],
    ["a path escaping the layout", [MANIFEST, ROOTFS, { name: "rootfs/../../x", type: "file" }], 'unrecognized file path in layout: "rootfs/../../x"'],
    ["an absolute path", [MANIFEST, ROOTFS, { name: "/rootfs/x", type: "file" }], 'unrecognized file path in layout: "/rootfs/x"'],
    ["a name that only starts like rootfs", [MANIFEST, ROOTFS, { name: "rootfsx/a", type: "file" }], 'unrecognized file path in layout: "rootfsx/a"'],
    ["duplicate entries", [MANIFEST, ROOTFS, { name: "rootfs/a", type: "file" }, { name: "./rootfs/a", type: "file" }], 'duplicate entry "rootfs/a"'],
    ["a duplicate manifest", [MANIFEST, ROOTFS, MANIFEST], 'duplicate entry "manifest"'],
    ["a hardlink out of the rootfs", [MANIFEST, ROOTFS, { name: "rootfs/m", type: "link", linkname: "manifest" }], 'hardlink "rootfs/m" points outside rootfs'],
    ["a hardlink escaping", [MANIFEST, ROOTFS, { name: "rootfs/m", type: "link", linkname: "rootfs/../../etc/shadow" }], "points outside rootfs"],
  ];
  for (const [what, entries, message] of refused) {
    test(`refuses ${what}`, () => {
      expect(() => layout(entries)).toThrow(message);
    });
  }

  test("bounds the manifest size", () => {
    const big = { name: "manifest", type: "file", data: new Uint8Array(2000) } as const;
    expect(() => layout([big, ROOTFS], { maxManifestSize: 1000 })).toThrow("manifest is 2000 bytes, more than the limit of 1000");
  });
});
