import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MS } from "../../ffi/constants.ts";
import { parseRunArgs } from "./args.ts";
import { appEnvironment } from "./env.ts";
import { planPodMounts, resolveAppMounts } from "./mounts.ts";
import { networkMode, parseNetworks } from "../../core/networks.ts";
import { resolveInRoot } from "./rootpath.ts";
import { resolveCredentials } from "./user.ts";
import { lowerOomScoresForUserns } from "./pod.ts";
import type { AppIsolation } from "./isolators.ts";

const tmp: string[] = [];
function rootfs(): string {
  const d = mkdtempSync(join(tmpdir(), "rkt-plan-"));
  tmp.push(d);
  mkdirSync(join(d, "etc"), { recursive: true });
  writeFileSync(join(d, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nuser:x:1000:1001::/home/user:/bin/sh\n");
  writeFileSync(join(d, "etc/group"), "root:x:0:\nstaff:x:50:\n");
  return d;
}
afterEach(() => tmp.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("stage1 run arguments", () => {
  test("parse rkt's flags by interface version", () => {
    const a = parseRunArgs(["--debug", "--net=host", "--interactive", "--hostname=h", "--dns-conf-mode=resolv=host,hosts=stage0", "--ipc=parent", "U"]);
    expect(a).toMatchObject({ uuid: "U", debug: true, net: ["host"], interactive: true, hostname: "h", dnsConfMode: { resolv: "host", hosts: "stage0" }, ipc: "parent" });
    expect(() => parseRunArgs(["--bogus", "U"])).toThrow(/unknown flag/);
    expect(() => parseRunArgs(["--net=host"])).toThrow(/missing pod UUID/);
  });

  test("--net: host and none stand alone, anything else is a list of CNI networks", () => {
    expect(networkMode(parseNetworks("none"))).toBe("none");
    expect(networkMode(parseNetworks(true))).toBe("cni");
    expect(networkMode(parseNetworks("a:IP=10.0.0.9,default"))).toBe("cni");
    expect(() => parseNetworks("host:a=b")).toThrow(/takes no arguments/);
    expect(() => parseNetworks("host,default")).toThrow(/host cannot be combined with other networks/);
  });
});

describe("paths inside the rootfs", () => {
  test("symlinks never leave the root", () => {
    const r = rootfs();
    symlinkSync("/etc", join(r, "abs"));
    symlinkSync("../../../../etc", join(r, "rel"));
    expect(resolveInRoot(r, "/abs/passwd")).toBe(join(r, "etc/passwd"));
    expect(resolveInRoot(r, "/rel/passwd")).toBe(join(r, "etc/passwd"));
    expect(resolveInRoot(r, "/../../x")).toBe(join(r, "x"));
  });
});

describe("users and groups", () => {
  test("by number, by name from the image, and by a file's owner", () => {
    const r = rootfs();
    expect(resolveCredentials(r, "a", "user", "staff", [7])).toEqual({ uid: 1000, gid: 50, groups: [7] });
    expect(resolveCredentials(r, "a", "42", "43")).toEqual({ uid: 42, gid: 43, groups: [] });
    expect(resolveCredentials(r, "a", "/etc/passwd", "/etc/passwd").uid).toBe(process.getuid!());
    expect(() => resolveCredentials(r, "a", "ghost")).toThrow(/not found in the image's \/etc\/passwd/);
  });
});

describe("environment", () => {
  test("manifest values win over rkt's defaults, AC_APP_NAME is set", () => {
    const env = appEnvironment("web", [{ name: "PATH", value: "/x" }, { name: "A", value: "1" }]);
    expect(env).toContain("PATH=/x");
    expect(env).toContain("AC_APP_NAME=web");
    expect(env).toContain("HOME=/root");
    expect(env.filter((e) => e.startsWith("PATH="))).toHaveLength(1);
  });
});

describe("mount plan", () => {
  test("volumes meet mountPoints and mounts; unmatched mountPoints get implicit empty volumes", () => {
    const app = { name: "a", mountPoints: [{ name: "data", path: "/data", readOnly: true }, { name: "orphan", path: "/o" }], mounts: [{ volume: "logs", path: "/var/log" }] };
    const vols = resolveAppMounts(app, [{ name: "data", kind: "host", source: "/srv" }, { name: "logs", kind: "empty", mode: "0700", uid: 1, gid: 2 }]);
    expect(vols.map((v) => [v.volume.name, v.path, v.readOnly])).toEqual([["data", "/data", true], ["a-orphan", "/o", false], ["logs", "/var/log", false]]);
  });

  test("plans /dev, /proc, /sys, /etc files and volume binds", () => {
    const r = rootfs();
    const host = mkdtempSync(join(tmpdir(), "rkt-vol-"));
    tmp.push(host);
    const ops = planPodMounts({
      flavor: "coreos", podDir: "/pod", hostname: "rkt-x", dns: { resolv: "default", hosts: "default" }, console: "/dev/null", restrictPaths: false,
      apps: [{ name: "a", root: r, readOnlyRootFS: true, volumes: resolveAppMounts({ name: "a", mountPoints: [], mounts: [{ volume: "v", path: "/mnt/v" }] }, [{ name: "v", kind: "host", source: host, readOnly: true, recursive: false }]) }],
    });
    expect(ops[0]).toEqual({ op: "mount", target: "/", flags: MS.MS_REC | MS.MS_SLAVE });
    const mounts = ops.filter((o) => o.op === "mount").map((o) => (o as { target: string }).target);
    expect(mounts).toContain("/pod/stage1/rootfs/rkt/run/dev/pts");
    expect(mounts).toContain(join(r, "sys"));
    expect(mounts).toContain(join(r, "proc"));
    expect(ops).toContainEqual({ op: "mount", source: host, target: join(r, "mnt/v"), flags: MS.MS_BIND });
    expect(ops).toContainEqual({ op: "mount", target: join(r, "mnt/v"), flags: MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY });
    expect(ops).toContainEqual({ op: "mount", source: "/proc/sys/kernel/hostname", target: join(r, "etc/hostname"), flags: MS.MS_BIND });
    expect(ops).toContainEqual({ op: "write", path: "/pod/stage1/rootfs/rkt/run/etc/hosts-fallback", content: expect.stringContaining("127.0.0.1\trkt-x\n"), mode: 0o644 });
    // the image has no /etc/hosts: the fallback is bound in
    expect(ops).toContainEqual({ op: "mount", source: "/pod/stage1/rootfs/rkt/run/etc/hosts-fallback", target: join(r, "etc/hosts"), flags: MS.MS_BIND });
    expect(ops).toContainEqual({ op: "symlink", target: "../proc/self/mounts", path: join(r, "etc/mtab") });
    expect(ops.at(-1)).toEqual({ op: "mount", target: r, flags: MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY });
  });
});

describe("oom scores under --private-users", () => {
  const own = Number(require("node:fs").readFileSync("/proc/self/oom_score_adj", "utf8"));
  const apps = (...scores: (number | undefined)[]) =>
    new Map(scores.map((oomScoreAdj, i): [string, AppIsolation] => [`app${i}`, { resources: {}, oomScoreAdj, capDrop: 0n, noNewPrivs: false }]));

  test("PID 1 goes down to the lowest score asked for; apps without one return to rkt's", () => {
    const isolation = apps(own - 500, undefined, own + 100, own - 20);
    expect(lowerOomScoresForUserns(isolation)).toBe(own - 500);
    expect([...isolation.values()].map((i) => i.oomScoreAdj)).toEqual([own - 500, own, own + 100, own - 20]);
  });

  test("nothing to do when no app asks for less than rkt's own score", () => {
    const isolation = apps(undefined, own + 1, own);
    expect(lowerOomScoresForUserns(isolation)).toBeUndefined();
    expect([...isolation.values()].map((i) => i.oomScoreAdj)).toEqual([undefined, own + 1, own]);
  });
});
