// `rkt image verify`: compares a rendered tree store with what its blobs say it must hold (type,
// mode, size, link target, file contents), so no hash has to be computed at import time.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { AciLayoutSink } from "../aci/layout.ts";
import type { TarHeader, TarSink } from "../aci/tar.ts";
import type { ImageManifest } from "../schema/image-manifest.ts";
import { parseTarFile } from "./render.ts";

interface Expected {
  type: TarHeader["type"];
  mode: number;
  size: number;
  linkname: string;
  digest?: string;
}

function norm(name: string): string {
  return name.replace(/^\.?\/+/, "").replace(/^\.$/, "").replace(/\/+$/, "");
}

/** What the layers put where, later layers winning, the top image's whitelist applied. */
function expectedTree(layers: { blob: string; manifest: ImageManifest }[]): Map<string, Expected> {
  const want = new Map<string, Expected>();
  for (const layer of layers) {
    let cur: Expected | undefined;
    let hasher: Bun.CryptoHasher | undefined;
    const sink: TarSink = {
      entry(h) {
        const path = norm(h.name);
        if (h.type !== "directory" && want.get(path)?.type === "directory") {
          for (const [p] of want) if (p.startsWith(path + "/")) want.delete(p);
        }
        cur = { type: h.type, mode: h.mode & 0o7777, size: h.size, linkname: h.linkname };
        hasher = h.type === "file" ? new Bun.CryptoHasher("sha512") : undefined;
        if (path) want.set(path, cur);
      },
      data: (c) => hasher?.update(c),
      end() {
        if (cur && hasher) cur.digest = hasher.digest("hex");
        hasher = undefined;
      },
    };
    parseTarFile(layer.blob, new AciLayoutSink(sink));
  }
  const top = layers[layers.length - 1]!.manifest;
  if (top.pathWhitelist?.length) {
    const keep = new Set(top.pathWhitelist.map(norm));
    for (const [p, e] of want) if (e.type !== "directory" && !keep.has(p)) want.delete(p);
  }
  return want;
}

function walk(root: string, rel = "", out: string[] = []): string[] {
  for (const name of readdirSync(join(root, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) walk(root, p, out);
  }
  return out;
}

/** Differences between the tree at `rootfs` and its layers; empty when the tree is intact. */
export function verifyTree(rootfs: string, layers: { blob: string; manifest: ImageManifest }[]): string[] {
  const want = expectedTree(layers);
  const problems: string[] = [];
  for (const [path, e] of want) {
    const full = join(rootfs, path);
    let st;
    try {
      st = lstatSync(full);
    } catch {
      problems.push(`/${path}: missing`);
      continue;
    }
    const kind = st.isDirectory() ? "directory" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : st.isCharacterDevice() ? "char" : st.isBlockDevice() ? "block" : "fifo";
    const wantKind = e.type === "link" ? "file" : e.type;
    if (kind !== wantKind) {
      problems.push(`/${path}: expected a ${wantKind}, found a ${kind}`);
      continue;
    }
    if (e.type === "symlink" && readlinkSync(full) !== e.linkname) problems.push(`/${path}: symlink target changed`);
    if (e.type === "file") {
      if (st.size !== e.size) problems.push(`/${path}: size ${st.size}, expected ${e.size}`);
      else if (new Bun.CryptoHasher("sha512").update(readFileSync(full)).digest("hex") !== e.digest) problems.push(`/${path}: contents changed`);
    }
    if (e.type !== "symlink" && e.type !== "link" && (st.mode & 0o7777) !== e.mode) problems.push(`/${path}: mode ${(st.mode & 0o7777).toString(8)}, expected ${e.mode.toString(8)}`);
  }
  for (const path of walk(rootfs)) if (!want.has(path)) problems.push(`/${path}: not in the image`);
  return problems;
}
