// rkt's capability isolators (stage1/init/common/pod.go getAppCapabilities; appc.md §6): an app's
// bounding set is rkt's default 14, or exactly its retain set, or the default minus its remove set;
// --insecure-options=capabilities keeps every capability. Pure.
import { warn } from "../../core/log.ts";
import type { IsolatorValue } from "../../core/schema/isolators.ts";

/** Capability names by number (linux/capability.h), CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40. */
const NAMES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
].map((n) => `CAP_${n}`);

/** rkt's default bounding set for apps (the 14 of appc.md §6, systemd-nspawn's minus a few). */
export const RKT_DEFAULT_CAPABILITIES = [
  "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_KILL", "CAP_MKNOD",
  "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT",
] as const;

/** The number of capability `name` ("CAP_NET_ADMIN", "net_admin"); undefined when Linux has none such. */
export function capabilityNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const i = NAMES.indexOf(upper.startsWith("CAP_") ? upper : `CAP_${upper}`);
  return i < 0 ? undefined : i;
}

/** The names of the capabilities an app keeps in its bounding set, per rkt's rules. */
export function appCapabilities(isolators: readonly IsolatorValue[]): string[] {
  const retain: string[] = [];
  const remove: string[] = [];
  for (const i of isolators) {
    if (i.kind === "os/linux/capabilities-retain-set") retain.push(...i.set);
    if (i.kind === "os/linux/capabilities-remove-set") remove.push(...i.set);
  }
  if (retain.length) return retain;
  const removed = new Set(remove.map(capabilityNumber));
  return RKT_DEFAULT_CAPABILITIES.filter((c) => !removed.has(capabilityNumber(c)));
}

/**
 * The capabilities 0…`lastCap` (/proc/sys/kernel/cap_last_cap) outside `keep`, as a bit mask for
 * the PID 1 shim to drop from the bounding set. Unknown names are skipped with a warning, as systemd
 * skips them in CapabilityBoundingSet=.
 */
export function capabilityDropMask(keep: readonly string[], lastCap: number): bigint {
  let kept = 0n;
  for (const name of keep) {
    const n = capabilityNumber(name);
    if (n === undefined) warn(`unknown capability "${name}" in a capabilities isolator, ignoring it`);
    else kept |= 1n << BigInt(n);
  }
  return ((1n << BigInt(lastCap + 1)) - 1n) & ~kept;
}
