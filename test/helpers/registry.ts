// A real Docker registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with a
// config written here, optionally over TLS with a certificate made on the spot, optionally behind
// token auth served by a tiny token server of our own (ES256 JWTs whose x5c certificate is the
// registry's trusted root). Everything is stopped by the PID or server object it started.
import { createPrivateKey, sign, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const SKOPEO_BIN = "/usr/bin/skopeo";

/** A TCP port nobody listens on right now. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** A self-signed certificate + key for `cn`, valid for 127.0.0.1 (openssl, P-256). */
export function makeCert(dir: string, cn: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  const p = Bun.spawnSync([
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${cn}`,
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl req failed: ${p.stderr.toString()}`);
  return { cert, key };
}

export interface TokenServer extends Disposable {
  realm: string;
  service: string;
  issuer: string;
  /** the certificate the registry must trust (its `rootcertbundle`) */
  certFile: string;
  /** token requests seen, with whether they carried valid credentials */
  requests: { scope: string | null; user?: string }[];
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * A token server as distribution's token auth expects: checks basic credentials against `users`,
 * grants the requested actions to known users and `pull` to anonymous callers when `anonymousPull`.
 */
export function startTokenServer(dir: string, opts: { users: Record<string, string>; anonymousPull: boolean }): TokenServer {
  const { cert, key } = makeCert(dir, "token-signer");
  const der = new X509Certificate(readFileSync(cert)).raw;
  const privateKey = createPrivateKey(readFileSync(key));
  const service = "rkt-test-registry";
  const issuer = "rkt-test-issuer";
  const requests: TokenServer["requests"] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const scope = url.searchParams.get("scope");
      let user: string | undefined;
      const auth = req.headers.get("authorization");
      if (auth?.startsWith("Basic ")) {
        const [u, ...rest] = Buffer.from(auth.slice(6), "base64").toString().split(":");
        if (opts.users[u!] === undefined || opts.users[u!] !== rest.join(":")) return new Response("bad credentials", { status: 401 });
        user = u;
      }
      requests.push({ scope, user });
      if (!user && !opts.anonymousPull) return new Response("credentials required", { status: 401 });
      const access = (scope ? [scope] : []).flatMap((s) => {
        const [type, name, actions] = [s.split(":")[0]!, s.split(":").slice(1, -1).join(":"), s.split(":").at(-1)!];
        const granted = actions.split(",").filter((a) => user || a === "pull");
        return granted.length ? [{ type, name, actions: granted }] : [];
      });
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: "JWT", alg: "ES256", x5c: [der.toString("base64")] };
      const claims = { iss: issuer, sub: user ?? "", aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
      return Response.json({ token: `${input}.${b64url(sig)}` });
    },
  });
  return {
    realm: `http://127.0.0.1:${server.port}/token`,
    service,
    issuer,
    certFile: cert,
    requests,
    [Symbol.dispose]: () => void server.stop(true),
  };
}

export interface TestRegistry extends Disposable {
  /** `127.0.0.1:<port>` */
  host: string;
  pid: number;
  /** the certificate it serves when started with TLS */
  certFile?: string;
  stop(): void;
}

/** Starts `docker-registry serve` on a free port of 127.0.0.1 and waits until it answers. */
export async function startRegistry(
  dir: string,
  opts: { tls?: boolean; token?: TokenServer; schema1?: boolean } = {},
): Promise<TestRegistry> {
  mkdirSync(dir, { recursive: true });
  const port = freePort();
  const host = `127.0.0.1:${port}`;
  const tls = opts.tls ? makeCert(dir, "registry") : undefined;
  const lines = [
    "version: 0.1",
    "log: {level: error, accesslog: {disabled: true}}",
    `storage: {filesystem: {rootdirectory: ${join(dir, "storage")}}, delete: {enabled: true}}`,
    `http: {addr: "${host}"${tls ? `, tls: {certificate: ${tls.cert}, key: ${tls.key}}` : ""}}`,
  ];
  // distribution 2.8 refuses schema1 pushes unless told to accept them
  if (opts.schema1) lines.push("compatibility: {schema1: {enabled: true}}");
  if (opts.token) {
    const t = opts.token;
    lines.push(`auth: {token: {realm: "${t.realm}", service: ${t.service}, issuer: ${t.issuer}, rootcertbundle: ${t.certFile}}}`);
  }
  const config = join(dir, "config.yml");
  writeFileSync(config, lines.join("\n") + "\n");
  const log = join(dir, "registry.log");
  const proc = Bun.spawn([REGISTRY_BIN, "serve", config], { stdout: Bun.file(log), stderr: Bun.file(log) });
  const stop = () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
  };
  const url = `${tls ? "https" : "http"}://${host}/v2/`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url, { tls: { rejectUnauthorized: false } });
      break;
    } catch {
      if (proc.exitCode !== null || i > 100) {
        stop();
        throw new Error(`docker-registry did not start: ${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
      }
      await Bun.sleep(50);
    }
  }
  return { host, pid: proc.pid, certFile: tls?.cert, stop, [Symbol.dispose]: stop };
}

/**
 * Runs `skopeo copy` (TLS verification off: the test registries are on 127.0.0.1). Asynchronous,
 * because the token server it may talk to runs in this process.
 */
export async function skopeoCopy(src: string, dest: string, opts: { destCreds?: string; srcCreds?: string } = {}): Promise<void> {
  const args = [SKOPEO_BIN, "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false"];
  if (opts.destCreds) args.push(`--dest-creds=${opts.destCreds}`);
  if (opts.srcCreds) args.push(`--src-creds=${opts.srcCreds}`);
  const p = Bun.spawn([...args, src, dest], { stderr: "pipe", stdout: "ignore" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`skopeo copy ${src} ${dest} failed: ${err}`);
}
