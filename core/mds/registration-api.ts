// The service's registration API on its unix socket (rkt/metadata_service.go runRegistrationServer),
// which only stage0 on this host can reach:
//   PUT    /pods/<uuid>?token=<token>   body: the pod manifest   (registers the pod)
//   PUT    /pods/<uuid>/<app>           body: the app's image manifest
//   DELETE /pods/<uuid>                                           (on gc)
// Answers and messages are rkt's: 200, 400 for a malformed request, 404 for an unknown pod.
import { messageOf } from "../errors.ts";
import { parseImageManifest } from "../schema/image-manifest.ts";
import { parsePodManifest } from "../schema/pod-manifest.ts";
import { notFound, reply, requestPath } from "./http.ts";
import { parseUuid, type PodStore } from "./pods.ts";

/** rkt's queryValue: the value of `key` when given exactly once, else "". */
function queryValue(url: URL, key: string): string {
  const all = url.searchParams.getAll(key);
  return all.length === 1 ? all[0]! : "";
}

/** Decodes a manifest body with `parse`; a message for rkt's 400 answer when it is not one. */
async function decode<T>(req: Request, parse: (input: unknown) => T): Promise<T | Response> {
  try {
    return parse(await req.text());
  } catch (e) {
    return reply(400, `JSON-decoding failed: ${messageOf(e)}`);
  }
}

/** The request handler of the registration socket. */
export function registrationApi(pods: PodStore): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const m = /^\/pods\/([^/]+)(?:\/(.*))?$/.exec(requestPath(url) ?? "");
    if (!m || !(req.method === "PUT" || (req.method === "DELETE" && m[2] === undefined))) return notFound();
    const uuid = parseUuid(m[1]!);
    if (typeof uuid === "string") return reply(400, `UUID is missing or malformed: ${uuid}`);
    const app = m[2];
    if (req.method === "DELETE") return pods.remove(uuid) ? reply(200) : reply(404, "pod not found");
    if (app === undefined) {
      const token = queryValue(url, "token");
      if (!token) return reply(400, "token missing");
      const manifest = await decode(req, parsePodManifest);
      if (manifest instanceof Response) return manifest;
      pods.add(uuid, token, manifest);
      return reply(200);
    }
    if (!app) return reply(400, "app missing");
    const manifest = await decode(req, parseImageManifest);
    if (manifest instanceof Response) return manifest;
    return pods.addApp(uuid, app, manifest) ? reply(200) : reply(404, "Pod with given UUID not found");
  };
}
