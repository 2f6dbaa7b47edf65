import { describe, expect, test } from "bun:test";
import { parseRunArgs } from "./args.ts";
import { planPodMounts, resolveAppMounts } from "./mounts.ts";

describe("--private-users in stage1", () => {
  test("SHIFT:COUNT is parsed; anything else is a usage error", () => {
    expect(parseRunArgs(["--private-users=131072:65536", "U"]).privateUsers).toEqual({ shift: 131072, count: 65536 });
    expect(parseRunArgs(["U"]).privateUsers).toBeUndefined();
    for (const bad of ["yes", "1:0", "-1:5", "4294967295:2", "1:2:3"]) {
      expect(() => parseRunArgs([`--private-users=${bad}`, "U"])).toThrow(/invalid --private-users/);
    }
  });

  test("empty volumes are made with their owner moved into the range", () => {
    const input = {
      flavor: "coreos" as const, podDir: "/pod", hostname: "h", dns: { resolv: "default", hosts: "default" }, console: "/dev/null", restrictPaths: false,
      apps: [{ name: "a", root: "/nonexistent-root", readOnlyRootFS: false, volumes: resolveAppMounts({ name: "a", mountPoints: [], mounts: [{ volume: "v", path: "/v" }] }, [{ name: "v", kind: "empty", mode: "0750", uid: 1000, gid: 50 }]) }],
    };
    const mkdir = (idShift?: number) => planPodMounts({ ...input, idShift }).find((o) => o.op === "mkdir" && o.path === "/pod/sharedVolumes/v");
    expect(mkdir()).toEqual({ op: "mkdir", path: "/pod/sharedVolumes/v", mode: 0o750, uid: 1000, gid: 50 });
    expect(mkdir(0x20000)).toEqual({ op: "mkdir", path: "/pod/sharedVolumes/v", mode: 0o750, uid: 0x20000 + 1000, gid: 0x20000 + 50 });
  });
});
