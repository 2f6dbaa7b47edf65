// The pod manifest stage0 writes for stage1, as rkt's stage0 generatePodManifest: each image's app
// with the command line's overrides (exec, args, user, group, env, mounts, …), rkt's environment
// precedence, pod volumes, and rkt's own acVersion and annotations. Pure: no I/O.
import { UsageError } from "../errors.ts";
import type { App, EnvironmentVariable } from "../schema/app.ts";
import type { ImageManifest } from "../schema/image-manifest.ts";
import type { ExposedPort, Mount, PodManifest, RuntimeApp, Volume } from "../schema/pod-manifest.ts";
import { forwardedPorts } from "../networks.ts";
import { isIP } from "./dns.ts";
import { appNameFromImageName, isACName, keyValues, type Label } from "../schema/types.ts";
import { rktVersion } from "../version.ts";
import { applyIsolatorOverrides, type IsolatorOverrides } from "./app-isolators.ts";

/** One app as the command line describes it (after cmd/_apps.ts). */
export interface AppOptions {
  image: string;
  signature?: string;
  exec?: string;
  args: string[];
  name?: string;
  user?: string;
  group?: string;
  supplementaryGIDs?: number[];
  workingDir?: string;
  readOnlyRootFS?: boolean;
  environment: [string, string][];
  mounts: Mount[];
  annotations: Label[];
  userAnnotations: Record<string, string>;
  userLabels: Record<string, string>;
  /** --memory, --cpu, --caps-retain, … (core/stage0/app-isolators.ts) */
  isolators?: IsolatorOverrides;
}

/** Pod-wide options of run/prepare that shape the manifest. */
export interface PodOptions {
  volumes: Volume[];
  /** --mount before the first image: for every app */
  mounts: Mount[];
  /** --set-env-file then --set-env, in order */
  setEnv: [string, string][];
  /** --inherit-env: rkt's own environment under the image's */
  inheritEnv: boolean;
  inheritedEnv?: Record<string, string | undefined>;
  /** --port: host ports forwarded to the apps' ports of those names */
  ports?: ExposedPort[];
}

/** An app's image, already in the store. */
export interface ResolvedImage {
  key: string;
  manifest: ImageManifest;
}

/** Parses `--port NAME:[HOSTIP:]HOSTPORT` (rkt's portList.Set). */
export function parsePortFlag(s: string): ExposedPort {
  const parts = s.split(":");
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`invalid --port "${s}": expected NAME:[HOSTIP:]HOSTPORT`);
  const [name, ...rest] = parts as [string, ...string[]];
  const hostIP = rest.length === 2 ? rest[0]! : undefined;
  const port = rest[rest.length - 1]!;
  if (!isACName(name)) throw new UsageError(`invalid --port "${s}": "${name}" is not a valid port name`);
  if (hostIP !== undefined && isIP(hostIP) !== 4) throw new UsageError(`invalid --port "${s}": "${hostIP}" is not a valid IPv4 address`);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`invalid --port "${s}": "${port}" is not a valid port number`);
  return hostIP ? { name, hostIP, hostPort: Number(port) } : { name, hostPort: Number(port) };
}

/** Parses `--mount volume=NAME,target=PATH`. */
export function parseMountFlag(s: string): Mount {
  const kv = keyValues(s, (problem) => {
    throw new UsageError(`invalid --mount "${s}": ${problem}`);
  });
  const volume = kv.get("volume");
  const path = kv.get("target");
  if (!volume || !path || kv.size !== 2) throw new UsageError(`invalid --mount "${s}": expected volume=NAME,target=PATH`);
  return { volume, path };
}

