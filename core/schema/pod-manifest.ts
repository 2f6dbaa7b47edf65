// The appc pod manifest (appc.md §4, schema/pod.go, schema/types/volume.go): what stage0 writes
// for stage1 and what `--pod-manifest` supplies; plus rkt's `--volume` flag syntax, which
// describes the same Volume. Unknown fields are kept, as in image-manifest.ts.
import { type App, parseApp, type Port, parsePort } from "./app.ts";
import { at, decodeJSON, Fields, rebuild } from "./fields.ts";
import { type Isolator, parseIsolators } from "./isolators.ts";
import { isIPAddress, keyValues, type Label } from "./types.ts";

/** A pod volume: a host directory, or an empty one created for the pod (mode/uid/gid filled in). */
export interface Volume {
  name: string;
  kind: "host" | "empty";
  source?: string;
  readOnly?: boolean;
  recursive?: boolean;
  mode?: string;
  uid?: number;
  gid?: number;
}

/** A volume mounted into one app at `path`; `appVolume` defines the volume inline. */
export interface Mount {
  volume: string;
  path: string;
  appVolume?: Volume;
}

export interface RuntimeImage {
  id: string;
  name?: string;
  labels?: Label[];
}

export interface RuntimeApp {
  name: string;
  image: RuntimeImage;
  app?: App;
  readOnlyRootFS?: boolean;
  mounts?: Mount[];
  annotations?: Label[];
}

/** A host port forwarded to the app port of the same name (or to `podPort`). */
export interface ExposedPort {
  name: string;
  hostPort: number;
  hostIP?: string;
  podPort?: Port;
}

export interface PodManifest {
  acVersion: string;
  acKind: "PodManifest";
  apps: RuntimeApp[];
  volumes: Volume[];
  isolators: Isolator[];
  annotations: Label[];
  ports: ExposedPort[];
  userAnnotations?: Record<string, string>;
  userLabels?: Record<string, string>;
}

/** Checks a volume as appc's Volume.assertValid, after filling empty volumes' defaults (0755, 0, 0). */
function checkVolume(f: Fields, o: Record<string, unknown>, path: string): Volume {
  const p = (key: string) => at(path, key);
  const name = f.acName(o.name, p("name"));
  const common = {
    name,
    readOnly: f.optional(o.readOnly, p("readOnly"), f.bool),
    recursive: f.optional(o.recursive, p("recursive"), f.bool),
  };
  const mode = f.optional(o.mode, p("mode"), f.string);
  if (mode !== undefined && !/^[0-7]{1,4}$/.test(mode)) f.fail(p("mode"), 'an octal mode like "0755"', mode);
  const uid = f.optional(o.uid, p("uid"), f.uint);
  const gid = f.optional(o.gid, p("gid"), f.uint);
  const source = f.optional(o.source, p("source"), f.string) ?? "";
  switch (o.kind) {
    case "empty":
      if (source !== "") f.fail(p("source"), "no source for an empty volume", source);
      return rebuild<Volume>(o, { ...common, kind: "empty", mode: mode ?? "0755", uid: uid ?? 0, gid: gid ?? 0 });
    case "host":
      for (const [key, v] of Object.entries({ mode, uid, gid })) {
        if (v !== undefined) f.fail(p(key), `no ${key} for a host volume`, v);
      }
      return rebuild<Volume>(o, { ...common, kind: "host", source: f.absPath(o.source, p("source")) });
    default:
      return f.fail(p("kind"), '"host" or "empty"', o.kind);
  }
}

const VOLUME_KEYS = ["kind", "source", "readOnly", "recursive", "mode", "uid", "gid"];

/** Go's strconv.ParseBool spellings. */
const BOOLS: Record<string, boolean> = { "1": true, t: true, T: true, true: true, TRUE: true, True: true, "0": false, f: false, F: false, false: false, FALSE: false, False: false };

/**
 * Parses rkt's `--volume` value: `NAME,kind=host,source=/abs[,readOnly=B][,recursive=B]` or
 * `NAME,kind=empty[,mode=0755][,uid=0][,gid=0][,readOnly=B]` (appc's VolumeFromString).
 */
