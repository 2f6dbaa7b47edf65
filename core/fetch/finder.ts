// Turns what a user typed into an image in the store, with rkt's rules for what a string is
// (cli.md "Image reference forms") and its pull-policy table (image-fetching-behavior.md).
import { existsSync, statSync } from "../../ffi/sync-fs.ts";
import { resolve } from "../posix-path.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { diag } from "../log.ts";
import { hostOSArch, parseAppString, VALID_OS_ARCH } from "../schema/types.ts";
import { looksLikeImageID } from "../store/keys.ts";
import type { ImageStore } from "../store/store.ts";
import type { FetchTrust } from "./trusted.ts";

export type PullPolicy = "new" | "update" | "never";

export type ImageRef =
  | { kind: "id"; id: string }
  | { kind: "path"; path: string }
  | { kind: "http"; url: string }
  | { kind: "docker"; ref: string }
  | { kind: "name"; name: string; labels: Record<string, string> };

/** Parses `--pull-policy`. */
export function parsePullPolicy(v: string): PullPolicy {
  if (v === "new" || v === "update" || v === "never") return v;
  throw new UsageError(`invalid --pull-policy "${v}": expected new, update or never`);
}

/** A path, from a plain path or a file:// URL. */
function localPath(ref: string): string {
  return resolve(ref.startsWith("file://") ? decodeURIComponent(new URL(ref).pathname) : ref);
}

/** Classifies an image argument as rkt's finder does. */
export function classifyImage(arg: string): ImageRef {
  if (looksLikeImageID(arg)) return { kind: "id", id: arg };
  if (arg.startsWith("file://")) return { kind: "path", path: localPath(arg) };
  if (/^https?:\/\//.test(arg)) return { kind: "http", url: arg };
  if (/^(docker:|docker-archive:|oci-archive:|oci:)/.test(arg)) return { kind: "docker", ref: arg };
  if (existsSync(arg) && statSync(arg).isFile()) return { kind: "path", path: localPath(arg) };
  if (/^(\/|\.\.?\/)/.test(arg) || arg.endsWith(".aci")) return { kind: "path", path: localPath(arg) };
  const app = parseAppString(arg);
  return { kind: "name", name: app.name, labels: app.labels };
}

export interface FinderContext {
  store: ImageStore;
  pullPolicy: PullPolicy;
  /** how the signature of this image is checked (and the global options of remote fetches) */
  signature: FetchTrust;
}

/**
 * Makes sure the dependencies of a freshly fetched image are in the store (fetching them by name
 * and labels as rkt does) and renders its tree, so the first run is as fast as later ones.
 */
async function withDependencies(key: string, ctx: FinderContext): Promise<string> {
  for (const dep of ctx.store.manifest(key).dependencies ?? []) {
    if (dep.imageID) continue;
    const labels = Object.fromEntries((dep.labels ?? []).map((l) => [l.name, l.value]));
    if (!ctx.store.findByName(dep.imageName, labels)) {
      const app = [dep.imageName, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)].join(",");
      await findImage(app, { ...ctx, pullPolicy: "new", signature: ctx.signature.forDependency() });
    }
  }
  await ctx.store.renderTree(key);
  return key;
}

/** Makes sure the image named by `arg` is in the store and returns its key. */
export async function findImage(arg: string, ctx: FinderContext): Promise<string> {
  // Fetchers load only when an image must come into the store: `rkt run` by name or ID never pays
  // for the file import, HTTP, discovery or Docker code.
  const ref = classifyImage(arg);
  switch (ref.kind) {
    case "id":
      return ctx.store.resolveKey(ref.id);
    case "path": {
      const { fetchFile } = await import("./file.ts");
      return withDependencies(await fetchFile(ctx.store, ref.path, ctx.signature), ctx);
    }
    case "name": {
      // rkt's setAppDefaults: a name without os/arch means this host's.
      const app = { name: ref.name, labels: { ...hostOSArch(), ...ref.labels } };
      if (!VALID_OS_ARCH[app.labels.os]?.includes(app.labels.arch)) {
        throw new UsageError(`invalid image "${arg}": unsupported os/arch "${app.labels.os}/${app.labels.arch}"`);
      }
      if (ctx.pullPolicy !== "update") {
        const found = ctx.store.findByName(app.name, app.labels);
        if (found) {
          diag(`using image from local store for image name ${arg}`);
          return found.key;
        }
      }
      if (ctx.pullPolicy === "never") throw new NotFoundError(`image "${arg}" is not in the store (--pull-policy=never)`);
      const { fetchByName } = await import("./remote.ts");
      return withDependencies(await fetchByName(ctx.store, ctx.signature, app), ctx);
    }
    case "http": {
      const row = ctx.pullPolicy === "update" ? undefined : ctx.store.getRemote(ref.url);
      if (row && ctx.store.blobSize(row.blobkey) > 0) {
        diag(`using image from local store for url ${ref.url}`);
        return withDependencies(row.blobkey, ctx);
      }
      if (ctx.pullPolicy === "never") throw new NotFoundError(`image "${arg}" is not in the store (--pull-policy=never)`);
      diag(`remote fetching from URL "${ref.url}"`);
      const { fetchRemote, httpOptions } = await import("./remote.ts");
      const http = httpOptions(ctx.signature.g);
      return withDependencies(await fetchRemote(ctx.store, ctx.signature, http, { url: ref.url }), ctx);
    }
    case "docker": {
      const { fetchDocker } = await import("./docker.ts");
      return fetchDocker(ctx.store, ctx.signature.g, ref.ref, ctx.pullPolicy);
    }
  }
}
