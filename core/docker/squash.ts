// Squashes Docker layers (uncompressed tars, bottom first) into one ACI tar stream, with overlay
// semantics done right: `.wh.<name>` deletes <name> (and what is below it) from lower layers,
// `.wh..wh..opq` empties its directory of lower-layer content (rkt/docker2aci ignored it), a
// non-directory hides a lower directory's whole subtree, and a directory keeps its top-most
// metadata. Two passes: a plan from the headers only, top layer first (tar-file.ts reads no data),
// then the data, bottom layer first, so parents and hardlink targets precede what needs them and
// every path appears once (appc's archive check refuses duplicates).
import { TarParser, TarWriter, type TarEntryType, type TarHeader } from "../aci/tar.ts";
import { FetchError } from "../errors.ts";
import { warn } from "../log.ts";
import { readRange, scanTarHeaders } from "./tar-file.ts";

const OPAQUE = ".wh..wh..opq";
const WHITEOUT = ".wh.";
/** aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): never content */
const AUFS_META = ".wh..wh.";

interface Winner {
  layer: number;
  /** position of the entry inside its layer */
  ordinal: number;
  type: TarEntryType;
  /** for directories: the header of the top-most layer that has it */
  header?: TarHeader;
  /** a hardlink whose target was deleted or replaced above it: written as a copy instead */
  orphan?: boolean;
}

/** What pass 1 decided: the entry that survives for each path, and hardlinks to re-create. */
export interface SquashPlan {
  winners: Map<string, Winner>;
  /** `layer:ordinal` of an entry → hardlink paths that get its content (their own target is gone) */
  copies: Map<string, string[]>;
}

/** A tar name as a clean relative path ("" for the root). */
function clean(name: string): string {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

/**
 * Pass 1: walks the layers' headers from the top layer down and decides which entry of which
 * layer provides each path of the squashed tree.
 */
export function planSquash(layers: string[]): SquashPlan {
  const winners = new Map<string, Winner>();
  const copies = new Map<string, string[]>();
  /** paths deleted or replaced by a non-directory in a layer above the current one */
  const hidden = new Set<string>();
  /** directories made opaque in a layer above the current one */
  const opaque = new Set<string>();
  /** hardlink paths waiting for the old content of their target, from a lower layer */
  const waiting = new Map<string, string[]>();

  const blocked = (p: string): boolean => {
    if (hidden.has(p) || opaque.has("")) return true;
    for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1)) {
      const a = p.slice(0, i);
      if (hidden.has(a) || opaque.has(a)) return true;
    }
    return false;
  };

  for (let layer = layers.length - 1; layer >= 0; layer--) {
    const whiteouts: string[] = [];
    const opaques: string[] = [];
    /** every path of this layer, blocked or not, with its ordinal: old targets of hardlinks */
    const here = new Map<string, number>();
    /** paths whose entry this layer provides */
    const mine: string[] = [];
    let ordinal = -1;
    scanTarHeaders(layers[layer]!, (h) => {
      ordinal++;
      const p = clean(h.name);
      if (p === "") return;
      const base = p.slice(p.lastIndexOf("/") + 1);
      if (p.includes(AUFS_META) && p.split("/").some((c) => c.startsWith(AUFS_META) && c !== OPAQUE)) return;
      if (base === OPAQUE) return void opaques.push(parentOf(p));
      if (base.startsWith(WHITEOUT)) {
        const dir = parentOf(p);
        return void whiteouts.push(dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length));
      }
      here.set(p, ordinal);
      const links = waiting.get(p);
      if (links) {
        waiting.delete(p);
        copies.set(`${layer}:${ordinal}`, links);
      }
      if (blocked(p)) return;
      const w = winners.get(p);
      if (w && w.layer !== layer) {
        // Lower directories merge into the upper one: written here (so that what this layer puts
        // below it has a parent), with the upper metadata.
        if (w.type === "directory" && h.type === "directory") {
          w.layer = layer;
          w.ordinal = ordinal;
        }
        return;
      }
      // New, or a later entry of the same layer (the later one wins, as when extracting).
      const winner: Winner = { layer, ordinal, type: h.type, header: h.type === "directory" ? h : undefined };
      winners.set(p, winner);
      mine.push(p);
      if (h.type === "link") {
        const target = clean(h.linkname);
        const tw = winners.get(target);
        if ((tw && tw.layer > layer) || (!tw && blocked(target))) {
          // Its target was replaced or deleted above: the link keeps the old content.
          winner.orphan = true;
          const old = here.get(target);
          if (old !== undefined) {
            copies.set(`${layer}:${old}`, [...(copies.get(`${layer}:${old}`) ?? []), p]);
          } else {
            waiting.set(target, [...(waiting.get(target) ?? []), p]);
          }
        }
      }
    });
    for (const p of mine) if (winners.get(p)?.type !== "directory") hidden.add(p);
    for (const p of whiteouts) hidden.add(p);
    for (const p of opaques) opaque.add(p);
  }
  for (const links of waiting.values()) {
    for (const p of links) winners.delete(p);
    warn(`dropping hardlinks ${links.map((l) => `"/${l}"`).join(", ")}: their target is in no layer`);
  }
  const dev = winners.get("dev");
  if (dev && dev.type !== "directory") throw new FetchError(`cannot convert image: invalid layer: "/dev" is not a directory`);
  return { winners, copies };
}