export function parseVolumeFlag(s: string): Volume {
  const f = new Fields(`volume ${JSON.stringify(s)}`);
  const raw = Object.fromEntries(keyValues(`name=${s}`, (problem) => f.reject("", problem)));
  const o: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === "name") o.name = value;
    else if (!VOLUME_KEYS.includes(key)) f.fail("", `a parameter among ${VOLUME_KEYS.join(", ")}`, key);
    else if (key === "readOnly" || key === "recursive") o[key] = BOOLS[value] ?? f.fail(key, "true or false", value);
    else if (key === "uid" || key === "gid") o[key] = /^[+-]?\d+$/.test(value) ? Number(value) : f.fail(key, "an integer", value);
    else o[key] = value;
  }
  return checkVolume(f, o, "");
}

function mount(f: Fields, v: unknown, path: string): Mount {
  const o = f.object(v, path);
  return rebuild<Mount>(o, {
    volume: f.acName(o.volume, at(path, "volume")),
    path: f.nonEmptyString(o.path, at(path, "path")),
    appVolume: f.optional(o.appVolume, at(path, "appVolume"), (x, p) => checkVolume(f, f.object(x, p), p)),
  });
}

function runtimeApp(f: Fields, v: unknown, path: string): RuntimeApp {
  const o = f.object(v, path);
  const p = (key: string) => at(path, key);
  const image = f.object(o.image, p("image"));
  return rebuild<RuntimeApp>(o, {
    name: f.acName(o.name, p("name")),
    image: rebuild<RuntimeImage>(image, {
      id: f.imageID(image.id, at(p("image"), "id")),
      name: f.optional(image.name, at(p("image"), "name"), f.acIdentifier),
      labels: f.optional(image.labels, at(p("image"), "labels"), f.labels),
    }),
    app: f.optional(o.app, p("app"), (x, q) => parseApp(f, x, q)),
    readOnlyRootFS: f.optional(o.readOnlyRootFS, p("readOnlyRootFS"), f.bool),
    mounts: f.optional(o.mounts, p("mounts"), (x, q) => f.list(x, q, (m, mq) => mount(f, m, mq))),
    annotations: f.optional(o.annotations, p("annotations"), f.annotations),
  });
}

function exposedPort(f: Fields, v: unknown, path: string): ExposedPort {
  const o = f.object(v, path);
  const hostIP = f.optional(o.hostIP, at(path, "hostIP"), f.string);
  if (hostIP !== undefined && !isIPAddress(hostIP)) f.fail(at(path, "hostIP"), "an IP address", hostIP);
  return rebuild<ExposedPort>(o, {
    name: f.acName(o.name, at(path, "name")),
    hostPort: f.int(o.hostPort, at(path, "hostPort"), 1, 65535),
    hostIP,
    podPort: f.optional(o.podPort, at(path, "podPort"), (x, p) => parsePort(f, x, p)),
  });
}

/** Fails on the second item of `items` whose `name` was already seen. */
function uniqueNames(f: Fields, items: { name: string }[], path: string, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) f.fail(at(at(path, i), "name"), `each ${what} name once`, item.name);
    seen.add(item.name);
  });
}

/** Parses and validates a pod manifest (JSON text, bytes or a decoded object); throws ManifestError. */
export function parsePodManifest(input: unknown): PodManifest {
  const f = new Fields("pod manifest");
  const o = f.object(decodeJSON(input, f.subject), "");
  const list = <T>(key: string, each: (v: unknown, path: string) => T): T[] =>
    f.optional(o[key], key, (v, p) => f.list(v, p, each)) ?? [];
  const manifest = rebuild<PodManifest>(o, {
    ...f.kind(o, "PodManifest"),
    apps: f.list(o.apps, "apps", (v, p) => runtimeApp(f, v, p)),
    volumes: list("volumes", (v, p) => checkVolume(f, f.object(v, p), p)),
    isolators: f.optional(o.isolators, "isolators", (v, p) => parseIsolators(f, v, p)) ?? [],
    annotations: f.optional(o.annotations, "annotations", f.annotations) ?? [],
    ports: list("ports", (v, p) => exposedPort(f, v, p)),
    userAnnotations: f.optional(o.userAnnotations, "userAnnotations", f.stringMap),
    userLabels: f.optional(o.userLabels, "userLabels", f.stringMap),
  });
  uniqueNames(f, manifest.apps, "apps", "app");
  uniqueNames(f, manifest.volumes, "volumes", "volume");
  return manifest;
}

/** JSON of a pod manifest after validating it; `pretty` indents with tabs as rkt does. */
export function serializePodManifest(m: PodManifest, pretty = false): string {
  return JSON.stringify(parsePodManifest(m), null, pretty ? "\t" : undefined);
}
