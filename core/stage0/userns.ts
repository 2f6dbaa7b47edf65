// stage0's part of `--private-users` (rkt's pkg/user UidRange and stage0 Prepare): a random UID/GID
// range for the pod, recorded in its `private-users-prepared` (layout.md §2) so run-prepared hands
// stage1 the same range, and the shift of a copied rootfs into that range. rkt refuses the flag with
// overlay: a shared tree-store layer cannot be shifted per pod. `rkt run` loads it only when the flag is
// given.
import { chmodSync, existsSync, lchownSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RktError } from "../errors.ts";
import { formatUidRange, type UidRange } from "../pods/uid-range.ts";

/** The pod file that records the range (rkt's common.PrivateUsersPreparedFilename). */
export const PRIVATE_USERS_FILE = "private-users-prepared";

/** IDs per pod (rkt's user.DefaultRangeCount): a whole 16-bit ID space, as nspawn's. */
export const DEFAULT_RANGE_COUNT = 0x10000;

/**
 * A random range as rkt's SetRandomUidRange: a multiple of 65536 in 65536…0x7fff0000. The top bit
 * stays clear because devpts parses its uid=/gid= options as signed ints (systemd issue #956).
 */
export function randomUidRange(random: () => number = Math.random): UidRange {
  return { shift: (Math.floor(random() * 0x7fff) + 1) * 0x10000, count: DEFAULT_RANGE_COUNT };
}

/**
 * The range for a new pod of `rkt run/prepare --private-users`; fails as rkt does on a kernel
 * without user namespaces (rkt's common.SupportsUserNS: no /proc/self/uid_map).
 */
export function choosePrivateUsers(): UidRange {
  if (!existsSync("/proc/self/uid_map")) throw new RktError("--private-users is not supported, kernel compiled without user namespace support");
  return randomUidRange();
}

/** rkt's prepareAppImage refuses overlay with a UID range (stage0/run.go); `overlay`: would the pod use it. */
export function checkPrivateUsersOverlay(overlay: boolean): void {
  if (overlay) throw new RktError("cannot use both overlay and user namespace: not implemented yet. (Try --no-overlay)");
}

/** Records the range in pod directory `podDir`. */
export function recordUidRange(podDir: string, r: UidRange): void {
  writeFileSync(join(podDir, PRIVATE_USERS_FILE), formatUidRange(r), { mode: 0o640 });
}

/** The recorded `SHIFT:COUNT` of a pod, undefined when it was prepared without private users. */
export function readUidRange(podDir: string): string | undefined {
  try {
    return readFileSync(join(podDir, PRIVATE_USERS_FILE), "utf8").trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RktError(`cannot read the UID range of pod "${podDir}"`, { cause: e });
  }
}

/**
 * The owners of a pod's files as its apps saw them, for `rkt export` (rkt's UnshiftRange). IDs
 * outside the range belong to what the runtime made as host root before the pod's user namespace
 * existed (mount points, /etc/hosts): root's, as in a pod without private users (rkt failed there).
 */
export function unshiftOwner(r: UidRange): (uid: number, gid: number) => [number, number] {
  const back = (id: number) => (id >= r.shift && id < r.shift + r.count ? id - r.shift : 0);
  return (uid, gid) => [back(uid), back(gid)];
}

/**
 * Moves every owner under `root` (itself included) into `r`, as rkt's CopyTree with a UID range:
 * lchown to uid+shift, gid+shift, then the mode again where chown(2) cleared setuid/setgid bits.
 * Hard links are shifted once. An ID outside the range fails, as rkt's ShiftRange.
 */
export function shiftOwnership(root: string, r: UidRange): void {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const st = lstatSync(path);
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (st.uid >= r.count || st.gid >= r.count) {
      throw new RktError(`cannot shift "${path}" into the pod's user namespace: uid ${st.uid} or gid ${st.gid} is out of range ${r.count}`);
    }
    lchownSync(path, st.uid + r.shift, st.gid + r.shift);
    if (st.mode & 0o6000 && !st.isSymbolicLink()) chmodSync(path, st.mode & 0o7777);
    if (st.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
}
