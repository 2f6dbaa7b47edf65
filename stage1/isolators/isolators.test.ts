import { describe, expect, test } from "bun:test";
import { isolatorValue, type Isolator } from "../../core/schema/isolators.ts";
import { compileSeccomp, errnoAction, SECCOMP_RET, type SeccompPolicy } from "./bpf.ts";
import { appCapabilities, capabilityDropMask, capabilityNumber, RKT_DEFAULT_CAPABILITIES } from "./capabilities.ts";
import { appSeccomp, seccompPolicy } from "./seccomp.ts";
import { SYSCALLS_X86_64 as NR } from "./syscalls-x86_64.ts";

const values = (list: Isolator[]) => list.map(isolatorValue);
const retain = (set: string[], errno?: string): Isolator => ({ name: "os/linux/seccomp-retain-set", value: errno ? { set, errno } : { set } });
const remove = (set: string[], errno?: string): Isolator => ({ name: "os/linux/seccomp-remove-set", value: errno ? { set, errno } : { set } });

/** Runs a seccomp program as the kernel would for syscall `nr` of architecture `arch`. */
function run(prog: Uint8Array, nr: number, arch = 0xc000003e): number {
  const v = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  let a = 0;
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const [code, jt, jf, k] = [v.getUint16(pc * 8, true), v.getUint8(pc * 8 + 2), v.getUint8(pc * 8 + 3), v.getUint32(pc * 8 + 4, true)];
    if (code === 0x20) a = k === 0 ? nr : k === 4 ? arch : 0;
    else if (code === 0x06) return k;
    else {
      const taken = code === 0x15 ? a === k : code === 0x25 ? a > k : code === 0x35 ? a >= k : undefined;
      if (taken === undefined) throw new Error(`unexpected opcode ${code}`);
      pc += taken ? jt : jf;
    }
  }
  throw new Error("fell off the end of the program");
}

