// appc meta discovery (spec/discovery.md, appc/spec discovery/discovery.go + http.go; appc.md §8):
// GET `https://<prefix>?ac-discovery=1` for the name and each parent path (http only when allowed),
// read `<meta name="ac-discovery" content="PREFIX TEMPLATE">` and `ac-discovery-pubkeys` tags whose
// PREFIX is a string prefix of the name, render templates ({name}, {version}, {os}, {arch}, any
// label, {ext}), and stop at the first level that yields what is looked for.
import { FetchError, messageOf } from "../errors.ts";
import { diag } from "../log.ts";
import type { AppString } from "../schema/types.ts";
import { expectStatus, httpRequest, smallBody, type HttpOptions } from "./http.ts";

/** One `ac-*` meta tag. */
export interface AcMeta {
  name: string;
  prefix: string;
  uri: string;
}

/** Where an image and its signature are. */
export interface AciEndpoint {
  aci: string;
  asc: string;
}

/**
 * The port discovery requests go to instead of the scheme's default. appc's discovery functions
 * take this as an argument (0 = default) and rkt always passed 0; here `RKT_DISCOVERY_PORT` sets it,
 * a hook for tests whose discovery server cannot own port 443. Unset in normal use.
 */
export function discoveryPort(): number | undefined {
  const v = process.env.RKT_DISCOVERY_PORT;
  return v && /^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? Number(v) : undefined;
}

/** The `ac-*` meta tags of an HTML page, in document order (appc extractACMeta). */
export function parseMetaTags(html: string): AcMeta[] {
  const metas: AcMeta[] = [];
  new HTMLRewriter()
    .on("meta", {
      element(el) {
        const name = el.getAttribute("name") ?? "";
        const content = (el.getAttribute("content") ?? "").trim();
        const space = content.indexOf(" ");
        if (!name.startsWith("ac-") || space <= 0) return;
        const uri = content.slice(space + 1).trim();
        if (uri) metas.push({ name, prefix: content.slice(0, space), uri });
      },
    })
    .transform(html);
  return metas;
}

const VARIABLE = /\{[^{}]*?\}/g;

/** Fills `{var}`s from `vars`; undefined when any `{…}` is left (appc renderTemplate). */
function render(template: string, vars: Record<string, string>): string | undefined {
  const out = template.replace(VARIABLE, (m) => vars[m.slice(1, -1)] ?? m);
  return /\{.*?\}/.test(out) ? undefined : out;
}

/** The template variables of an app: its labels, `version` defaulting to "latest", and `name`. */
function templateVars(app: AppString): Record<string, string> {
  return { version: "latest", ...app.labels, name: app.name };
}

/** The image endpoints `metas` give for `app` (tags for other prefixes or with unrendered variables are skipped). */
export function aciEndpoints(app: AppString, metas: AcMeta[]): AciEndpoint[] {
  const vars = templateVars(app);
  const out: AciEndpoint[] = [];
  for (const m of metas) {
    if (m.name !== "ac-discovery" || !app.name.startsWith(m.prefix)) continue;
    const aci = render(m.uri, { ...vars, ext: "aci" });
    const asc = render(m.uri, { ...vars, ext: "aci.asc" });
    // A template without {ext} would name the image and its signature alike: unusable.
    if (aci && asc && aci !== asc) out.push({ aci, asc });
  }
  return out;
}

/** The key URLs `metas` give for `name`. */
export function publicKeyLocations(name: string, metas: AcMeta[]): string[] {
  return metas.filter((m) => m.name === "ac-discovery-pubkeys" && name.startsWith(m.prefix)).map((m) => m.uri);
}

/** The discovery page of one prefix: https first, then http when allowed (appc httpsOrHTTP). */
async function discoveryPage(prefix: string, http: HttpOptions): Promise<string> {
  const port = discoveryPort();
  const urlOf = (scheme: string) => {
    const u = new URL(`${scheme}://${prefix}`);
    if (port) u.port = String(port);
    u.search = "ac-discovery=1";
    return u.href;
  };
  const get = async (url: string) => {
    const res = await httpRequest(url, http, { what: "discovery page" });
    await expectStatus(res, "discovery page", url);
    return new TextDecoder().decode(await smallBody(res, "discovery page", url));
  };
  try {
    return await get(urlOf("https"));
  } catch (err) {
    if (!http.allowHttp) throw err;
    diag(`discovery over https failed for "${prefix}", trying http: ${messageOf(err)}`);
    return get(urlOf("http"));
  }
}

/**
 * Walks from `name` up its path (`a/b/c`, `a/b`, `a`) until a page yields something `pick` accepts.
 * Failed levels are skipped as in appc's DiscoverWalk; if none yields anything the error lists them.
 */
async function walk<T>(name: string, http: HttpOptions, what: string, pick: (metas: AcMeta[]) => T[]): Promise<T[]> {
  const parts = name.split("/");
  const attempts: string[] = [];
  for (let end = parts.length; end > 0; end--) {
    const prefix = parts.slice(0, end).join("/");
    let metas: AcMeta[];
    try {
      metas = parseMetaTags(await discoveryPage(prefix, http));
    } catch (err) {
      diag(`meta tag '${what}' not found on ${prefix}: ${messageOf(err)}`);
      attempts.push(`${prefix}: ${messageOf(err)}`);
      continue;
    }
    const found = pick(metas);
    if (found.length > 0) return found;
    diag(`meta tag '${what}' not found on ${prefix}`);
    attempts.push(`${prefix}: no usable ${what} meta tag`);
  }
  throw new FetchError(`cannot discover ${what === "ac-discovery" ? "image" : "keys for"} "${name}": ${attempts.join("; ")}`);
}

/** The endpoints of `app` (name, labels with os/arch/version as wanted); the first is the one to use. */
export function discoverAciEndpoints(app: AppString, http: HttpOptions): Promise<AciEndpoint[]> {
  return walk(app.name, http, "ac-discovery", (metas) => aciEndpoints(app, metas));
}

/** The key URLs published for `prefix` (`rkt trust --prefix` without a key, --trust-keys-from-https). */
export function discoverPublicKeys(prefix: string, http: HttpOptions): Promise<string[]> {
  return walk(prefix, http, "ac-discovery-pubkeys", (metas) => publicKeyLocations(prefix, metas));
}
