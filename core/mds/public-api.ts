// The appc metadata API the apps read over TCP (ace.md "App Container Metadata Service"; rkt's
// runPublicServer), every path under /<token>/acMetadata/v1, the token naming the pod:
//   GET  /pod/annotations[/<name>]  /pod/manifest  /pod/uuid
//   GET  /apps/<app>/annotations[/<name>]  /apps/<app>/image/manifest  /apps/<app>/image/id
//   POST /pod/hmac/sign (form: content)   /pod/hmac/verify (form: content, uuid, signature)
// As rkt's: an unknown token is 401, an unknown app 404, a malformed name 400; verify, which checks a
// signature made by any pod, accepts any token.
import { isACIdentifier, isACName, type Label } from "../schema/types.ts";
import type { PodHmac } from "./hmac.ts";
import { formValues, json, notFound, reply, requestPath, US_ASCII_TEXT } from "./http.ts";
import { parseUuid, type MdsPod, type PodStore } from "./pods.ts";

const PREFIX = /^\/([^/]+)\/acMetadata\/v1(\/.*)$/;

/** types.Annotations.Set: replaces a name's value in place, else appends. */
function setAnnotation(list: Label[], a: Label): void {
  const i = list.findIndex((x) => x.name === a.name);
  if (i < 0) list.push({ ...a });
  else list[i] = { ...a };
}

/** rkt's mergeAppAnnotations: the image's annotations, overridden by the pod manifest's for the app. */
function appAnnotations(pod: MdsPod, app: string): Label[] {
  const merged: Label[] = [];
  for (const a of pod.apps.get(app)?.annotations ?? []) setAnnotation(merged, a);
  for (const a of pod.manifest.apps.find((ra) => ra.name === app)?.annotations ?? []) setAnnotation(merged, a);
  return merged;
}

function annotationValue(list: readonly Label[], name: string, what: string): Response {
  const a = list.find((x) => x.name === name);
  return a ? reply(200, a.value, US_ASCII_TEXT) : reply(404, `${what} ${JSON.stringify(name)} not found`);
}

/** The GET routes on pod `pod`, by path after the prefix; undefined when none matches. */
function podGet(pod: MdsPod, rest: string): Response | undefined {
  if (rest === "/pod/annotations") return json(pod.manifest.annotations);
  if (rest === "/pod/manifest") return json(pod.manifest);
  if (rest === "/pod/uuid") return reply(200, pod.uuid, US_ASCII_TEXT);
  const name = /^\/pod\/annotations\/(.*)$/.exec(rest)?.[1];
  if (name === undefined) return undefined;
  if (!isACIdentifier(name)) return reply(400, `Pod annotation ${JSON.stringify(name)} is not a valid AC Identifier`);
  return annotationValue(pod.manifest.annotations, name, "Pod annotation");
}

/** rkt's routes under /apps/{app:.*}/, in its order (the app part is greedy, as mux's `.*`). */
const APP_ROUTES = [
  /^\/apps\/(.*)\/annotations$/,
  /^\/apps\/(.*)\/annotations\/(.*)$/,
  /^\/apps\/(.*)\/image\/manifest$/,
  /^\/apps\/(.*)\/image\/id$/,
];

function appGet(pod: MdsPod | undefined, rest: string): Response | undefined {
  const route = APP_ROUTES.findIndex((r) => r.test(rest));
  if (route < 0) return undefined;
  const [, app, name] = APP_ROUTES[route]!.exec(rest)!;
  if (!app) return reply(400, "app missing");
  if (!pod) return reply(401, "pod not found\n");
  const image = pod.apps.get(app);
  if (!image) return reply(404, "app not found\n");
  if (route === 2) return json(image);
  if (route === 1 && !isACIdentifier(name!)) return reply(400, `App annotation name ${JSON.stringify(name)} is not a valid AC Identifier`);
  if (!isACName(app)) return reply(400, `App name ${JSON.stringify(app)} is not a valid AC Name`);
  if (route === 0) return json(appAnnotations(pod, app));
  if (route === 1) return annotationValue(appAnnotations(pod, app), name!, "App annotation");
  const id = pod.manifest.apps.find((ra) => ra.name === app)?.image.id;
  return id ? reply(200, id, US_ASCII_TEXT) : reply(404, "app not found\n");
}

/** The request handler of the TCP listener. */
export function publicApi(pods: PodStore, hmac: PodHmac): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const m = PREFIX.exec(requestPath(url) ?? "");
    if (!m) return notFound();
    const [, token, rest] = m as unknown as [string, string, string];
    const pod = pods.byToken(token);
    if (req.method === "GET") {
      if (/^\/pod\/(annotations(\/.*)?|manifest|uuid)$/.test(rest)) return pod ? podGet(pod, rest)! : reply(401, "pod not found\n");
      return appGet(pod, rest) ?? notFound();
    }
    if (req.method !== "POST") return notFound();
    if (rest === "/pod/hmac/sign") {
      if (!pod) return reply(401, "pod not found\n");
      const content = (await formValues(req, url))("content");
      if (content.length === 0) return reply(400, "content form value not found");
      return reply(200, Buffer.from(hmac.sign(pod.uuidBytes, content)).toString("base64"), US_ASCII_TEXT);
    }
    if (rest === "/pod/hmac/verify") return verify(hmac, await formValues(req, url));
    return notFound();
  };
}

/** Go's base64.StdEncoding.DecodeString (padding required; newlines ignored). */
function decodeBase64(s: string): Uint8Array | undefined {
  const t = s.replace(/[\r\n]/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined;
  return Uint8Array.from(Buffer.from(t, "base64"));
}

function verify(hmac: PodHmac, form: (key: string) => Uint8Array): Response {
  const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");
  const fail = (msg: string) => reply(400, msg, US_ASCII_TEXT);
  const uuid = parseUuid(text(form("uuid")));
  if (typeof uuid === "string") return fail(`uuid field missing or malformed: ${uuid}`);
  const content = form("content");
  if (content.length === 0) return fail("content field missing");
  const signature = decodeBase64(text(form("signature")));
  if (!signature) return fail("signature field missing or corrupt: illegal base64 data");
  return reply(hmac.verify(uuid, content, signature) ? 200 : 403, "", US_ASCII_TEXT);
}
