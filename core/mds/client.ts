// stage0's side of the metadata service (rkt stage0/registration.go): `rkt run --mds-register`
// registers the pod and its apps' image manifests over the registration socket just before stage1
// runs and marks the pod `mds-registered`; gc unregisters pods so marked. Requests are tried three
// times a second apart, as rkt's; a missing socket gets rkt's advice on starting the service.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { messageOf, RktError } from "../errors.ts";
import { warn } from "../log.ts";
import { mdsSocketPath } from "./endpoint.ts";
import { newMdsToken } from "./token.ts";

const ATTEMPTS = 3;
const RETRY_PAUSE_MS = 1000;

/** The pod-directory marker of a registered pod (layout.md §2). */
const REGISTERED_MARKER = "mds-registered";

/** rkt's errUnreachable, word for word. */
export class MdsUnreachableError extends RktError {
  constructor() {
    super(`could not reach the metadata service.
Make sure metadata service is currently running or use
"rkt run --mds-register=false" to skip pod registration.
For more information on running metadata service,
see https://github.com/rkt/rkt/blob/master/Documentation/subcommands/metadata-service.md`);
  }
}

/** One registration request; `what` names it in errors (the URL would show the pod's token). */
async function request(method: string, path: string, what: string, body?: Uint8Array): Promise<void> {
  const socket = mdsSocketPath();
  let failure: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let res: Response;
    try {
      res = await fetch(`http://unixsock${path}`, { unix: socket, method, body });
    } catch (e) {
      failure = e;
      if (attempt === ATTEMPTS) break;
      warn(`cannot connect to the metadata service at ${socket} (${(e as { code?: string }).code ?? messageOf(e)}), retrying`);
      await Bun.sleep(RETRY_PAUSE_MS);
      continue;
    }
    const answer = (await res.text()).trim();
    if (res.status !== 200) throw new RktError(`cannot ${what}: the metadata service answered ${res.status}${answer ? ` (${answer})` : ""}`);
    return;
  }
  const code = (failure as { code?: string }).code;
  if (code === "ENOENT" || code === "ENOTSOCK") throw new MdsUnreachableError();
  throw new RktError(`cannot connect to the metadata service at "${socket}"`, { cause: failure });
}

/**
 * Registers pod `uuid` (its manifest, then each app's image manifest from `appsinfo/`) and returns
 * the token for AC_METADATA_URL. A failure after the pod was registered unregisters it again.
 * Fails with exit status 1, as rkt's stage0 (log.FatalE) did.
 */
export async function registerPod(podDir: string, uuid: string): Promise<string> {
  const token = newMdsToken();
  const marker = join(podDir, REGISTERED_MARKER);
  try {
    const manifest = readFileSync(join(podDir, "pod"));
    await request("PUT", `/pods/${uuid}?token=${token}`, `register pod "${uuid}"`, manifest);
    try {
      writeFileSync(marker, "");
      for (const { name } of JSON.parse(manifest.toString("utf8")).apps as { name: string }[]) {
        const image = readFileSync(join(podDir, "appsinfo", name, "manifest"));
        await request("PUT", `/pods/${uuid}/${name}`, `register app "${name}" of pod "${uuid}"`, image);
      }
    } catch (e) {
      await unregisterPod(podDir, uuid).then(() => rmSync(marker, { force: true }), () => {});
      throw e;
    }
  } catch (cause) {
    const err = new RktError(`cannot register pod "${uuid}" with the metadata service`, { cause });
    err.exitCode = 1;
    throw err;
  }
  return token;
}

/** Unregisters pod `uuid` if it was registered (rkt's unregisterPod); gc warns when this fails. */
export async function unregisterPod(podDir: string, uuid: string): Promise<void> {
  if (!existsSync(join(podDir, REGISTERED_MARKER))) return;
  await request("DELETE", `/pods/${uuid}`, `unregister pod "${uuid}"`);
}

/** rkt's CheckMdsAvailability: run-prepared checks before the pod leaves prepared/. */
export async function checkMdsAvailable(): Promise<void> {
  try {
    const socket = await Bun.connect({ unix: mdsSocketPath(), socket: { data() {} } });
    socket.end();
  } catch {
    throw new MdsUnreachableError();
  }
}
