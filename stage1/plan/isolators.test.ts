import { describe, expect, test } from "bun:test";
import { MS } from "../../ffi/constants.ts";
import { compileSeccomp } from "../isolators/bpf.ts";
import { DEFAULT_FILTER, seccompPolicy } from "../isolators/seccomp.ts";
import { appIsolation, isolationWrites } from "./isolators.ts";
import { planInaccessibleNodes, planRestrictedPaths } from "./kernel-paths.ts";

const OPTS = { disableCapabilities: false, disableSeccomp: false, lastCap: 40, arch: "x64" };
const ALL = (1n << 41n) - 1n;

describe("an app's isolation (rkt's prepareApp)", () => {
  test("by default: rkt's 14 capabilities, the default seccomp whitelist, no limits, no NNP for root", () => {
    const iso = appIsolation("a", undefined, 0, OPTS);
    expect(iso.capDrop).toBe(ALL & ~0xa80425fbn);
    expect(iso.seccomp).toBeInstanceOf(Uint8Array);
    // the program the build-time macro made is the one stage1 would compile
    expect(iso.seccomp).toEqual(compileSeccomp(seccompPolicy(DEFAULT_FILTER)));
    expect(iso.noNewPrivs).toBe(false);
    expect(iso.resources).toEqual({});
    expect(iso.oomScoreAdj).toBeUndefined();
  });

  test("a non-root app with a seccomp filter gets no-new-privileges, as rkt forced it", () => {
    expect(appIsolation("a", undefined, 1000, OPTS).noNewPrivs).toBe(true);
    expect(appIsolation("a", undefined, 1000, { ...OPTS, disableSeccomp: true }).noNewPrivs).toBe(false);
    const off = appIsolation("a", [{ name: "os/linux/seccomp-retain-set", value: { set: ["@appc.io/all"] } }], 1000, OPTS);
    expect(off.noNewPrivs).toBe(false);
    expect(off.seccomp).toBeUndefined();
  });

  test("resources: memory in bytes, cpu as rkt's percent of a core (millicores / 10), shares; the later isolator wins", () => {
    const iso = appIsolation("a", [
      { name: "resource/memory", value: { limit: "1G" } },
      { name: "resource/cpu", value: { limit: "250m" } },
      { name: "resource/memory", value: { limit: "25Mi" } },
      { name: "os/linux/cpu-shares", value: 2048 },
      { name: "os/linux/oom-score-adj", value: -200 },
      { name: "os/linux/no-new-privileges", value: true },
    ], 0, OPTS);
    expect(iso.resources).toEqual({ memoryLimit: 26214400, cpuQuotaPercent: 25, cpuShares: 2048 });
    expect(iso.oomScoreAdj).toBe(-200);
    expect(iso.noNewPrivs).toBe(true);
  });

  test("--insecure-options=capabilities,seccomp keep every capability and load no filter", () => {
    const iso = appIsolation("a", [{ name: "os/linux/capabilities-retain-set", value: { set: ["CAP_KILL"] } }], 0, { ...OPTS, disableCapabilities: true, disableSeccomp: true });
    expect(iso.capDrop).toBe(0n);
    expect(iso.seccomp).toBeUndefined();
  });

  test("the app joins its cgroups first, then sets its oom score", () => {
    expect(isolationWrites(["/cg/a/cgroup.procs"], 100)).toEqual([
      { path: "/cg/a/cgroup.procs", data: "0" },
      { path: "/proc/self/oom_score_adj", data: "100" },
    ]);
    expect(isolationWrites([], undefined)).toEqual([]);
  });
});

describe("rkt's restricted kernel paths", () => {
  const RUN = "/pod/stage1/rootfs/rkt/run";
  const exists = (p: string) => ["/proc/sys", "/proc/sysrq-trigger", "/proc/kcore", "/sys/firmware", "/sys/fs"].includes(p);

  test("read-only /proc paths are bound on themselves and remounted read-only, keeping nosuid,nodev,noexec", () => {
    const ops = planRestrictedPaths(RUN, "/r", true, exists);
    const locked = MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC;
    expect(ops.slice(0, 4)).toEqual([
      { op: "mount", source: "/r/proc/sys", target: "/r/proc/sys", flags: MS.MS_BIND },
      { op: "mount", target: "/r/proc/sys", flags: locked },
      { op: "mount", source: "/r/proc/sysrq-trigger", target: "/r/proc/sysrq-trigger", flags: MS.MS_BIND },
      { op: "mount", target: "/r/proc/sysrq-trigger", flags: locked },
    ]);
  });

  test("hidden files and directories are covered by the pod's mode-000 nodes; what the kernel lacks is skipped", () => {
    const ops = planRestrictedPaths(RUN, "/r", true, exists);
    const binds = ops.filter((o) => o.op === "mount" && "source" in o && o.source).map((o) => [(o as { source: string }).source, (o as { target: string }).target]);
    expect(binds).toContainEqual(["/pod/stage1/rootfs/rkt/run/inaccessible/file", "/r/proc/kcore"]);
    expect(binds).toContainEqual(["/pod/stage1/rootfs/rkt/run/inaccessible/dir", "/r/sys/firmware"]);
    expect(binds).toContainEqual(["/pod/stage1/rootfs/rkt/run/inaccessible/dir", "/r/sys/fs"]);
    expect(binds.some(([, t]) => t === "/r/proc/kallsyms" || t === "/r/sys/power")).toBe(false);
    // a volume in place of /sys: nothing to cover there
    expect(planRestrictedPaths(RUN, "/r", false, exists).some((o) => (o as { target: string }).target.startsWith("/r/sys"))).toBe(false);
    expect(planInaccessibleNodes(RUN)).toEqual([
      { op: "mkdir", path: "/pod/stage1/rootfs/rkt/run/inaccessible/dir", mode: 0 },
      { op: "mknod", path: "/pod/stage1/rootfs/rkt/run/inaccessible/file", mode: 0o100000, major: 0, minor: 0 },
    ]);
  });
});
