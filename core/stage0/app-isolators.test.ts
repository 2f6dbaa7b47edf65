import { describe, expect, test } from "bun:test";
import type { Isolator } from "../schema/isolators.ts";
import { applyIsolatorOverrides, isolatorOverrides, seccompFlagIsolator } from "./app-isolators.ts";

const retainCaps = (...set: string[]): Isolator => ({ name: "os/linux/capabilities-retain-set", value: { set } });
const removeCaps = (...set: string[]): Isolator => ({ name: "os/linux/capabilities-remove-set", value: { set } });

describe("per-app isolator flags", () => {
  test("--memory and --cpu make resource isolators with request = limit; tiny memory limits are refused as rkt refuses them", () => {
    const o = isolatorOverrides({ memory: "16M", cpu: "500m" });
    expect(o.memory).toEqual({ name: "resource/memory", value: { default: false, request: "16M", limit: "16M" } });
    expect(o.cpu).toEqual({ name: "resource/cpu", value: { default: false, request: "500m", limit: "500m" } });
    expect(() => isolatorOverrides({ memory: "16m" })).toThrow("memory limit of 0.016 bytes too low. Try a reasonable value, such as --memory=16M");
    expect(() => isolatorOverrides({ memory: "lots" })).toThrow(/invalid --memory "lots"/);
  });

  test("--cpu-shares and --oom-score-adj are checked against appc's ranges", () => {
    expect(isolatorOverrides({ cpuShares: "512", oomScoreAdj: "-17" })).toEqual({
      cpuShares: { name: "os/linux/cpu-shares", value: 512 },
      oomScoreAdj: { name: "os/linux/oom-score-adj", value: -17 },
    });
    expect(() => isolatorOverrides({ cpuShares: "1" })).toThrow(/invalid --cpu-shares "1"/);
    expect(() => isolatorOverrides({ oomScoreAdj: "1001" })).toThrow(/invalid --oom-score-adj "1001"/);
    expect(() => isolatorOverrides({ oomScoreAdj: "x" })).toThrow(/invalid --oom-score-adj "x"/);
  });

  test("--caps-retain and --caps-remove exclude each other", () => {
    expect(isolatorOverrides({ capsRemove: "CAP_KILL,CAP_CHOWN" }).caps).toEqual(removeCaps("CAP_KILL", "CAP_CHOWN"));
    expect(() => isolatorOverrides({ capsRetain: "CAP_KILL", capsRemove: "CAP_CHOWN" })).toThrow("cannot use both --caps-retain and --caps-remove on the same image");
  });

  test("--seccomp: mode, errno, then syscalls and groups", () => {
    expect(seccompFlagIsolator("mode=remove,errno=EXFULL,stat,@rkt/default-blacklist")).toEqual({
      name: "os/linux/seccomp-remove-set",
      value: { set: ["stat", "@rkt/default-blacklist"], errno: "EXFULL" },
    });
    expect(seccompFlagIsolator("errno=EPERM,mode=retain,@appc.io/all").name).toBe("os/linux/seccomp-retain-set");
    expect(() => seccompFlagIsolator("mode=keep,read")).toThrow(/mode must be "retain" or "remove"/);
    expect(() => seccompFlagIsolator("mode=retain")).toThrow(/invalid --seccomp/);
    expect(() => seccompFlagIsolator("mode=retain,errno=eperm,read")).toThrow(/invalid --seccomp/);
  });
});

describe("flags over the image's isolators (rkt's prepareIsolators)", () => {
  // rkt's TestCapsOverride: a flag replaces whichever capability set the image has
  test.each([
    [retainCaps("CAP_MKNOD"), { capsRetain: "CAP_SYS_ADMIN" }, retainCaps("CAP_SYS_ADMIN")],
    [removeCaps("CAP_CHOWN"), { capsRetain: "CAP_SYS_ADMIN" }, retainCaps("CAP_SYS_ADMIN")],
    [removeCaps("CAP_CHOWN"), { capsRemove: "CAP_KILL" }, removeCaps("CAP_KILL")],
    [retainCaps("CAP_MKNOD"), { capsRemove: "CAP_KILL" }, removeCaps("CAP_KILL")],
  ])("image %j with %j gives %j", (image, flags, want) => {
    expect(applyIsolatorOverrides([image], isolatorOverrides(flags))).toEqual([want]);
  });

  test("--memory/--cpu are appended (the later wins in stage1); the others replace the image's", () => {
    const image: Isolator[] = [
      { name: "resource/memory", value: { limit: "1G" } },
      { name: "os/linux/cpu-shares", value: 100 },
      { name: "os/linux/seccomp-retain-set", value: { set: ["read"] } },
      { name: "vendor.example/other", value: 1 },
    ];
    const out = applyIsolatorOverrides(image, isolatorOverrides({ memory: "64M", cpuShares: "300", seccomp: "mode=remove,reboot", oomScoreAdj: "5" }));
    expect(out.map((i) => i.name)).toEqual(["resource/memory", "vendor.example/other", "resource/memory", "os/linux/cpu-shares", "os/linux/oom-score-adj", "os/linux/seccomp-remove-set"]);
    expect(out[3]!.value).toBe(300);
    expect(applyIsolatorOverrides(image, {})).toEqual(image);
  });
});
