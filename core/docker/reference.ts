// Docker image references as rkt accepted them: `docker://[REGISTRY[:PORT]/]NAME[:TAG|@DIGEST]` (or
// `docker:…`), normalised with docker's rules (a first component is a registry only if it has a `.`
// or `:` or is `localhost`; Docker Hub is `registry-1.docker.io` and its one-word names get
// `library/`; the tag defaults to `latest`). See reference/docker-and-net.md §A.1.
import { UsageError } from "../errors.ts";

/** The registry docker2aci names Docker Hub images after (and talks to). */
export const DOCKER_HUB = "registry-1.docker.io";

/** A parsed `docker://` reference. */
export interface DockerReference {
  /** what the user wrote, without the `docker://` prefix (annotation appc.io/docker/originalname) */
  original: string;
  /** registry host, with its port if one was given */
  registry: string;
  /** repository path on the registry, e.g. `library/busybox` */
  repository: string;
  /** the tag; absent when the reference names a digest */
  tag?: string;
  /** `sha256:<64 hex>` when the reference names a digest */
  digest?: string;
}

const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Removes a `docker://` or `docker:` scheme, if present. */
export function stripDockerScheme(input: string): string {
  if (input.startsWith("docker://")) return input.slice("docker://".length);
  if (input.startsWith("docker:")) return input.slice("docker:".length);
  return input;
}

/** Parses a Docker image reference; a malformed one is a usage error naming what is wrong. */
export function parseDockerReference(input: string): DockerReference {
  const original = stripDockerScheme(input);
  const bad = (why: string) => new UsageError(`invalid docker image reference "${input}": ${why}`);
  let rest = original;
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`digest "${digest}" is not sha256:<64 lowercase hex digits>`);
  }
  const colon = rest.lastIndexOf(":");
  if (colon >= 0 && !rest.slice(colon + 1).includes("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" is not valid`);
  }
  if (rest === "") throw bad("the image name is empty");

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost") {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!DOMAIN.test(registry)) throw bad(`registry "${registry}" is not a host name`);
    }
  }
  if (registry === "docker.io" || registry === "index.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  for (const c of repository.split("/")) {
    if (!PATH_COMPONENT.test(c)) throw bad(`repository component "${c}" must be lowercase letters, digits and separators`);
  }
  if (registry.length + 1 + repository.length > 255) throw bad("the name is longer than 255 characters");
  if (!digest && !tag) tag = "latest";
  return { original, registry, repository, ...(digest ? { digest } : { tag: tag! }) };
}

/** The canonical `docker://registry/repository:tag|@digest` form (the store's remote URL). */
export function formatDockerReference(ref: DockerReference): string {
  return `docker://${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
}
