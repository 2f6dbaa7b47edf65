// node:path's POSIX functions that rkt's pod path uses, with node's results. Not node:path itself:
// the first node:* module a process loads starts Bun's node compatibility layer (~1.2 ms;
// ffi/sync-fs.ts has the numbers). Pure.

/** "a//b/./c/../d" → "a/b/d": `.` and `..` resolved, repeated slashes collapsed (node's normalizeString). */
function normalizeSegments(path: string, absolute: boolean): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg !== "..") out.push(seg);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (!absolute) out.push("..");
  }
  return out.join("/");
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const body = normalizeSegments(path, absolute);
  const tail = path.endsWith("/") && body !== "" ? "/" : "";
  return absolute ? `/${body}${tail}` : body === "" ? "." : `${body}${tail}`;
}

export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** An absolute path: `parts` applied from right to left onto the working directory, as cd would. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) if (parts[i]) path = `${parts[i]}/${path}`;
  if (!isAbsolute(path)) path = `${process.cwd()}/${path}`;
  return `/${normalizeSegments(path, true)}`;
}

export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "" && path !== "") return "/";
  const cut = trimmed.lastIndexOf("/");
  if (cut < 0) return ".";
  return cut === 0 ? "/" : trimmed.slice(0, cut);
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