describe("capabilities (rkt's getAppCapabilities)", () => {
  test("the default bounding set is rkt's 14", () => {
    expect(appCapabilities([])).toEqual([...RKT_DEFAULT_CAPABILITIES]);
    expect(RKT_DEFAULT_CAPABILITIES).toHaveLength(14);
  });

  test("a retain set is exactly the bounding set; a remove set takes from the default only", () => {
    const caps = (name: string, set: string[]) => appCapabilities(values([{ name, value: { set } }]));
    expect(caps("os/linux/capabilities-retain-set", ["CAP_NET_ADMIN"])).toEqual(["CAP_NET_ADMIN"]);
    expect(caps("os/linux/capabilities-remove-set", ["CAP_CHOWN", "CAP_SYS_ADMIN"])).toEqual(RKT_DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_CHOWN"));
    expect(caps("os/linux/capabilities-remove-set", ["CAP_SYS_ADMIN"])).toEqual([...RKT_DEFAULT_CAPABILITIES]);
  });

  test("names map to numbers with or without CAP_, in any case", () => {
    expect(capabilityNumber("CAP_CHOWN")).toBe(0);
    expect(capabilityNumber("net_admin")).toBe(12);
    expect(capabilityNumber("CAP_CHECKPOINT_RESTORE")).toBe(40);
    expect(capabilityNumber("CAP_NOPE")).toBeUndefined();
  });

  test("the drop mask covers 0…cap_last_cap outside the kept set", () => {
    expect(capabilityDropMask(["CAP_CHOWN", "CAP_KILL"], 40)).toBe(((1n << 41n) - 1n) & ~0b100001n);
    // the 14 defaults are bits 0 1 3 4 5 6 7 8 10 13 18 27 29 31
    expect(capabilityDropMask([...RKT_DEFAULT_CAPABILITIES], 40) ^ ((1n << 41n) - 1n)).toBe(0xa80425fbn);
  });
});

describe("seccomp isolators (rkt's generateSeccompFilter)", () => {
  test("no isolator means rkt's default whitelist, killing with SIGSYS", () => {
    const f = appSeccomp([])!;
    expect(f.mode).toBe("retain");
    expect(f.errno).toBe("");
    expect(f.syscalls).toContain("execve");
    expect(f.syscalls).not.toContain("mount");
  });

  test("@appc.io/all in a retain set turns seccomp off; @appc.io/empty in a remove set means the default whitelist", () => {
    expect(appSeccomp(values([retain(["@appc.io/all"])]))).toBeUndefined();
    expect(appSeccomp(values([remove(["@appc.io/empty"], "EPERM")]))).toMatchObject({ mode: "retain", errno: "EPERM" });
    expect(appSeccomp(values([remove(["@appc.io/empty"])]))!.syscalls).toEqual(appSeccomp([])!.syscalls);
  });

  test("groups expand; unknown wildcards are skipped as rkt skips them", () => {
    const f = appSeccomp(values([remove(["@rkt/default-blacklist", "socket", "@vendor/thing"], "ENOTSUP")]))!;
    expect(f).toMatchObject({ mode: "remove", errno: "ENOTSUP" });
    expect(f.syscalls).toContain("umount2");
    expect(f.syscalls).toContain("socket");
    expect(f.syscalls).not.toContain("@vendor/thing");
    expect(appSeccomp(values([retain(["@docker/default-whitelist"])]))!.syscalls).toEqual(appSeccomp([])!.syscalls);
  });

  test("rkt's @systemd/ wildcards are systemd v233's groups, @privileged with @clock, @module and @raw-io in it", () => {
    const set = (name: string) => appSeccomp(values([remove([`@systemd/${name}`])]))!.syscalls;
    expect(set("clock")).toEqual(["adjtimex", "clock_adjtime", "clock_settime", "settimeofday", "stime"]);
    expect(set("mount")).toEqual(["chroot", "mount", "pivot_root", "umount2", "umount"]);
    expect(set("process")).toContain("unshare");
    expect(set("network-io")).toContain("socket");
    expect(set("obsolete")).toContain("uselib");
    expect(set("raw-io")).toContain("iopl");
    expect(set("privileged")).toEqual(expect.arrayContaining([...set("clock"), "init_module", "iopl", "setuid", "sethostname", "bpf"]));
    expect(set("default-whitelist")).toContain("execve");
  });

  test("a set naming no system call opts in to the default whitelist, as rkt's getSeccompFilter does", () => {
    const whitelist = appSeccomp([])!.syscalls;
    for (const set of [["@systemd/no-such-group"], ["@vendor/thing"], ["@appc.io/empty"]]) {
      expect(appSeccomp(values([retain(set, "EACCES")]))).toEqual({ mode: "retain", syscalls: whitelist, errno: "EACCES" });
      expect(appSeccomp(values([remove(set)]))).toEqual({ mode: "retain", syscalls: whitelist, errno: "" });
    }
    expect(appSeccomp(values([remove(["@appc.io/all"])]))!.syscalls).toEqual(whitelist);
  });
});

describe("the BPF program", () => {
  test("the default whitelist allows what busybox needs, returns ENOSYS for calls newer than rkt, kills the rest", () => {
    const prog = compileSeccomp(seccompPolicy(appSeccomp([])!));
    for (const name of ["read", "write", "openat", "execve", "clone", "exit_group", "newfstatat", "getdents64", "rt_sigreturn"]) expect(run(prog, NR[name]!)).toBe(SECCOMP_RET.ALLOW);
    for (const name of ["rseq", "clone3", "faccessat2", "statx", "close_range"]) expect(run(prog, NR[name]!)).toBe(errnoAction(38));
    for (const name of ["mount", "umount2", "ptrace", "reboot", "unshare", "setns", "bpf"]) expect(run(prog, NR[name]!)).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(prog, 100_000)).toBe(errnoAction(38));
  });

  test("other ABIs are killed: i386 by architecture, x32 by number", () => {
    const prog = compileSeccomp({ rules: [], otherwise: SECCOMP_RET.ALLOW });
    expect(run(prog, NR.read!)).toBe(SECCOMP_RET.ALLOW);
    expect(run(prog, 3, 0x40000003 /* AUDIT_ARCH_I386 */)).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(prog, 0x40000000 + NR.read!)).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  test("a remove set with an errno blocks only the listed calls; names this architecture lacks are skipped", () => {
    const prog = compileSeccomp(seccompPolicy({ mode: "remove", syscalls: ["stat", "newfstatat", "chown32"], errno: "EXFULL" }));
    expect(run(prog, NR.stat!)).toBe(errnoAction(54));
    expect(run(prog, NR.newfstatat!)).toBe(errnoAction(54));
    expect(run(prog, NR.lstat!)).toBe(SECCOMP_RET.ALLOW);
    expect(run(prog, NR.statx!)).toBe(SECCOMP_RET.ALLOW);
  });

  test("a custom whitelist keeps systemd's @default calls and names its errno; an unknown errno is refused", () => {
    const prog = compileSeccomp(seccompPolicy({ mode: "retain", syscalls: ["read"], errno: "EPERM" }));
    expect(run(prog, NR.read!)).toBe(SECCOMP_RET.ALLOW);
    expect(run(prog, NR.execve!)).toBe(SECCOMP_RET.ALLOW);
    expect(run(prog, NR.write!)).toBe(errnoAction(1));
    expect(() => seccompPolicy({ mode: "retain", syscalls: [], errno: "ENOPE" })).toThrow(/unknown errno "ENOPE"/);
  });

  test("adjacent numbers with one action merge into ranges; every jump fits its 8 bits", () => {
    const policy: SeccompPolicy = { rules: Array.from({ length: 300 }, (_, i) => [i * 2, i * 2, SECCOMP_RET.ALLOW] as const), otherwise: SECCOMP_RET.KILL_PROCESS };
    const prog = compileSeccomp(policy);
    expect(prog.length / 8).toBe(6 + 300 * 4 + 1);
    expect(run(prog, 598)).toBe(SECCOMP_RET.ALLOW);
    expect(run(prog, 599)).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(compileSeccomp({ rules: [[0, 9, SECCOMP_RET.ALLOW], [10, 19, SECCOMP_RET.ALLOW]], otherwise: 0 }).length / 8).toBe(6 + 4 + 1);
  });
});
