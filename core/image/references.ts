// Tree stores that pods still use (their apps' overlay lowers), read from the pod directories'
// `appsinfo/<app>/treeStoreID` and `stage1TreeStoreID` files as rkt's image gc does.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { POD_STATE_DIRS, type DataPaths } from "../paths.ts";

function ls(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Tree store IDs referenced by any pod in any state. */
export function referencedTrees(paths: DataPaths): Set<string> {
  const ids = new Set<string>();
  for (const state of POD_STATE_DIRS) {
    for (const uuid of ls(join(paths.pods, state))) {
      const pod = join(paths.pods, state, uuid);
      const s1 = read(join(pod, "stage1TreeStoreID"));
      if (s1) ids.add(s1);
      for (const app of ls(join(pod, "appsinfo"))) {
        const id = read(join(pod, "appsinfo", app, "treeStoreID"));
        if (id) ids.add(id);
      }
    }
  }
  return ids;
}
