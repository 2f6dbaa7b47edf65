// `rkt metadata-service` (rkt/metadata_service.go runMetadataService): the registration API on a unix
// socket only root on this host can reach, and the appc metadata API on TCP for the pods, sharing
// one pod registry and one HMAC key. Every request is logged as rkt's logReq did; the caller prints.
// rkt also accepted its socket from systemd (LISTEN_FDS); Bun cannot serve on an inherited listening
// descriptor, so that is refused rather than silently ignored.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
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

/** Starts both listeners; throws when either cannot listen (nothing is left listening then). */
export function startMetadataService(opts: MetadataServiceOptions): MetadataService {
  if (process.env.LISTEN_FDS) {
    throw new RktError("cannot use the socket passed by systemd (LISTEN_FDS): socket activation is not supported, start rkt metadata-service as a plain service");
  }
  const pods = new PodStore();
  const dir = dirname(opts.socketPath);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (cause) {
    throw new RktError(`cannot create directory "${dir}" for the registration socket`, { cause });
  }
  let unix: Server<undefined>;
  try {
    unix = Bun.serve({ unix: opts.socketPath, fetch: logged(registrationApi(pods), opts.log) });
  } catch (cause) {
    throw new RktError(`cannot listen on registration socket "${opts.socketPath}"`, { cause });
  }
  let tcp: Server<undefined>;
  try {
    tcp = Bun.serve({ port: opts.port, hostname: opts.host, fetch: logged(publicApi(pods, new PodHmac()), opts.log) });
  } catch (cause) {
    unix.stop(true);
    throw new RktError(`cannot listen on port ${opts.port}`, { cause });
  }
  return {
    port: tcp.port!,
    stop() {
      tcp.stop(true);
      unix.stop(true);
    },
  };
}
