// rkt's data directory layout (Documentation/devel/on-disk-format.md, tmpfiles.d/rkt.conf), shared
// by stage0 and stage1 so both agree on every path. Pure functions: nothing here touches the disk.
import { join } from "./posix-path.ts";

export const DEFAULT_DATA_DIR = "/var/lib/rkt";
export const DEFAULT_SYSTEM_CONFIG = "/usr/lib/rkt";
export const DEFAULT_LOCAL_CONFIG = "/etc/rkt";

/** Pod directories by lifecycle state (pkg/pod/pods.go). */
export const POD_STATE_DIRS = ["embryo", "prepare", "prepared", "run", "exited-garbage", "garbage"] as const;
export type PodStateDir = (typeof POD_STATE_DIRS)[number];

/** Paths inside one data directory. */
export function dataPaths(dir: string) {
  const cas = join(dir, "cas");
  return {
    root: dir,
    tmp: join(dir, "tmp"),
    cas,
    db: join(cas, "db"),
    blobs: join(cas, "blob", "sha512"),
    manifests: join(cas, "imageManifest", "sha512"),
    imageLocks: join(cas, "imagelocks"),
    casTmp: join(cas, "tmp"),
    trees: join(cas, "tree"),
    treeLocks: join(cas, "treestorelocks"),
    locks: join(dir, "locks"),
    prepareLock: join(dir, "locks", "prepareLock"),
    pods: join(dir, "pods"),
    podDir: (state: PodStateDir, uuid: string) => join(dir, "pods", state, uuid),
  };
}
export type DataPaths = ReturnType<typeof dataPaths>;
