// The HTTP details both of the service's listeners share, as Go's net/http and gorilla/mux answered
// for rkt: the content types, 404 for anything unrouted, and form values (Request.FormValue) decoded
// to bytes, since the HMAC covers the exact bytes a client sent.

/** What Go's content sniffing calls text, used where rkt wrote a body without a Content-Type. */
const GO_TEXT = "text/plain; charset=utf-8";
/** The type ace.md requires for the metadata API's plain-text answers. */
export const US_ASCII_TEXT = "text/plain; charset=us-ascii";

/** A response with `body` (none when empty) of type `type`. */
export function reply(status: number, body: string | Uint8Array = "", type = GO_TEXT): Response {
  if (body.length === 0) return new Response(null, { status, headers: type === GO_TEXT ? {} : { "Content-Type": type } });
  return new Response(body, { status, headers: { "Content-Type": type } });
}

/** A JSON answer. */
export function json(value: unknown): Response {
  return reply(200, JSON.stringify(value), "application/json");
}

/** gorilla/mux's answer to a path (or method) no route matches. */
export function notFound(): Response {
  return reply(404, "404 page not found\n");
}

/** The request path, percent-decoded as Go's URL.Path; undefined when an escape is malformed. */
export function requestPath(url: URL): string | undefined {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
}

/** `%XX` and `+` decoding of one query component to bytes; undefined on a bad escape (Go skips the pair). */
function unescape(s: string): Uint8Array | undefined {
  const raw = Buffer.from(s.replaceAll("+", " "), "utf8");
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) {
      out.push(raw[i]!);
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString("latin1");
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    out.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return Uint8Array.from(out);
}

/** Go's url.ParseQuery (before Go 1.17, `;` separates pairs too), appending to `into`. */
function parseQuery(s: string, into: Map<string, Uint8Array[]>): void {
  for (const pair of s.split(/[&;]/)) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = unescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = unescape(eq < 0 ? "" : pair.slice(eq + 1));
    if (!key || !value) continue;
    const k = Buffer.from(key).toString("utf8");
    into.set(k, [...(into.get(k) ?? []), value]);
  }
}

/**
 * Go's Request.FormValue for every key at once: the url-encoded or multipart body's values first,
 * then the query's; a key's first value wins.
 */
export async function formValues(req: Request, url: URL): Promise<(key: string) => Uint8Array> {
  const values = new Map<string, Uint8Array[]>();
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") parseQuery(await req.text(), values);
  else if (type === "multipart/form-data") {
    const form = await req.formData().catch(() => new FormData());
    for (const k of new Set(form.keys())) {
      const all = await Promise.all(form.getAll(k).map(async (v) => (typeof v === "string" ? Buffer.from(v, "utf8") : new Uint8Array(await v.arrayBuffer()))));
      values.set(k, all);
    }
  }
  parseQuery(url.search.slice(1), values);
  return (key) => values.get(key)?.[0] ?? new Uint8Array();
}
