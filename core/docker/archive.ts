// Local image archives, which rkt could not read (issue #2392): `docker-archive:FILE[:REF]` (the
// output of `docker save`, manifest.json + config + layer tars) and `oci-archive:FILE[:REF]` /
// `oci:DIR[:REF]` (an OCI image layout in a tar or a directory), with skopeo's syntax (the path
// ends at the first ":"). Members of a tar are read in place (offsets from a header scan), never
// unpacked; every blob with a digest is checked as it is read.
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { FetchError, UsageError, VerificationError } from "../errors.ts";
import type { ImageOrigin } from "./convert.ts";
import { checkDigest, sha256Digest, sha256Hex, verifyStream } from "./digest.ts";
import { parseDockerReference } from "./reference.ts";
import { MAX_DOCUMENT, resolveDocs, type DocReader } from "./resolve.ts";
import { readRange, scanTarHeaders } from "./tar-file.ts";
import {
  checkConfigPlatform,
  hostPlatform,
  selectPlatform,
  type Descriptor,
  type ImageConfig,
  type ImageSource,
  type IndexDoc,
  type Platform,
} from "./types.ts";

const REF_NAME = "org.opencontainers.image.ref.name";

/** Files by relative path, in a directory or inside an uncompressed tar. */
interface FileTree {
  has(path: string): boolean;
  read(path: string): AsyncIterable<Uint8Array>;
}

/** A relative path inside an archive, cleaned; escaping paths are refused. */
function member(path: string, what: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." || path.startsWith("/")) throw new FetchError(`cannot read "${what}": member path "${path}" leaves the archive`);
    out.push(part);
  }
  return out.join("/");
}

function dirTree(root: string): FileTree {
  return {
    has: (p) => existsSync(join(root, member(p, root))),
    read: (p) => readRange(join(root, member(p, root))),
  };
}

async function tarTree(file: string): Promise<FileTree> {
  const head = new Uint8Array(await Bun.file(file).slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) {
    throw new FetchError(`cannot read archive "${file}": it is gzip-compressed; decompress it first (gunzip)`);
  }
  const entries = new Map<string, { offset: number; size: number; link?: string }>();
  scanTarHeaders(file, (h, offset) => {
    const name = member(h.name, file);
    if (h.type === "file") entries.set(name, { offset, size: h.size });
    // docker save links a layer it has already written instead of writing it twice
    else if (h.type === "symlink") entries.set(name, { offset: 0, size: 0, link: member(join(name, "..", h.linkname), file) });
    else if (h.type === "link") entries.set(name, { offset: 0, size: 0, link: member(h.linkname, file) });
  });
  const find = (p: string) => {
    let e = entries.get(member(p, file));
    for (let hops = 0; e?.link !== undefined && hops < 8; hops++) e = entries.get(e.link);
    return e?.link === undefined ? e : undefined;
  };
  return {
    has: (p) => find(p) !== undefined,
    read: (p) => {
      const e = find(p);
      if (!e) throw new FetchError(`cannot read archive "${file}": it has no file "${p}"`);
      return readRange(file, e.offset, e.size);
    },
  };
}

async function readAll(tree: FileTree, path: string, what: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of tree.read(path)) {
    size += c.length;
    if (size > MAX_DOCUMENT) throw new FetchError(`cannot read ${what}: more than ${MAX_DOCUMENT} bytes`);
    parts.push(c);
  }
  return Buffer.concat(parts, size);
}

async function readJSON<T>(tree: FileTree, path: string, what: string): Promise<T> {
  if (!tree.has(path)) throw new FetchError(`cannot read ${what}: no ${path} in it`);
  try {
    return JSON.parse(new TextDecoder().decode(await readAll(tree, path, `${path} of ${what}`))) as T;
  } catch (err) {
    if (err instanceof FetchError) throw err;
    throw new FetchError(`cannot read ${what}: ${path} is not JSON`, { cause: err });
  }
}

const blobPath = (digest: string) => `blobs/sha256/${sha256Hex(digest)}`;

/** Name and tag of a local image: from a full reference when it has one, else from the file name. */
function localOrigin(originalName: string, path: string, refName: string | undefined): ImageOrigin {
  if (refName && /[/:]/.test(refName)) {
    const r = parseDockerReference(refName);
    return { originalName, registry: r.registry, repository: r.repository, tag: r.tag };
  }
  const repository = basename(path).replace(/\.(tar|oci)$/, "") || "image";
  return { originalName, repository, tag: refName };
}

