// Docker image config → appc image manifest, as docker2aci v0.17.2 (GenerateManifestV22) wrote it
// for rkt's squashed images: name `<registry>/<repository>`, labels version/os/arch, the app from
// Entrypoint+Cmd, Env, User, WorkingDir, ExposedPorts and Volumes, and docker2aci's annotations
// (reference/docker-and-net.md §A.4). Pure: the layers are squashed elsewhere (squash.ts).
import { FetchError } from "../errors.ts";
import { warn } from "../log.ts";
import type { App, EnvironmentVariable, MountPoint, Port } from "../schema/app.ts";
import { type ImageManifest, parseImageManifest } from "../schema/image-manifest.ts";
import { APPC_VERSION, isEnvName, isTimestamp, type Label, sanitizeACName } from "../schema/types.ts";
import type { ImageConfig } from "./types.ts";

/** docker2aci's annotation names (lib/common/common.go). */
export const DOCKER_ANNOTATIONS = {
  originalName: "appc.io/docker/originalname",
  registryUrl: "appc.io/docker/registryurl",
  repository: "appc.io/docker/repository",
  imageId: "appc.io/docker/imageid",
  manifestHash: "appc.io/docker/manifesthash",
  entrypoint: "appc.io/docker/entrypoint",
  cmd: "appc.io/docker/cmd",
} as const;

/** Where a converted image came from: what names and annotations it gets. */
export interface ImageOrigin {
  /** what the user asked for, without a `docker://` prefix */
  originalName: string;
  /** registry host, when the image came from or names a registry */
  registry?: string;
  /** repository path, e.g. `library/busybox` */
  repository: string;
  /** the tag (label `version`); absent for images pulled by digest */
  tag?: string;
}

/** appc's SanitizeACIdentifier: lowercase, other characters → "_", separators at the edges dropped. */
export function sanitizeACIdentifier(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9._~/-]/g, "_").replace(/^[-._~/]+|[-._~/]+$/g, "");
  if (out === "") throw new FetchError(`cannot name image "${s}": no letters or digits in it`);
  return out;
}

/** Docker/Go os+arch(+variant) → appc label values (appc ToAppcOSArch). */
export function appcOSArch(os: string, arch: string, variant = ""): { os: string; arch: string } {
  const table: Record<string, string> = {
    amd64: "amd64",
    "386": "i386",
    arm64: "aarch64",
    arm: variant === "v7" || variant === "7" ? "armv7l" : "armv6l",
    ppc64: "ppc64",
    ppc64le: "ppc64le",
    s390x: "s390x",
  };
  const appcArch = table[arch];
  if (!appcArch || os !== "linux") throw new FetchError(`cannot convert image for ${os}/${arch}: appc has no name for this platform`);
  return { os, arch: appcArch };
}

/** `""` → root; `"u"` → user u, group u; `"u:g"` → u, g (docker2aci parseDockerUser). */
export function dockerUser(user: string | undefined): { user: string; group: string } {
  if (!user) return { user: "0", group: "0" };
  const [u, g] = user.split(":");
  return { user: u!, group: g ?? u! };
}

/** ExposedPorts keys (`80/tcp`, `53/udp`, `8080`) → appc ports named `80-tcp`, sorted by name. */
export function dockerPorts(exposed: Record<string, unknown> | undefined | null): Port[] {
  const ports = Object.keys(exposed ?? {}).map((spec): Port => {
    const [num, proto = "tcp"] = spec.split("/");
    const port = Number(num);
    if (!/^\d+$/.test(num!) || port < 1 || port > 65535) throw new FetchError(`cannot convert exposed port "${spec}": not a port number`);
    return { name: sanitizeACName(spec), protocol: proto, port, count: 1, socketActivated: false };
  });
  return ports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Volumes (`/var/lib/x`) → mount points named `volume-var-lib-x` (repeats get `-N`), sorted by name. */
export function dockerMountPoints(volumes: Record<string, unknown> | undefined | null): MountPoint[] {
  const seen = new Map<string, number>();
  const mps = Object.keys(volumes ?? {}).map((path): MountPoint => {
    let name = sanitizeACName(`volume/${path}`.replace(/\/+/g, "/"));
    const n = seen.get(name);
    seen.set(name, (n ?? 0) + 1);
    if (n !== undefined) name = `${name}-${n}`;
    return { name, path };
  });
  return mps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `K=V` strings → appc environment; a later duplicate wins, names appc refuses are skipped. */
function dockerEnv(env: string[] | undefined | null): EnvironmentVariable[] {
  const vars = new Map<string, string>();
  for (const kv of env ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) continue;
    const name = kv.slice(0, eq);
    if (!isEnvName(name)) {
      warn(`skipping environment variable "${name}" of the docker image: appc does not allow this name`);
      continue;
    }
    vars.delete(name);
    vars.set(name, kv.slice(eq + 1));
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}

/**
 * The appc manifest of a converted Docker image. `configDigest` is the Docker image ID and
 * `manifestDigest` the hash of the registry manifest (absent for `docker save` archives).
 */
export function dockerToAppcManifest(
  config: ImageConfig,
  origin: ImageOrigin,
  ids: { configDigest: string; manifestDigest?: string },
): ImageManifest {
  const name = sanitizeACIdentifier(origin.registry ? `${origin.registry}/${origin.repository}` : origin.repository);
  const { os, arch } = appcOSArch(config.os, config.architecture, config.variant);
  const labels: Label[] = [
    { name: "arch", value: arch },
    { name: "os", value: os },
    ...(origin.tag ? [{ name: "version", value: origin.tag }] : []),
  ];
  const annotations: Label[] = [];
  const annotate = (n: string, v: string | undefined) => v && annotations.push({ name: n, value: v });
  annotate("author", config.author);
  annotate("created", config.created && isTimestamp(config.created) ? config.created : undefined);
  annotate(DOCKER_ANNOTATIONS.originalName, origin.originalName);
  annotate(DOCKER_ANNOTATIONS.registryUrl, origin.registry);
  annotate(DOCKER_ANNOTATIONS.repository, origin.repository);
  annotate(DOCKER_ANNOTATIONS.imageId, ids.configDigest);
  annotate(DOCKER_ANNOTATIONS.manifestHash, ids.manifestDigest);

  const c = config.config;
  let app: App | undefined;
  if (c) {
    const exec = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
    if (c.Entrypoint?.length) annotate(DOCKER_ANNOTATIONS.entrypoint, JSON.stringify(c.Entrypoint));
    if (c.Cmd?.length) annotate(DOCKER_ANNOTATIONS.cmd, JSON.stringify(c.Cmd));
    const env = dockerEnv(c.Env);
    app = {
      ...(exec.length ? { exec } : {}),
      ...dockerUser(c.User),
      ...(env.length ? { environment: env } : {}),
      ...(c.WorkingDir?.startsWith("/") ? { workingDirectory: c.WorkingDir } : {}),
      mountPoints: dockerMountPoints(c.Volumes),
      ports: dockerPorts(c.ExposedPorts),
      ...(c.Labels && Object.keys(c.Labels).length ? { userLabels: { ...c.Labels } } : {}),
    };
  }
  const manifest: ImageManifest = {
    acKind: "ImageManifest",
    acVersion: APPC_VERSION,
    name,
    labels,
    ...(app ? { app } : {}),
    annotations,
  };
  try {
    return parseImageManifest(manifest);
  } catch (err) {
    throw new FetchError(`cannot convert docker image "${origin.originalName}": the appc manifest would be invalid`, { cause: err });
  }
}
