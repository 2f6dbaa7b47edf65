// Credentials from `auth.d` (rkt/config/auth.go, layout.md §3): kind `auth` gives an Authorization
// header (`basic` user/password, `oauth` bearer token) per domain for image, signature, key and
// discovery requests; kind `dockerAuth` gives basic credentials per Docker registry. A later config
// directory overrides an earlier one per domain/registry; one directory naming a domain twice is an error.
import { warn } from "../log.ts";
import { ConfigError, readConfigFiles, type ConfigDirs, type ConfigFile } from "./config-files.ts";

/** Basic credentials of a `dockerAuth` entry (also the shape of `basic` auth). */
export interface BasicCredentials {
  user: string;
  password: string;
}

/** One domain's `auth` entry. */
export interface DomainAuth {
  type: "basic" | "oauth";
  /** the Authorization header value */
  header: string;
  /** the file it came from */
  path: string;
}

export interface AuthConfig {
  /** by host as it appears in URLs (`example.com`, or `example.com:8443` with a port), lowercase */
  domains: Map<string, DomainAuth>;
  /** `dockerAuth` credentials by registry host */
  docker: Map<string, BasicCredentials>;
}

function strings(file: ConfigFile, field: string): string[] {
  const v = file.body[field];
  if (!Array.isArray(v) || v.length === 0 || !v.every((d) => typeof d === "string" && d !== "")) {
    throw new ConfigError(`cannot read configuration "${file.path}": expected "${field}" to be a non-empty list of names`);
  }
  return v as string[];
}

function credentials(file: ConfigFile): Record<string, unknown> {
  const c = file.body.credentials;
  if (typeof c !== "object" || c === null) throw new ConfigError(`cannot read configuration "${file.path}": no credentials`);
  return c as Record<string, unknown>;
}

function basic(file: ConfigFile): BasicCredentials {
  const { user, password } = credentials(file);
  if (typeof user !== "string" || user === "") throw new ConfigError(`cannot read configuration "${file.path}": user not specified`);
  if (typeof password !== "string" || password === "") throw new ConfigError(`cannot read configuration "${file.path}": password not specified`);
  return { user, password };
}

/** The header of an `auth` file, or undefined for a type this rkt cannot use (warned about). */
function authHeader(file: ConfigFile): DomainAuth | undefined {
  const type = file.body.type;
  if (type === "basic") {
    const { user, password } = basic(file);
    return { type, header: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`, path: file.path };
  }
  if (type === "oauth") {
    const { token } = credentials(file);
    if (typeof token !== "string" || token === "") throw new ConfigError(`cannot read configuration "${file.path}": no oauth bearer token specified`);
    return { type, header: `Bearer ${token}`, path: file.path };
  }
  if (type === "aws") {
    warn(`ignoring "${file.path}": aws (Signature Version 4) credentials are not supported`);
    return undefined;
  }
  if (typeof type !== "string" || type === "") throw new ConfigError(`cannot read configuration "${file.path}": no auth type specified`);
  throw new ConfigError(`cannot read configuration "${file.path}": unknown auth type "${type}", expected basic, oauth or aws`);
}

/** Reads `auth.d` of every config directory and merges it (later directories win per domain). */
export function loadAuthConfig(dirs: ConfigDirs): AuthConfig {
  const config: AuthConfig = { domains: new Map(), docker: new Map() };
  for (const files of readConfigFiles(dirs, "auth.d", ["auth", "dockerAuth"])) {
    const domains = new Map<string, DomainAuth>();
    const docker = new Map<string, BasicCredentials>();
    for (const file of files) {
      if (file.kind === "auth") {
        const names = strings(file, "domains");
        const auth = authHeader(file);
        for (const d of names.map((n) => n.toLowerCase())) {
          if (domains.has(d)) throw new ConfigError(`cannot read configuration "${file.path}": auth for domain "${d}" is already specified`);
          if (auth) domains.set(d, auth);
        }
      } else {
        const creds = basic(file);
        for (const r of strings(file, "registries").map((n) => n.toLowerCase())) {
          if (docker.has(r)) throw new ConfigError(`cannot read configuration "${file.path}": credentials for docker registry "${r}" are already specified`);
          docker.set(r, creds);
        }
      }
    }
    for (const [d, a] of domains) config.domains.set(d, a);
    for (const [r, c] of docker) config.docker.set(r, c);
  }
  return config;
}

/**
 * The Authorization header for a request to `url`: only over https (credentials never travel in
 * clear, as rkt's getHeadersForURL) and only for the exact host[:port] an `auth` entry names.
 */
export function authorizationFor(config: AuthConfig | undefined, url: URL): string | undefined {
  if (!config || url.protocol !== "https:") return undefined;
  return config.domains.get(url.host.toLowerCase())?.header;
}
