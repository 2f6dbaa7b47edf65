// Gates for tests that need root or host tools (runc's bats `requires`). Outside CI a missing need
// skips with the reason; under CI=true as root a missing need fails the file, never skips silently.
import { existsSync } from "node:fs";

export type Need = "root" | "gpg" | "actool" | "busybox" | "gcc" | "xz" | "bzip2" | "overlay" | "skopeo" | "docker-registry" | "socat" | "systemd-socket-activate" | "go" | "appc-spec-sources" | "cni-plugins" | "iptables";

const TOOL: Record<string, string> = {
  gpg: "/usr/bin/gpg",
  actool: "/usr/bin/actool",
  busybox: "/bin/busybox",
  gcc: "/usr/bin/gcc",
  xz: "/usr/bin/xz",
  bzip2: "/bin/bzip2",
  skopeo: "/usr/bin/skopeo",
  "docker-registry": "/usr/bin/docker-registry",
  socat: "/usr/bin/socat",
  "systemd-socket-activate": "/usr/bin/systemd-socket-activate",
  go: "/usr/bin/go",
  "appc-spec-sources": "/usr/share/gocode/src/github.com/appc/spec/ace/validator.go",
  "cni-plugins": "/usr/lib/cni/ptp",
  iptables: "/usr/sbin/iptables",
};

function lacks(need: Need): string | undefined {
  if (need === "root") return process.geteuid?.() === 0 ? undefined : `needs root (euid=${process.geteuid?.()})`;
  if (need === "overlay") {
    const fs = require("node:fs") as typeof import("node:fs");
    return fs.readFileSync("/proc/filesystems", "utf8").includes("overlay") ? undefined : "needs overlayfs";
  }
  return existsSync(TOOL[need]!) ? undefined : `needs ${need} (${TOOL[need]})`;
}

/**
 * The reason to skip, or undefined to run. Use as `describe.skipIf(!!requires("root","gpg"))(…)`.
 * Under CI as root, a missing need throws so the suite fails instead of skipping.
 */
export function requires(...needs: Need[]): string | undefined {
  const reasons = needs.map(lacks).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return undefined;
  const reason = `skipped: ${reasons.join(", ")}`;
  if (process.env.CI === "true" && process.geteuid?.() === 0) throw new Error(`CI is missing what tests need: ${reason}`);
  console.warn(reason);
  return reason;
}
