// `rkt metadata-service` (rkt/metadata_service.go runMetadataService): the registration API on a unix
// socket only root on this host can reach, and the appc metadata API on TCP for the pods, sharing
// one pod registry and one HMAC key. Every request is logged as rkt's logReq did; the caller prints.
// Socket-activated (rkt's rkt-metadata.socket: LISTEN_FDS), the registration API is served on the
// first socket systemd passed, as rkt's unixListener did.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server as NetServer } from "node:net";
import { dirname, join } from "node:path";
import type { Server } from "bun";
import { RktError } from "../errors.ts";
import { PodHmac } from "./hmac.ts";
import { PodStore } from "./pods.ts";
import { publicApi } from "./public-api.ts";
import { registrationApi } from "./registration-api.ts";

export interface MetadataServiceOptions {
  /** TCP port of the metadata API (rkt's --listen-port) */
  port: number;
  /** address the TCP listener binds */
  host: string;
  /** the registration socket */
  socketPath: string;
  /** one line per request: `METHOD URI - STATUS` */
  log: (line: string) => void;
}

export interface MetadataService {
  /** the TCP port actually bound (differs from the option when that was 0) */
  readonly port: number;
  /** Closes both listeners (and removes the socket file). */
  stop(): void;
}

/** Wraps a handler with rkt's request log and a 500 for anything unexpected. */
function logged(handler: (req: Request) => Promise<Response>, log: (line: string) => void): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    let res: Response;
    try {
      res = await handler(req);
    } catch (e) {
      log(`error serving ${req.method} ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`);
      res = new Response(null, { status: 500 });
    }
    log(`${req.method} ${url.pathname}${url.search} - ${res.status}`);
    return res;
  };
}

/** The registration socket systemd passed (fd 3, the first of LISTEN_FDS), as rkt's unixListener; undefined without. */
function activatedSocket(): number | undefined {
  const value = process.env.LISTEN_FDS;
  if (!value) return undefined;
  const count = Number(value);
  if (!Number.isInteger(count)) throw new RktError(`Error parsing LISTEN_FDS env var: "${value}" is not a number`);
  if (count < 1) throw new RktError("LISTEN_FDS < 1");
  return 3;
}

/**
 * Serves `fetch` on the listening unix socket `fd`. Bun.serve takes no inherited descriptor (and
 * node:http ignores `fd`), so node:net accepts there and relays each connection, byte for byte, to
 * Bun.serve on a socket in a new 0700 directory beside `socketPath`, which only root reaches.
 */
function serveInherited(fd: number, socketPath: string, fetch: (req: Request) => Promise<Response>, log: (line: string) => void) {
  const dir = mkdtempSync(join(dirname(socketPath), ".activated-"));
  const inner = Bun.serve({ unix: join(dir, "registration.sock"), fetch });
  const relay: NetServer = createServer((client) => {
    const server = createConnection(join(dir, "registration.sock"));
    client.pipe(server).pipe(client);
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  });
  relay.on("error", (e) => log(`cannot serve the registration socket passed by systemd: ${e.message}`));
  relay.listen({ fd });
  return {
    stop() {
      relay.close();
      inner.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts both listeners; throws when either cannot listen (nothing is left listening then). */
export function startMetadataService(opts: MetadataServiceOptions): MetadataService {
  const pods = new PodStore();
  const registration = logged(registrationApi(pods), opts.log);
  const fd = activatedSocket();
  const dir = dirname(opts.socketPath);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (cause) {
    throw new RktError(`cannot create directory "${dir}" for the registration socket`, { cause });
  }
  let unix: { stop(): void };
  if (fd !== undefined) {
    unix = serveInherited(fd, opts.socketPath, registration, opts.log);
  } else {
    try {
      const server = Bun.serve({ unix: opts.socketPath, fetch: registration });
      unix = { stop: () => server.stop(true) };
    } catch (cause) {
      throw new RktError(`cannot listen on registration socket "${opts.socketPath}"`, { cause });
    }
  }
  let tcp: Server<undefined>;
  try {
    tcp = Bun.serve({ port: opts.port, hostname: opts.host, fetch: logged(publicApi(pods, new PodHmac()), opts.log) });
  } catch (cause) {
    unix.stop();
    throw new RktError(`cannot listen on port ${opts.port}`, { cause });
  }
  return {
    port: tcp.port!,
    stop() {
      tcp.stop(true);
      unix.stop();
    },
  };
}
