// `rkt export` (rkt's export.go): an exited pod's app rootfs, with what the app wrote, packed as an
// ACI with the app image's manifest. An overlay rootfs is read through its mount (made again,
// temporarily, if gc or a reboot took it away).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildAci } from "../aci/builder.ts";
import type { GlobalOptions } from "../config/options.ts";
import { RktError, UsageError } from "../errors.ts";
import { dataPaths } from "../paths.ts";
import { podInfo } from "../pods/pod.ts";
import { checkCanExport } from "../pods/state.ts";
import { resolvePodUuid } from "../pods/uuid.ts";
import { mountAppOverlays } from "./rootfs.ts";
import { mountsBelow, unmountBelow } from "./teardown.ts";
import { parseUidRange } from "../pods/uid-range.ts";
import { readUidRange, unshiftOwner } from "./userns.ts";

export interface ExportOptions {
  app?: string;
  overwrite: boolean;
}

/** Writes app `opts.app` (or the only app) of exited pod `uuidPrefix` to `out` as an ACI. */
export async function exportPod(g: GlobalOptions, uuidPrefix: string, out: string, opts: ExportOptions): Promise<void> {
  const paths = dataPaths(g.dir);
  const p = podInfo(paths, resolvePodUuid(paths, uuidPrefix));
  checkCanExport(p.uuid, p.state);
  const apps = p.manifest?.apps.map((a) => a.name) ?? [];
  if (!opts.app && apps.length !== 1) throw new UsageError(`pod "${p.uuid}" has ${apps.length} apps: choose one with --app (${apps.join(", ")})`);
  const app = opts.app ?? apps[0]!;
  if (!apps.includes(app)) throw new RktError(`cannot export app "${app}": pod "${p.uuid}" has no such app`);
  if (existsSync(out) && !opts.overwrite) throw new RktError(`cannot export pod "${p.uuid}": "${out}" exists (use --overwrite)`);
  const appDir = join(p.path, "stage1", "rootfs", "opt", "stage2", app);
  const rootfs = join(appDir, "rootfs");
  const remount = existsSync(join(p.path, "overlay-prepared")) && mountsBelow(rootfs).length === 0;
  if (remount) mountAppOverlays(p.path, [app], paths.trees);
  try {
    // --private-users pods: owners as the app saw them, not as shifted on the host (rkt's export)
    const text = readUidRange(p.path);
    const range = text === undefined ? undefined : parseUidRange(text);
    if (text !== undefined && !range) throw new RktError(`cannot export pod "${p.uuid}": invalid UID range "${text}"`);
    const owner = range && unshiftOwner(range);
    await buildAci({ manifest: readFileSync(join(p.path, "appsinfo", app, "manifest"), "utf8"), rootfs, out, owner });
  } finally {
    if (remount) unmountBelow(rootfs);
  }
}