/** docker2aci adds these so apps find stdio where Docker puts it (stdout/err via the console). */
const STDIO_LINKS: [string, string][] = [
  ["dev/stdin", "/proc/self/fd/0"],
  ["dev/stdout", "/dev/console"],
  ["dev/stderr", "/dev/console"],
  ["dev/fd", "/proc/self/fd"],
];

/**
 * The ACI: `manifest`, `rootfs/`, then the squashed tree of `layers` (uncompressed layer tar files,
 * bottom first) under `rootfs/`. Streams: memory holds the plan (one record per path), not data.
 */
export async function* squashToAci(layers: string[], manifestJson: Uint8Array): AsyncGenerator<Uint8Array> {
  const { winners, copies } = planSquash(layers);
  let out: Uint8Array[] = [];
  const writer = new TarWriter((c) => out.push(c));
  writer.add({ name: "manifest", type: "file", mode: 0o644, data: manifestJson });
  writer.add({ name: "rootfs", type: "directory", mode: 0o755 });

  for (let layer = 0; layer < layers.length; layer++) {
    let ordinal = -1;
    let writing = false;
    /** hardlinks to write after the current entry, and the name they link to */
    let links: string[] = [];
    let linkTo = "";
    const parser = new TarParser({
      entry(h) {
        ordinal++;
        const p = clean(h.name);
        const w = p === "" ? undefined : winners.get(p);
        writing = !!w && w.layer === layer && w.ordinal === ordinal && !w.orphan;
        const header: TarHeader = { ...((writing && w?.header) || h), name: `rootfs/${p}` };
        if (h.type === "link") header.linkname = `rootfs/${clean(h.linkname)}`;
        const orphans = h.type === "directory" ? [] : (copies.get(`${layer}:${ordinal}`) ?? []);
        links = orphans;
        linkTo = header.name;
        if (!writing && orphans.length) {
          // Nothing else keeps this content: the first orphaned link gets a copy of it.
          linkTo = `rootfs/${orphans[0]}`;
          links = orphans.slice(1);
          header.name = linkTo;
          writing = true;
        }
        if (writing) writer.entry(header);
      },
      data(chunk) {
        if (writing) writer.data(chunk);
      },
      end() {
        if (writing) writer.end();
        for (const l of links) writer.add({ name: `rootfs/${l}`, type: "link", linkname: linkTo });
        links = [];
        writing = false;
      },
    });
    for await (const chunk of readRange(layers[layer]!)) {
      parser.push(chunk);
      if (out.length) {
        yield* out;
        out = [];
      }
    }
    parser.finish();
  }
  for (const [path, target] of STDIO_LINKS) {
    if (!winners.has(path)) {
      if (!winners.has("dev")) {
        writer.add({ name: "rootfs/dev", type: "directory", mode: 0o755 });
        winners.set("dev", { layer: -1, ordinal: -1, type: "directory" });
      }
      writer.add({ name: `rootfs/${path}`, type: "symlink", mode: 0o777, linkname: target });
    }
  }
  writer.finish();
  yield* out;
}
