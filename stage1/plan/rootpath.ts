// Paths inside an app's rootfs, resolved the way the app would see them: symlinks followed but never
// above the rootfs (as runc's securejoin and rkt's mount target handling), so an image cannot point
// a mount or a file write at the host.
import { lstatSync, readlinkSync } from "../../ffi/sync-fs.ts";
import { join } from "../../core/posix-path.ts";

/** Host path of `path` inside `root`, following symlinks within `root`; missing tails are kept. */
export function resolveInRoot(root: string, path: string): string {
  const pending = path.split("/").filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let link: string | undefined;
    try {
      link = lstatSync(host).isSymbolicLink() ? readlinkSync(host) : undefined;
    } catch {
      link = undefined;
    }
    if (link === undefined) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw Object.assign(new Error(`too many levels of symbolic links in "${path}"`), { code: "ELOOP" });
    if (link.startsWith("/")) done.length = 0;
    pending.unshift(...link.split("/").filter(Boolean));
  }
  return join(root, ...done);
}
