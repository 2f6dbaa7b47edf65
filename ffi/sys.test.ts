import { describe, expect, test } from "bun:test";
import { recordingSys } from "./sys.ts";
import { MS } from "./constants.ts";
import { SyscallError, flagNames } from "./errors.ts";

describe("recordingSys", () => {
  test("records calls in order with their arguments", () => {
    const sys = recordingSys();
    sys.unshare(0x20000);
    sys.mount("/a", "/b", undefined, MS.MS_BIND | MS.MS_REC);
    expect(sys.calls).toEqual([
      { op: "unshare", args: [0x20000] },
      { op: "mount", args: ["/a", "/b", undefined, MS.MS_BIND | MS.MS_REC] },
    ]);
  });

  test("fails the Nth call with a SyscallError", () => {
    const sys = recordingSys({ failAt: 2, errno: 16 });
    sys.chroot("/x");
    expect(() => sys.umount("/y")).toThrow(SyscallError);
    expect(() => sys.umount("/y")).not.toThrow();
  });
});

describe("mount errors", () => {
  test("name the flags as runc's mountError does", () => {
    const e = new SyscallError({ syscall: "mount", errno: 1, path: "/x", target: "/y", flags: flagNames(MS.MS_BIND | MS.MS_REC, MS) });
    expect(e.message).toBe("mount src=/x dst=/y flags=MS_BIND|MS_REC: EPERM (Operation not permitted)");
    expect(e.code).toBe("EPERM");
  });
});
