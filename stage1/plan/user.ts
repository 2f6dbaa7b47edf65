// The app's user and group as rkt resolves them (pkg/user, stage1 prepare-app): a number, a name
// from the image's /etc/passwd or /etc/group, or an absolute path whose owner is taken — all looked
// up inside the app's rootfs, never on the host.
import { readFileSync, statSync } from "../../ffi/sync-fs.ts";
import { RktError } from "../../core/errors.ts";
import { resolveInRoot } from "./rootpath.ts";

/** Numeric credentials of an app process. */
export interface Credentials {
  uid: number;
  gid: number;
  groups: number[];
}

function lookupName(root: string, file: string, name: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(root, file), "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) return Number(fields[2]);
  }
  return undefined;
}

function resolveId(root: string, app: string, kind: "user" | "group", value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  if (value.startsWith("/")) {
    try {
      const st = statSync(resolveInRoot(root, value));
      return kind === "user" ? st.uid : st.gid;
    } catch (e) {
      throw new RktError(`cannot resolve ${kind} "${value}" of app "${app}": no such file in the image`, { cause: e });
    }
  }
  const id = lookupName(root, kind === "user" ? "/etc/passwd" : "/etc/group", value);
  if (id === undefined) throw new RktError(`cannot resolve ${kind} "${value}" of app "${app}": not found in the image's /etc/${kind === "user" ? "passwd" : "group"}`);
  return id;
}

/** Resolves `user`/`group` (default "0") and the supplementary GIDs of app `app` with rootfs `root`. */
export function resolveCredentials(root: string, app: string, user = "0", group = "0", supplementary: readonly number[] = []): Credentials {
  return { uid: resolveId(root, app, "user", user || "0"), gid: resolveId(root, app, "group", group || "0"), groups: [...supplementary] };
}