/** Parses `K=V` of --set-env / --environment; duplicate keys in one flag list are an error as in rkt. */
export function parseEnvFlags(values: readonly string[], flag: string): [string, string][] {
  const seen = new Set<string>();
  return values.map((v) => {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid --${flag} "${v}": expected KEY=VALUE`);
    const key = v.slice(0, eq);
    if (seen.has(key)) throw new UsageError(`invalid --${flag} "${v}": ${key} is set twice`);
    seen.add(key);
    return [key, v.slice(eq + 1)];
  });
}

/** `K=V` lines of a --set-env-file: blank lines and lines starting with # or ; are skipped. */
export function parseEnvFile(text: string): [string, string][] {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#") && !l.startsWith(";"));
  return parseEnvFlags(lines, "set-env-file");
}

function mergeEnv(image: readonly EnvironmentVariable[], app: AppOptions, pod: PodOptions): EnvironmentVariable[] {
  const env = new Map<string, string>();
  if (pod.inheritEnv) {
    const imageNames = new Set(image.map((e) => e.name));
    for (const [k, v] of Object.entries(pod.inheritedEnv ?? process.env)) if (v !== undefined && !imageNames.has(k)) env.set(k, v);
  }
  for (const e of image) env.set(e.name, e.value);
  for (const [k, v] of pod.setEnv) env.set(k, v);
  for (const [k, v] of app.environment) env.set(k, v);
  return [...env].map(([name, value]) => ({ name, value }));
}

function runtimeApp(name: string, img: ResolvedImage, app: AppOptions, pod: PodOptions): RuntimeApp {
  if (!img.manifest.app && !app.exec) {
    throw new UsageError(`image "${app.image}" has no app section and --exec argument is not provided`);
  }
  // as rkt: a minimal app (the caller's ids) when only --exec gives one; --exec replaces the whole
  // exec, and arguments after `--` are appended to whatever exec is left
  const base: App = img.manifest.app ?? { user: String(process.getuid?.() ?? 0), group: String(process.getgid?.() ?? 0) };
  const exec = app.exec ? [app.exec] : [...(base.exec ?? [])];
  exec.push(...app.args);
  const a: App = {
    ...base,
    exec,
    user: app.user ?? base.user,
    group: app.group ?? base.group,
    environment: mergeEnv(base.environment ?? [], app, pod),
  };
  if (app.supplementaryGIDs) a.supplementaryGIDs = app.supplementaryGIDs;
  if (app.workingDir) a.workingDirectory = app.workingDir;
  if (app.isolators) {
    const isolators = applyIsolatorOverrides(base.isolators ?? [], app.isolators);
    if (isolators.length) a.isolators = isolators;
  }
  if (Object.keys(app.userAnnotations).length) a.userAnnotations = { ...a.userAnnotations, ...app.userAnnotations };
  if (Object.keys(app.userLabels).length) a.userLabels = { ...a.userLabels, ...app.userLabels };
  // per-app mounts win over pod-wide ones on the same path
  const mounts = [...app.mounts, ...pod.mounts.filter((m) => !app.mounts.some((x) => x.path === m.path))];
  const ra: RuntimeApp = { name, image: { name: img.manifest.name, id: img.key, labels: img.manifest.labels }, app: a };
  if (mounts.length) ra.mounts = mounts;
  if (app.readOnlyRootFS) ra.readOnlyRootFS = true;
  if (app.annotations.length) ra.annotations = app.annotations;
  return ra;
}

/** The pod manifest for `apps` (images resolved in the same order). */
export function generatePodManifest(apps: readonly AppOptions[], images: readonly ResolvedImage[], pod: PodOptions): PodManifest {
  if (apps.length === 0) throw new UsageError("must provide at least one image");
  const names = new Set<string>();
  const runtimeApps = apps.map((app, i) => {
    const img = images[i]!;
    const name = app.name ?? appNameFromImageName(img.manifest.name);
    if (!isACName(name)) throw new UsageError(`invalid app name "${name}": expected lowercase a-z, 0-9 and "-"`);
    if (names.has(name)) throw new UsageError(`error: multiple apps with name ${name}`);
    names.add(name);
    return runtimeApp(name, img, app, pod);
  });
  const ports = pod.ports ?? [];
  // stage1 matches them again; a name no app has fails here, before any pod exists
  forwardedPorts({ apps: runtimeApps, ports });
  return {
    acVersion: rktVersion(),
    acKind: "PodManifest",
    apps: runtimeApps,
    volumes: pod.volumes,
    isolators: [],
    annotations: [{ name: "coreos.com/rkt/stage1/mutable", value: "false" }],
    ports,
  };
}