/** An OCI image layout (dir or tar): the image named `ref` (ref.name annotation), or the only one. */
function ociSource(open: () => Promise<FileTree>, path: string, ref: string | undefined, original: string, platform: Platform): ImageSource {
  const what = original;
  let layers: Descriptor[] = [];
  let files: FileTree;
  return {
    async resolve() {
      files = await open();
      if (!files.has("oci-layout")) throw new FetchError(`cannot read "${what}": not an OCI image layout (no oci-layout file)`);
      const index = await readJSON<IndexDoc>(files, "index.json", `"${what}"`);
      const all = index.manifests ?? [];
      const named = ref === undefined ? all : all.filter((m) => m.annotations?.[REF_NAME] === ref);
      const names = all.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
      if (named.length === 0) {
        throw new FetchError(`cannot find image "${ref ?? ""}" in "${path}" (it has ${names.length ? names.join(", ") : "no images"})`);
      }
      let chosen = named[0]!;
      if (named.length > 1) {
        if (!named.every((m) => m.platform)) {
          throw new FetchError(`cannot choose an image in "${path}": it has ${named.length}; name one as ${original.split(":")[0]}:${path}:<name> (it has ${names.join(", ")})`);
        }
        chosen = selectPlatform({ schemaVersion: 2, manifests: named }, platform, what);
      }
      const reader: DocReader = {
        async manifest(d) {
          const desc = d as Descriptor;
          return { bytes: await reader.blob(desc, "manifest"), mediaType: desc.mediaType, digest: desc.digest };
        },
        async blob(desc, kind) {
          if (desc.size > MAX_DOCUMENT) throw new FetchError(`cannot read ${kind} "${desc.digest}" of "${what}": too big`);
          const bytes = await readAll(files, blobPath(desc.digest), `${kind} of "${what}"`);
          checkDigest(bytes, desc.digest, kind, desc.size);
          return bytes;
        },
      };
      const docs = await resolveDocs(reader, chosen, platform, what);
      layers = docs.manifest.layers;
      return {
        origin: localOrigin(original, path, chosen.annotations?.[REF_NAME] ?? ref),
        config: docs.config,
        configDigest: docs.configDigest,
        manifestDigest: docs.manifestDigest,
        layers: layers.map((l, i) => ({ diffId: docs.config.rootfs.diff_ids[i]!, size: l.size })),
      };
    },
    layer: (i) => verifyStream(files.read(blobPath(layers[i]!.digest)), layers[i]!.digest, "layer", layers[i]!.size),
  };
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** A `docker save` archive: the image tagged `ref` (or number `@N`), or the only one. */
function dockerArchiveSource(file: string, ref: string | undefined, original: string, platform: Platform): ImageSource {
  const what = original;
  let files: FileTree;
  let layerPaths: string[] = [];
  return {
    async resolve() {
      files = await tarTree(file);
      const entries = await readJSON<DockerSaveEntry[]>(files, "manifest.json", `"${what}"`);
      let entry: DockerSaveEntry | undefined;
      if (ref === undefined) {
        if (entries.length !== 1) throw new FetchError(`cannot choose an image in "${file}": it has ${entries.length}; name one as docker-archive:${file}:<name:tag>`);
        entry = entries[0];
      } else if (/^@\d+$/.test(ref)) {
        entry = entries[Number(ref.slice(1))];
      } else {
        const want = parseDockerReference(ref);
        entry = entries.find((e) =>
          (e.RepoTags ?? []).some((t) => {
            const r = parseDockerReference(t);
            return r.registry === want.registry && r.repository === want.repository && r.tag === want.tag;
          }),
        );
      }
      if (!entry) {
        const tags = entries.flatMap((e) => e.RepoTags ?? []);
        throw new FetchError(`cannot find image "${ref}" in "${file}" (it has ${tags.length ? tags.join(", ") : "untagged images only"})`);
      }
      const configBytes = await readAll(files, entry.Config, `config of "${what}"`);
      const config = JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig;
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== entry.Layers.length) {
        throw new FetchError(`cannot read "${what}": ${diffIds.length} diff IDs in its config for ${entry.Layers.length} layers`);
      }
      checkConfigPlatform(config, platform, what);
      // A config named by its digest (`<hex>.json`, `blobs/sha256/<hex>`) must have that digest.
      const named = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config)?.[1];
      const configDigest = sha256Digest(configBytes);
      if (named && configDigest !== `sha256:${named}`) {
        throw new VerificationError(`cannot verify image config "${entry.Config}" of "${what}": its digest is ${configDigest}`);
      }
      layerPaths = entry.Layers;
      const tag = ref && !ref.startsWith("@") ? ref : (entry.RepoTags ?? [])[0];
      return {
        origin: localOrigin(original, file, tag),
        config,
        configDigest,
        layers: diffIds.map((diffId) => ({ diffId })),
      };
    },
    layer(i) {
      const p = layerPaths[i]!;
      // Layers stored as OCI blobs are named by their digest: check it too.
      const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(member(p, file));
      return m ? verifyStream(files.read(p), `sha256:${m[1]}`, "layer") : files.read(p);
    },
  };
}

/** Whether `arg` names a local archive (`docker-archive:`, `oci-archive:`, `oci:`). */
export function isArchiveArg(arg: string): boolean {
  return /^(docker-archive|oci-archive|oci):/.test(arg);
}

/** The image source for a local archive argument, in skopeo's `TRANSPORT:PATH[:REF]` syntax. */
export function archiveSource(arg: string, platform: Platform = hostPlatform()): ImageSource {
  const m = /^(docker-archive|oci-archive|oci):(.*)$/.exec(arg);
  if (!m || m[2] === "") throw new UsageError(`invalid image archive "${arg}": expected docker-archive:FILE, oci-archive:FILE or oci:DIR, with an optional :NAME`);
  const transport = m[1]!;
  const colon = m[2]!.indexOf(":");
  const path = resolve(colon < 0 ? m[2]! : m[2]!.slice(0, colon));
  const ref = colon < 0 ? undefined : m[2]!.slice(colon + 1) || undefined;
  const isDir = existsSync(path) && statSync(path).isDirectory();
  if (!existsSync(path)) throw new FetchError(`cannot read "${arg}": ${path} does not exist`);
  if (transport === "oci") {
    if (!isDir) throw new FetchError(`cannot read "${arg}": ${path} is not a directory (use oci-archive: for a tar)`);
    return ociSource(async () => dirTree(path), path, ref, arg, platform);
  }
  if (isDir) throw new FetchError(`cannot read "${arg}": ${path} is a directory (use oci: for an OCI layout directory)`);
  return transport === "oci-archive"
    ? ociSource(() => tarTree(path), path, ref, arg, platform)
    : dockerArchiveSource(path, ref, arg, platform);
}
