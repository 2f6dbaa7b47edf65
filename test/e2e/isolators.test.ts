// App isolators of the built-in stage1 as a user drives them (acceptance.md: rkt_app_isolator,
// rkt_caps, rkt_seccomp, rkt_no_new_privs, rkt_oom_score_adj, rkt_paths, GCCgroup, RmCgroup), with
// the compiled binary, asserted from inside the pod (/proc/self/status, /proc/self/cgroup) and from
// the host (the cgroup files the app was put in).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capabilityNumber, RKT_DEFAULT_CAPABILITIES } from "../../stage1/isolators/capabilities.ts";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";
import { staticProgram, withPrograms } from "../helpers/static-program.ts";

let dir: string;
let aci: string;
/** an image whose manifest retains CAP_MKNOD, sets NNP, oom 250, 1 GiB of memory and a seccomp remove set */
let isolated: string;

/** Opens a new pseudo terminal pair, as a terminal emulator or `rkt enter` does: devpts's ptmx (5:2) and a pts (136:*). */
const PTY_PROBE = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) || unlockpt(m)) { perror("/dev/ptmx"); return 1; }
  if (open(ptsname(m), O_RDWR | O_NOCTTY) < 0) { perror(ptsname(m)); return 2; }
  puts("pty: usable");
  return 0;
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-isolators-"));
  aci = join(dir, "busybox.aci");
  isolated = join(dir, "isolated.aci");
  await busyboxAci(aci, {}, requires("gcc") ? {} : withPrograms(staticProgram(dir, "pty", PTY_PROBE)));
  await busyboxAci(isolated, {
    name: "example.com/isolated",
    app: {
      isolators: [
        { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_MKNOD"] } },
        { name: "os/linux/no-new-privileges", value: true },
        { name: "os/linux/oom-score-adj", value: 250 },
        { name: "resource/memory", value: { limit: "1Gi" } },
        { name: "os/linux/seccomp-remove-set", value: { set: ["umount2", "umount"], errno: "EXFULL" } },
      ],
    },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (image: string, script: string, ...flags: string[]) => [image, ...flags, "--exec=/bin/sh", "--", "-c", script, "---"];
function run(ctx: RktContext, args: string[], insecure = "image") {
  return ctx.rkt([`--insecure-options=${insecure}`, "run", "--net=host", ...args]);
}

/** A field of /proc/self/status as the app printed it with `grep`. */
function status(out: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(\\S+)`, "m").exec(out);
  if (!m) throw new Error(`no ${field} in ${JSON.stringify(out)}`);
  return m[1]!;
}

const mask = (...caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(capabilityNumber(c)!)), 0n);
const hex = (out: string, field: string) => BigInt(`0x${status(out, field)}`);
const DEFAULT = mask(...RKT_DEFAULT_CAPABILITIES);
const OWN_BOUNDING = BigInt(`0x${status(readFileSync("/proc/self/status", "utf8"), "CapBnd")}`);
const CAPS = "grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status";

/** rkt's TestDevices probes: mknod of /dev/null's device, of the old ptmx and of loop-control; the pseudo devices in use. */
const mknod = (name: string, major: number, minor: number) => `mknod /${name} c ${major} ${minor} && echo "${name}: succeed" || echo "${name}: fail"`;
const DEVICE_SCRIPT = [mknod("null", 1, 3), mknod("ptmx", 5, 2), mknod("loop-control", 10, 237), "echo x > /dev/null && head -c 1 /dev/urandom >/dev/null && echo pseudo: usable", "/bin/pty"].join("; ");
const DEVICES_CLOSED = "null: succeed\nptmx: fail\nloop-control: fail\npseudo: usable\npty: usable\n";
const DEVICES_OPEN = "null: succeed\nptmx: succeed\nloop-control: succeed\npseudo: usable\npty: usable\n";

/** Every pod cgroup directory on the host whose name has `uuid` in it (rkt's getPodCgroups). */
function podCgroups(uuid: string): string[] {
  const out: string[] = [];
  const scope = `machine-rkt\\x2d${uuid.replaceAll("-", "\\x2d")}.scope`;
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    for (const e of require("node:fs").readdirSync(d, { withFileTypes: true }) as import("node:fs").Dirent[]) {
      if (!e.isDirectory()) continue;
      if (e.name === scope) out.push(join(d, e.name));
      else if (!e.name.startsWith("machine-rkt")) walk(join(d, e.name), depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return out;
}

/** Starts `rkt run` in the background with an app that runs `script`; resolves once the app has written `ready` to the volume. */
async function startPod(ctx: RktContext, script: string, flags: string[] = []) {
  const uuidFile = join(ctx.tmp, `uuid-${Math.random()}`);
  const proc = Bun.spawn(
    ctx.argv(["--insecure-options=image", "run", "--net=host", `--uuid-file-save=${uuidFile}`, `--volume=out,kind=host,source=${ctx.tmp}`,
      aci, "--mount=volume=out,target=/out", ...flags, "--exec=/bin/sh", "--", "-c", `${script}; touch /out/ready; sleep 60`]),
    { stdout: "pipe", stderr: "pipe" },
  );
  for (let i = 0; i < 400 && !existsSync(join(ctx.tmp, "ready")); i++) await Bun.sleep(25);
  if (!existsSync(join(ctx.tmp, "ready"))) throw new Error(`pod did not start: ${await new Response(proc.stderr).text()}`);
  return { uuid: readFileSync(uuidFile, "utf8"), proc };
}

describe.skipIf(!!requires("root", "busybox"))("capabilities (rkt_caps)", () => {
  test("root apps get rkt's 14 capabilities, bounding, effective and permitted; non-root apps only the bounding set, with NNP forced by seccomp", () => {
    using ctx = rktContext();
    const root = run(ctx, sh(aci, CAPS)).stdout;
    expect(hex(root, "CapBnd")).toBe(DEFAULT);
    expect(hex(root, "CapEff")).toBe(DEFAULT);
    expect(hex(root, "CapPrm")).toBe(DEFAULT);
    expect(hex(root, "CapInh")).toBe(0n);
    expect(status(root, "NoNewPrivs")).toBe("0");
    const user = run(ctx, sh(aci, `${CAPS}; id -u`, "--user=1000", "--group=1000")).stdout;
    expect(hex(user, "CapBnd")).toBe(DEFAULT);
    expect(hex(user, "CapEff")).toBe(0n);
    expect(status(user, "NoNewPrivs")).toBe("1");
    expect(user).toEndWith("1000\n");
  });

  test("--caps-retain, --caps-remove and the deprecated --cap-retain, each app of a pod its own (SeveralAppWithFlags)", () => {
    using ctx = rktContext();
    const line = (name: string) => `echo ${name} $(grep CapBnd /proc/self/status)`;
    const r = run(ctx, [
      ...sh(aci, line("none"), "--name=none"),
      ...sh(aci, line("retain"), "--name=retain", "--caps-retain=CAP_NET_ADMIN,CAP_CHOWN"),
      ...sh(aci, line("old"), "--name=old", "--cap-retain=CAP_NET_ADMIN"),
      ...sh(aci, line("remove"), "--name=remove", "--caps-remove=CAP_CHOWN,CAP_SYS_ADMIN"),
      ...sh(aci, line("all"), "--name=all", `--caps-remove=${RKT_DEFAULT_CAPABILITIES.join(",")}`),
    ]);
    expect(r.code).toBe(0);
    const bnd = (name: string) => BigInt(`0x${new RegExp(`^${name} CapBnd:\\s*(\\S+)`, "m").exec(r.stdout)![1]}`);
    expect(bnd("none")).toBe(DEFAULT);
    expect(bnd("retain")).toBe(mask("CAP_NET_ADMIN", "CAP_CHOWN"));
    expect(bnd("old")).toBe(mask("CAP_NET_ADMIN"));
    expect(bnd("remove")).toBe(DEFAULT & ~mask("CAP_CHOWN"));
    expect(bnd("all")).toBe(0n);
  });

  test("flags replace the image's capability isolator (Override); --insecure-options=capabilities keeps them all", () => {
    using ctx = rktContext();
    expect(hex(run(ctx, sh(isolated, CAPS)).stdout, "CapBnd")).toBe(mask("CAP_MKNOD"));
    expect(hex(run(ctx, sh(isolated, CAPS, "--caps-retain=CAP_SYS_ADMIN")).stdout, "CapBnd")).toBe(mask("CAP_SYS_ADMIN"));
    expect(hex(run(ctx, sh(isolated, CAPS, "--caps-remove=CAP_KILL")).stdout, "CapBnd")).toBe(DEFAULT & ~mask("CAP_KILL"));
    for (const insecure of ["image,capabilities", "image,all-run", "all"]) expect(hex(run(ctx, sh(aci, CAPS), insecure).stdout, "CapBnd")).toBe(OWN_BOUNDING);
    expect(run(ctx, [aci, "--caps-retain=CAP_KILL", "--caps-remove=CAP_CHOWN"]).stderr).toContain("cannot use both --caps-retain and --caps-remove on the same image");
  });

  test("prepare records the isolators; run-prepared applies them with its own --insecure-options", () => {
    using ctx = rktContext();
    const uuid = ctx.rkt(["--insecure-options=image", "prepare", ...sh(aci, CAPS, "--caps-retain=CAP_KILL")]).stdout.trim();
    expect(JSON.parse(ctx.rkt(["cat-manifest", uuid]).stdout).apps[0].app.isolators).toEqual([{ name: "os/linux/capabilities-retain-set", value: { set: ["CAP_KILL"] } }]);
    expect(hex(ctx.rkt(["run-prepared", "--net=host", uuid]).stdout, "CapBnd")).toBe(mask("CAP_KILL"));
    const again = ctx.rkt(["--insecure-options=image", "prepare", ...sh(aci, CAPS, "--caps-retain=CAP_KILL")]).stdout.trim();
    expect(hex(ctx.rkt(["--insecure-options=capabilities", "run-prepared", "--net=host", again]).stdout, "CapBnd")).toBe(OWN_BOUNDING);
  });
});

describe.skipIf(!!requires("root", "busybox"))("no-new-privileges, oom score (rkt_no_new_privs, rkt_oom_score_adj)", () => {
  test("the image's isolators set NoNewPrivs and oom_score_adj; --oom-score-adj replaces the image's", () => {
    using ctx = rktContext();
    const image = run(ctx, sh(isolated, "grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj")).stdout;
    expect(status(image, "NoNewPrivs")).toBe("1");
    expect(image).toEndWith("\n250\n");
    expect(run(ctx, sh(isolated, "cat /proc/self/oom_score_adj", "--oom-score-adj=300")).stdout).toBe("300\n");
    expect(run(ctx, sh(aci, "cat /proc/self/oom_score_adj", "--oom-score-adj=42")).stdout).toBe("42\n");
    expect(run(ctx, [aci, "--oom-score-adj=1001"]).stderr).toContain('invalid --oom-score-adj "1001"');
  });
});

describe.skipIf(!!requires("root", "busybox"))("seccomp (rkt_seccomp)", () => {
  test("rkt's default whitelist: busybox works, filtered calls kill with SIGSYS, --insecure-options=seccomp turns it off", () => {
    using ctx = rktContext();
    const r = run(ctx, sh(aci, "grep Seccomp: /proc/self/status; ls / >/dev/null && echo ls-ok"));
    expect(r.stdout).toBe("Seccomp:\t2\nls-ok\n");
    const killed = run(ctx, [aci, "--exec=/bin/busybox", "--", "umount", "/proc"]);
    expect(killed.code).toBe(128 + 31);
    for (const insecure of ["image,seccomp", "image,all-run"]) {
      expect(run(ctx, sh(aci, "grep Seccomp: /proc/self/status"), insecure).stdout).toBe("Seccomp:\t0\n");
    }
  });

  test("remove sets with an errno, retain sets, @appc.io groups, and --seccomp over the image's set", () => {
    using ctx = rktContext();
    const stat = "stat -c %F / || exit 7";
    const blocked = run(ctx, sh(aci, stat, "--seccomp=mode=remove,errno=EXFULL,stat,lstat,newfstatat,statx"));
    expect(blocked.stderr).toContain("Exchange full");
    expect(blocked.code).toBe(7);
    expect(run(ctx, sh(aci, stat, "--seccomp=mode=remove,reboot")).stdout).toBe("directory\n");
    expect(run(ctx, sh(aci, stat, "--seccomp=mode=remove,reboot", "--user=1000")).stdout).toBe("directory\n");
    expect(run(ctx, sh(aci, stat, "--seccomp=mode=retain,@rkt/default-whitelist")).stdout).toBe("directory\n");
    expect(run(ctx, sh(aci, stat, "--seccomp=mode=remove,@appc.io/empty")).stdout).toBe("directory\n");
    expect(run(ctx, sh(aci, "grep Seccomp: /proc/self/status", "--seccomp=mode=retain,@appc.io/all")).stdout).toBe("Seccomp:\t0\n");
    const enosys = run(ctx, sh(aci, "umount /proc/sys", "--seccomp=mode=retain,errno=ENOSYS,@docker/default-whitelist"));
    expect(enosys.stderr).toContain("Function not implemented");
    // systemd's groups: @mount has umount2, @network-io not
    const mounts = (group: string) => run(ctx, sh(aci, "umount /proc/sys", "--caps-retain=CAP_SYS_ADMIN", `--seccomp=mode=remove,errno=EXFULL,${group}`));
    expect(mounts("@systemd/mount").stderr).toContain("Exchange full");
    expect(mounts("@systemd/network-io").code).toBe(0);
    // the image removes umount with EXFULL; the flag replaces that set
    expect(run(ctx, sh(isolated, "umount /proc/sys")).stderr).toContain("Exchange full");
    expect(run(ctx, sh(isolated, "umount /proc/sys", "--caps-retain=CAP_SYS_ADMIN", "--seccomp=mode=remove,errno=ENOTSUP,reboot")).code).toBe(0);
    expect(run(ctx, [aci, "--seccomp=mode=keep,read"]).stderr).toContain('mode must be "retain" or "remove"');
  });
});

// this machine's and CI's layout: v1 controllers (hybrid); a pure v2 host is covered by the v2 test below
const V1 = existsSync("/sys/fs/cgroup/memory/cgroup.procs");

describe.skipIf(!!requires("root", "busybox") || !V1)("cgroups (rkt_app_isolator, GCCgroup, RmCgroup)", () => {
  test("--memory, --cpu and --cpu-shares reach the app's cgroup; the app sees its cgroups; they go when the pod ends", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await startPod(ctx, "cat /proc/self/cgroup > /out/cgroup", ["--memory=25M", "--cpu=800m", "--cpu-shares=512"]);
    // "id:controllers:path" lines; a hierarchy is mounted at /sys/fs/cgroup/<controllers> (systemd's: /systemd)
    const lines = readFileSync(join(ctx.tmp, "cgroup"), "utf8").trim().split("\n").map((l) => l.split(":"));
    const file = (controller: string, f: string) => {
      const [, list, path] = lines.find(([, list]) => list!.split(",").includes(controller))!;
      return readFileSync(`/sys/fs/cgroup/${list!.replace("name=", "")}${path}/${f}`, "utf8").trim();
    };
    const memory = lines.find(([, list]) => list === "memory")![2]!;
    expect(memory).toEndWith(`/machine-rkt\\x2d${uuid.replaceAll("-", "\\x2d")}.scope/system.slice/busybox.service`);
    // 25M is decimal, as in rkt; the kernel rounds down to whole pages
    expect(file("memory", "memory.limit_in_bytes")).toBe(String(25e6 - (25e6 % 4096)));
    expect(file("cpu", "cpu.cfs_quota_us")).toBe("80000");
    expect(file("cpu", "cpu.cfs_period_us")).toBe("100000");
    expect(file("cpu", "cpu.shares")).toBe("512");
    expect(file("name=systemd", "cgroup.procs")).toMatch(/^\d+/);
    expect(podCgroups(uuid).length).toBeGreaterThan(0);
    expect(readFileSync(join(ctx.dir, "pods", "run", uuid, "subcgroup"), "utf8")).toContain("machine-rkt\\x2d");
    ctx.rkt(["stop", "--force", uuid]);
    await proc.exited;
    expect(podCgroups(uuid)).toEqual([]);
  }, 20_000);

  // with swap, MemoryLimit= (memory.limit_in_bytes) only moves the excess there
  const swap = readFileSync("/proc/swaps", "utf8").trim().split("\n").length > 1;
  test.skipIf(swap)("the memory limit is enforced: an allocation above it is OOM-killed; the image's limit applies too", () => {
    using ctx = rktContext();
    const dd = "dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null && echo fits";
    expect(run(ctx, sh(aci, dd)).stdout).toBe("fits\n");
    expect(run(ctx, sh(aci, dd, "--memory=16M")).code).toBe(128 + 9);
    // the image's 1 GiB, then the flag's 16M: the later one wins
    expect(run(ctx, sh(isolated, dd)).stdout).toBe("fits\n");
    expect(run(ctx, sh(isolated, dd, "--memory=16M")).code).toBe(128 + 9);
    expect(run(ctx, [aci, "--memory=16m"]).stderr).toContain("memory limit of 0.016 bytes too low");
  });

  test("a pod whose stage1 was killed keeps its cgroups until gc (GCCgroup) or rm (RmCgroup) removes them", async () => {
    using ctx = rktContext();
    for (const how of [["gc", "--grace-period=0s"], ["rm"]]) {
      rmSync(join(ctx.tmp, "ready"), { force: true });
      const { uuid, proc } = await startPod(ctx, "true");
      proc.kill(9);
      await proc.exited;
      await Bun.sleep(100);
      expect(podCgroups(uuid).length).toBeGreaterThan(0);
      expect(ctx.rkt(how[0] === "rm" ? ["rm", uuid] : how).code).toBe(0);
      expect(podCgroups(uuid)).toEqual([]);
    }
  }, 30_000);
});

describe.skipIf(!!requires("root", "busybox") || !V1)("rkt inside a container (a device cgroup of its own, no mknod)", () => {
  test("the pod's /dev gets the host's nodes bound in where mknod is refused, as nspawn does; the grants its cgroup lacks are skipped", () => {
    using ctx = rktContext();
    const cg = `/sys/fs/cgroup/devices/rkt-e2e-${process.pid}`;
    mkdirSync(cg);
    try {
      writeFileSync(`${cg}/devices.deny`, "a");
      for (const rule of ["c 1:3 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 136:* rw", "c 5:2 rw"]) writeFileSync(`${cg}/devices.allow`, rule);
      const script = "echo x > /dev/null && echo null: usable; head -c 1 /dev/zero >/dev/null 2>&1 || echo zero: denied; stat -c '%t:%T' /dev/zero";
      const argv = ctx.argv(["--insecure-options=image", "run", "--net=host", ...sh(aci, script)]);
      const p = Bun.spawnSync(["sh", "-c", `echo $$ > ${cg}/cgroup.procs && exec "$@"`, "sh", ...argv], { stdout: "pipe", stderr: "pipe" });
      expect(p.stderr.toString()).not.toContain("cannot set up pod");
      expect(p.stdout.toString()).toBe("null: usable\nzero: denied\n1:5\n");
    } finally {
      ctx.rkt(["gc", "--grace-period=0s"]);
      rmdirSync(cg);
    }
  });
});

describe.skipIf(!!requires("root", "busybox") || !V1)("rkt inside a container with read-only cgroups", () => {
  test("the pod is refused with one clear error, and gc collects it", () => {
    using ctx = rktContext();
    const argv = ctx.argv(["--insecure-options=image", "run", "--net=host", ...sh(aci, "echo ran")]);
    const ro = 'for d in /sys/fs/cgroup/*/; do mount -o bind,ro "$d" "$d"; done; exec "$@"';
    const p = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", ro, "sh", ...argv], { stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(254);
    expect(p.stdout.toString()).toBe("");
    const errors = p.stderr.toString().split("\n").filter((l) => l.startsWith("rkt: cannot") || l.startsWith("stage1:"));
    expect(errors).toEqual([expect.stringMatching(/^rkt: cannot create cgroup ".*": the cgroup filesystem is read-only here \(inside a container, rkt needs it writable\)$/)]);
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  });
});

describe.skipIf(!!requires("root", "busybox") || !existsSync("/sys/fs/cgroup/unified/cgroup.procs"))("cgroup v2", () => {
  /** Runs rkt with the hybrid host's unified hierarchy as the only one, in a private mount namespace. */
  function inCgroup2(argv: string[]) {
    try {
      return Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"', "sh", ...argv]);
    } finally {
      Bun.spawnSync(["rmdir", "/sys/fs/cgroup/unified/machine.slice"]);
    }
  }

  test("pods and apps go to machine.slice; limits without their controller are reported, not applied", () => {
    using ctx = rktContext();
    const uuidFile = join(ctx.tmp, "uuid");
    const p = inCgroup2(ctx.argv(["--insecure-options=image", "run", "--net=host", `--uuid-file-save=${uuidFile}`, ...sh(aci, "cat /proc/self/cgroup", "--memory=20M")]));
    const uuid = readFileSync(uuidFile, "utf8");
    const scope = `machine-rkt\\x2d${uuid.replaceAll("-", "\\x2d")}.scope`;
    expect(p.stdout.toString()).toContain(`0::/machine.slice/${scope}/system.slice/busybox.service\n`);
    expect(p.stderr.toString()).toContain("resource/memory isolator set but support disabled in the kernel, skipping");
    expect(existsSync(`/sys/fs/cgroup/unified/machine.slice/${scope}`)).toBe(false);
  });

  test("the device allow list is an eBPF filter on the app's cgroup (rkt_devices)", () => {
    using ctx = rktContext();
    const out = (insecure: string) => inCgroup2(ctx.argv([`--insecure-options=${insecure}`, "run", "--net=host", ...sh(aci, DEVICE_SCRIPT)])).stdout.toString();
    expect(out("image")).toBe(DEVICES_CLOSED);
    expect(out("image,paths")).toBe(DEVICES_OPEN);
  });
});

describe.skipIf(!!requires("root", "busybox"))("restricted paths (rkt_paths)", () => {
  test("/proc/sys is read-only unless --insecure-options=paths (PathsWrite)", () => {
    using ctx = rktContext();
    const write = "echo other > /proc/sys/kernel/hostname && hostname";
    for (const insecure of ["image", "image,ondisk,capabilities", "all-fetch"]) expect(run(ctx, sh(aci, write), insecure).stderr).toContain("Read-only file system");
    for (const insecure of ["image,paths", "image,all-run", "all"]) expect(run(ctx, sh(aci, write), insecure).stdout).toBe("other\n");
  });

  test("host-revealing /proc files and /sys directories are mode 000 (ProcPathsStat); /dev/ptmx is a 0666 device (DevPathsStat)", () => {
    using ctx = rktContext();
    const hidden = ["/sys/firmware", "/sys/fs", "/proc/kallsyms", "/proc/kcore"].filter(existsSync);
    const r = run(ctx, sh(aci, `stat -c '%n %A' ${hidden.join(" ")}; stat -L -c '%n %A %u %g' /dev/ptmx`));
    for (const p of hidden) expect(r.stdout).toContain(`${p} ${statSync(p).isDirectory() ? "d" : "-"}---------`);
    expect(r.stdout).toContain("/dev/ptmx crw-rw-rw- 0 0");
    const open = run(ctx, sh(aci, `stat -c '%n %A' ${hidden.join(" ")}`), "image,paths").stdout;
    for (const p of hidden) expect(open).not.toContain(`${p} ${statSync(p).isDirectory() ? "d" : "-"}---------`);
  });

  test("the device cgroup: pseudo devices only, host devices bound in as volumes, all with --insecure-options=paths (rkt_devices)", () => {
    using ctx = rktContext();
    expect(run(ctx, sh(aci, DEVICE_SCRIPT)).stdout).toBe(DEVICES_CLOSED);
    expect(run(ctx, sh(aci, DEVICE_SCRIPT), "image,paths").stdout).toBe(DEVICES_OPEN);
    // a host device bound in is usable (loop-control answers a read with EINVAL, a denied open is EPERM)
    const volume = ["--volume=lc,kind=host,source=/dev/loop-control", ...sh(aci, "cat /tmp/lc", "--mount=volume=lc,target=/tmp/lc")];
    expect(run(ctx, volume).stderr).toContain("Invalid argument");
    expect(run(ctx, volume, "image,paths").stderr).toContain("Invalid argument");
  });

  test("the pod's PID 1 does not lead apps to the host's root", () => {
    using ctx = rktContext();
    const r = run(ctx, sh(aci, "ls /proc/1/root/ || echo denied"));
    expect(r.stdout).toBe("denied\n");
  });
});
