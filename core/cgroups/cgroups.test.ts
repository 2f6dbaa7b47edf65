import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectCgroups, mountInfoLines } from "./detect.ts";
import { DEFAULT_DEVICE_RULES, splitDev } from "./devices.ts";
import { podScopeName } from "./manager.ts";
import { cgroupDir, parseMountLine } from "./mounts.ts";
import { sharesToWeight } from "./v2.ts";

// this machine's layout (and CI's): v1 controllers on a tmpfs, cgroup2 left empty at unified
const HYBRID_MOUNTS = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_SELF = `9:name=systemd:/user.slice/session-1.scope
8:pids:/user.slice
5:devices:/user.slice
4:memory:/sandbox/x
2:cpu,cpuacct:/
0::/user.slice/session-1.scope
`;
const UUID = "6c5f1234-0a1b-4c2d-8e3f-123456789abc";
const SCOPE = "machine-rkt\\x2d6c5f1234\\x2d0a1b\\x2d4c2d\\x2d8e3f\\x2d123456789abc.scope";

const tmp: string[] = [];
afterEach(() => tmp.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("cgroup names and mounts", () => {
  test("a pod's scope is systemd's escaping of the machine name rkt-<uuid>", () => {
    expect(podScopeName(UUID)).toBe(SCOPE);
  });

  test("mountinfo fields, octal escapes, and hierarchies mounted as a subtree", () => {
    const m = parseMountLine("50 40 0:40 /docker/abc /sys/fs/cgroup/my\\040mem rw - cgroup cgroup rw,memory");
    expect(m).toEqual({ root: "/docker/abc", mountPoint: "/sys/fs/cgroup/my mem", fsType: "cgroup", superOptions: ["rw", "memory"] });
    expect(cgroupDir(m, "/docker/abc/x")).toBe("/sys/fs/cgroup/my mem/x");
    expect(cgroupDir(m, "/")).toBe("/sys/fs/cgroup/my mem");
  });
});

describe("cgroup v1 (hybrid hosts)", () => {
  const v1 = detectCgroups(HYBRID_MOUNTS, HYBRID_SELF)!;

  test("is chosen when v1 controllers are mounted, even beside an empty cgroup2", () => {
    expect(v1.version).toBe(1);
    expect(v1.ownProcs).toBe("/sys/fs/cgroup/systemd/user.slice/session-1.scope/cgroup.procs");
  });

  test("pods go below the caller's own cgroup in systemd's, the limit, device and accounting hierarchies", () => {
    const plan = v1.planPod(UUID, [{ name: "web", resources: {} }]);
    const scopes = plan.mkdirs.filter((d) => d.endsWith(".scope"));
    expect(scopes).toEqual([
      `/sys/fs/cgroup/systemd/user.slice/session-1.scope/${SCOPE}`,
      `/sys/fs/cgroup/pids/user.slice/${SCOPE}`,
      `/sys/fs/cgroup/devices/user.slice/${SCOPE}`,
      `/sys/fs/cgroup/memory/sandbox/x/${SCOPE}`,
      `/sys/fs/cgroup/cpu,cpuacct/${SCOPE}`,
    ]);
    expect(plan.joins.web).toContain(`/sys/fs/cgroup/memory/sandbox/x/${SCOPE}/system.slice/web.service/cgroup.procs`);
    expect(plan.joins.web).toHaveLength(5);
    expect(plan.owned).toEqual(plan.mkdirs);
    // parents before children, so mkdir goes in order and gc removes in reverse
    for (const [i, d] of plan.mkdirs.entries()) expect(plan.mkdirs.slice(i + 1).some((x) => d.startsWith(`${x}/`))).toBe(false);
    expect(plan.subcgroup).toBe(`/user.slice/session-1.scope/${SCOPE}`);
    expect(plan.writes).toEqual([]);
  });

  test("limits as systemd wrote them: MemoryLimit=, CPUQuota= over a 100 ms period, CPUShares=", () => {
    const plan = v1.planPod(UUID, [{ name: "a", resources: { memoryLimit: 26214400, cpuQuotaPercent: 80, cpuShares: 512 } }, { name: "b", resources: {} }]);
    const app = (c: string) => `${c}/system.slice/a.service`;
    expect(plan.writes).toEqual([
      { path: `${app(`/sys/fs/cgroup/memory/sandbox/x/${SCOPE}`)}/memory.limit_in_bytes`, data: "26214400" },
      { path: `${app(`/sys/fs/cgroup/cpu,cpuacct/${SCOPE}`)}/cpu.cfs_period_us`, data: "100000" },
      { path: `${app(`/sys/fs/cgroup/cpu,cpuacct/${SCOPE}`)}/cpu.cfs_quota_us`, data: "80000" },
      { path: `${app(`/sys/fs/cgroup/cpu,cpuacct/${SCOPE}`)}/cpu.shares`, data: "512" },
    ]);
    expect(plan.unsupported).toEqual([]);
  });

  test("a device list empties the app's device cgroup, then grants each rule (grants the caller lacks may fail)", () => {
    const devices = [...DEFAULT_DEVICE_RULES, { type: "b", major: 7, minor: 0, access: "r" } as const];
    const plan = v1.planPod(UUID, [{ name: "a", resources: {}, devices }, { name: "open", resources: {} }]);
    const dir = `/sys/fs/cgroup/devices/user.slice/${SCOPE}/system.slice/a.service`;
    expect(plan.writes[0]).toEqual({ path: `${dir}/devices.deny`, data: "a" });
    expect(plan.writes.slice(1).map((w) => [w.path, w.data, w.optional])).toEqual([
      ...["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 10:200 rwm", "c 5:2 rw", "c 136:* rw", "b 7:0 r"].map((d) => [`${dir}/devices.allow`, d, true]),
    ]);
    // an app without a list (--insecure-options=paths) keeps the device access of the caller
    expect(plan.writes.some((w) => w.path.includes("open.service"))).toBe(false);
  });

  test("dev_t numbers split as glibc's major()/minor()", () => {
    // glibc's makedev: the low 12 bits of major and 8 of minor first, the rest above
    const makedev = (major: number, minor: number) =>
      Number((BigInt(major & 0xfff) << 8n) | (BigInt(major & ~0xfff) << 32n) | BigInt(minor & 0xff) | (BigInt(minor & ~0xff) << 12n));
    for (const [major, minor] of [[1, 3], [10, 237], [136, 4], [259, 65536], [0x1234, 0x56789]] as const) {
      expect(splitDev(makedev(major, minor))).toEqual({ major, minor });
    }
  });

  test("mountinfo is read only up to the last hierarchy a pod needs, whatever follows", () => {
    // exited pods keep their overlays mounted until gc: on a busy host the file grows without end
    function* lines() {
      yield* HYBRID_MOUNTS.split("\n").filter((l) => !l.startsWith("41 "));
      throw new Error("read past the cgroup mounts");
    }
    expect(detectCgroups(lines(), HYBRID_SELF)!.ownProcs).toBe(v1.ownProcs);
    // the first mount of a hierarchy is the one used, even with a later one of the same controllers
    const again = `${HYBRID_MOUNTS}90 31 0:90 / /mnt/memory rw - cgroup cgroup rw,memory\n`;
    expect(detectCgroups(again, HYBRID_SELF)!.planPod(UUID, [{ name: "a", resources: {} }]).mkdirs).toEqual(v1.planPod(UUID, [{ name: "a", resources: {} }]).mkdirs);
  });

  test("a limit whose controller is not mounted is reported, not written", () => {
    const noMemory = detectCgroups(HYBRID_MOUNTS.replace(/^35 .*\n/m, ""), HYBRID_SELF)!;
    const plan = noMemory.planPod(UUID, [{ name: "a", resources: { memoryLimit: 1 << 20 } }]);
    expect(plan.unsupported).toEqual(["memory"]);
    expect(plan.writes).toEqual([]);
  });
});

describe("reading mountinfo", () => {
  test("line by line across reads of any size, multi-byte characters included", () => {
    const dir = mkdtempSync(join(tmpdir(), "rkt-mi-"));
    tmp.push(dir);
    const text = `${HYBRID_MOUNTS}77 31 0:70 / /mnt/café\\040ünï rw - ext4 /dev/x rw\n78 31 0:71 / /last rw - tmpfs tmpfs rw`;
    writeFileSync(join(dir, "mountinfo"), text);
    for (const chunk of [1, 2, 3, 7, 64, 1 << 14]) expect([...mountInfoLines(join(dir, "mountinfo"), chunk)]).toEqual(text.split("\n"));
  });

  test("this process's own, as one read gives it", () => {
    expect([...mountInfoLines()].join("\n")).toBe(readFileSync("/proc/self/mountinfo", "utf8").replace(/\n$/, ""));
  });
});

describe("cgroup v2", () => {
  function unified(controllers: string): string {
    const root = mkdtempSync(join(tmpdir(), "rkt-cg2-"));
    tmp.push(root);
    writeFileSync(join(root, "cgroup.controllers"), controllers);
    return root;
  }

  test("pods go to machine.slice, controllers delegated down to the apps only when a limit needs them", () => {
    const root = unified("cpuset cpu io memory pids\n");
    const v2 = detectCgroups(`30 23 0:26 / ${root} rw - cgroup2 cgroup2 rw,nsdelegate\n`, "0::/user.slice/x.scope\n")!;
    expect(v2.version).toBe(2);
    expect(v2.ownProcs).toBe(`${root}/user.slice/x.scope/cgroup.procs`);
    const scope = `${root}/machine.slice/${SCOPE}`;
    const bare = v2.planPod(UUID, [{ name: "a", resources: {} }]);
    expect(bare.mkdirs).toEqual([`${root}/machine.slice`, scope, `${scope}/system.slice`, `${scope}/system.slice/a.service`]);
    expect(bare.owned).toEqual(bare.mkdirs.slice(1));
    expect(bare.writes).toEqual([]);
    expect(bare.subcgroup).toBe(`machine.slice/${SCOPE}`);
    const limited = v2.planPod(UUID, [{ name: "a", resources: { memoryLimit: 1 << 24, cpuQuotaPercent: 150, cpuShares: 2048 } }]);
    const delegate = [root, `${root}/machine.slice`, scope, `${scope}/system.slice`].map((d) => ({ path: `${d}/cgroup.subtree_control`, data: "+memory +cpu" }));
    expect(limited.writes).toEqual([
      ...delegate,
      { path: `${scope}/system.slice/a.service/memory.max`, data: String(1 << 24) },
      { path: `${scope}/system.slice/a.service/cpu.max`, data: "150000 100000" },
      { path: `${scope}/system.slice/a.service/cpu.weight`, data: "200" },
    ]);
  });

  test("systemd's shares → weight conversion, clamped", () => {
    expect(sharesToWeight(1024)).toBe(100);
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(262144)).toBe(10000);
  });

  test("a controller the root does not offer is reported", () => {
    const root = unified("pids\n");
    const v2 = detectCgroups(`30 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`, "0::/\n")!;
    const plan = v2.planPod(UUID, [{ name: "a", resources: { cpuShares: 100 } }]);
    expect(plan.unsupported).toEqual(["cpu"]);
    expect(plan.writes).toEqual([]);
  });

  test("no cgroup mounts at all: no manager", () => {
    expect(detectCgroups("31 23 0:28 / /sys rw - sysfs sysfs rw\n", "")).toBeUndefined();
  });
});
