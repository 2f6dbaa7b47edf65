// Each app's device allow list (rkt's generateDeviceAllows under DevicePolicy=closed): the pseudo
// devices every pod has, each host device bound into the app (read-only when its mount is), and the
// terminal that --interactive binds to /dev/console. Reads the host's device nodes.
import { statSync } from "../../ffi/sync-fs.ts";
import { DEFAULT_DEVICE_RULES, splitDev, type DeviceRule } from "../../core/cgroups/devices.ts";
import type { ResolvedMount } from "./mounts.ts";

/** A rule granting `access` to the device node at host path `path`; undefined for anything else. */
function hostDevice(path: string, access: string): DeviceRule | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) return undefined;
  return { type: st.isCharacterDevice() ? "c" : "b", ...splitDev(st.rdev), access };
}

/** The devices an app with `volumes` (resolveAppMounts) may use, in a pod whose /dev/console is bound to `console`. */
export function appDeviceRules(volumes: readonly ResolvedMount[], console: string): DeviceRule[] {
  const rules = [...DEFAULT_DEVICE_RULES];
  for (const m of volumes) {
    const rule = m.volume.kind === "host" && m.volume.source ? hostDevice(m.volume.source, m.readOnly ? "r" : "rw") : undefined;
    if (rule) rules.push(rule);
  }
  const tty = hostDevice(console, "rw");
  if (tty) rules.push(tty);
  return rules;
}
