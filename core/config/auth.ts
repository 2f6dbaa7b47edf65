// Credentials from `auth.d` (rkt/config/auth.go, layout.md §3): kind `auth` authenticates image,
// signature, key and discovery requests per domain (`basic` user/password and `oauth` bearer token
// as an Authorization header, `aws` by signing each request with AWS Signature Version 4); kind
// `dockerAuth` gives basic credentials per Docker registry. A later config directory overrides an
// earlier one per domain/registry; one directory naming a domain twice is an error.
import { guessAwsRegion, signAwsV4, type AwsCredentials, type SignableRequest } from "../fetch/aws-sigv4.ts";
import { ConfigError, readConfigFiles, type ConfigDirs, type ConfigFile } from "./config-files.ts";

/** Basic credentials of a `dockerAuth` entry (also the shape of `basic` auth). */
export interface BasicCredentials {
  user: string;
  password: string;
}

/** One domain's `auth` entry (`path`: the file it came from). */
export type DomainAuth =
  | { type: "basic" | "oauth"; path: string; /** the Authorization header value */ header: string }
  | { type: "aws"; path: string; credentials: AwsCredentials; /** `awsRegion`; guessed from the host when absent */ region?: string };

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

function nonEmpty(file: ConfigFile, c: Record<string, unknown>, field: string, what: string): string {
  const v = c[field];
  if (typeof v !== "string" || v === "") throw new ConfigError(`cannot read configuration "${file.path}": no ${what} specified`);
  return v;
}

/** The credentials of an `auth` file. */
function domainAuth(file: ConfigFile): DomainAuth {
  const type = file.body.type;
  if (type === "basic") {
    const { user, password } = basic(file);
    return { type, header: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`, path: file.path };
  }
  if (type === "oauth") {
    return { type, header: `Bearer ${nonEmpty(file, credentials(file), "token", "oauth bearer token")}`, path: file.path };
  }
  if (type === "aws") {
    const c = credentials(file);
    const accessKeyId = nonEmpty(file, c, "accessKeyID", "AWS Access Key ID");
    const secretAccessKey = nonEmpty(file, c, "secretAccessKey", "AWS Secret Access Key");
    if (c.awsRegion !== undefined && typeof c.awsRegion !== "string") {
      throw new ConfigError(`cannot read configuration "${file.path}": expected "awsRegion" to be a string`);
    }
    return { type, credentials: { accessKeyId, secretAccessKey }, region: c.awsRegion || undefined, path: file.path };
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
        const auth = domainAuth(file);
        for (const d of names.map((n) => n.toLowerCase())) {
          if (domains.has(d)) throw new ConfigError(`cannot read configuration "${file.path}": auth for domain "${d}" is already specified`);
          domains.set(d, auth);
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
 * The headers that authenticate `req`: only over https (credentials never travel in clear, as
 * rkt's resumableSession) and only for the exact host[:port] an `auth` entry names. An `aws` entry
 * signs the request as it stands at time `now` (service s3), so add every other header first.
 */
export function authHeaders(config: AuthConfig | undefined, req: SignableRequest, now = new Date()): Record<string, string> {
  const auth = req.url.protocol === "https:" ? config?.domains.get(req.url.host.toLowerCase()) : undefined;
  if (!auth) return {};
  if (auth.type !== "aws") return { authorization: auth.header };
  return signAwsV4(req, auth.credentials, { region: auth.region ?? guessAwsRegion(req.url.host), service: "s3" }, now);
}
