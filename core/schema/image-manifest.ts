// The appc image manifest (appc.md §3, schema/image.go): parsed from an ACI's `manifest` file and
// fully validated; fields this schema does not know stay on the objects so that
// `image cat-manifest` prints what the image had.
import { type App, parseApp } from "./app.ts";
import { at, decodeJSON, Fields, rebuild } from "./fields.ts";
import type { Label } from "./types.ts";

/** An image this one is rendered on top of (fetched by name and labels, pinned by imageID). */
export interface Dependency {
  imageName: string;
  imageID?: string;
  labels?: Label[];
  size?: number;
}

export interface ImageManifest {
  acKind: "ImageManifest";
  acVersion: string;
  name: string;
  labels?: Label[];
  app?: App;
  annotations?: Label[];
  dependencies?: Dependency[];
  pathWhitelist?: string[];
}

function dependency(f: Fields, v: unknown, path: string): Dependency {
  const o = f.object(v, path);
  return rebuild<Dependency>(o, {
    imageName: f.acIdentifier(o.imageName, at(path, "imageName")),
    imageID: f.optional(o.imageID, at(path, "imageID"), f.imageID),
    labels: f.optional(o.labels, at(path, "labels"), f.labels),
    size: f.optional(o.size, at(path, "size"), f.uint),
  });
}

/** Parses and validates an image manifest (JSON text, bytes or a decoded object); throws ManifestError. */
export function parseImageManifest(input: unknown): ImageManifest {
  const f = new Fields("image manifest");
  const o = f.object(decodeJSON(input, f.subject), "");
  return rebuild<ImageManifest>(o, {
    ...f.kind(o, "ImageManifest"),
    name: f.acIdentifier(o.name, "name"),
    labels: f.optional(o.labels, "labels", f.labels),
    app: f.optional(o.app, "app", (v, p) => parseApp(f, v, p)),
    annotations: f.optional(o.annotations, "annotations", f.annotations),
    dependencies: f.optional(o.dependencies, "dependencies", (v, p) => f.list(v, p, (d, dp) => dependency(f, d, dp))),
    pathWhitelist: f.optional(o.pathWhitelist, "pathWhitelist", (v, p) => f.list(v, p, f.absPath)),
  });
}

/** JSON of a manifest after validating it (as appc's MarshalJSON); `pretty` indents with tabs as rkt does. */
export function serializeImageManifest(m: ImageManifest, pretty = false): string {
  return JSON.stringify(parseImageManifest(m), null, pretty ? "\t" : undefined);
}
