import { describe, expect, test } from "bun:test";
import { MNT } from "../../ffi/constants.ts";
import { recordingSys } from "../../ffi/sys.ts";
import { mountPoints, mountsBelow, unmountAll } from "./teardown.ts";

const MOUNTINFO = [
  "22 1 0:21 / / rw - ext4 /dev/vda rw",
  "40 22 0:40 / /data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs rw - overlay overlay rw",
  "41 40 0:41 / /data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs/proc rw - proc proc rw",
  "42 22 0:42 / /data/pods/run/u2/with\\040space rw - tmpfs tmpfs rw",
  "43 22 0:43 / /data/pods/run/uu rw - tmpfs tmpfs rw",
].join("\n");

describe("pod teardown", () => {
  test("finds the mounts below a pod directory, decoding mountinfo escapes", () => {
    expect(mountsBelow("/data/pods/run/u", mountPoints(MOUNTINFO))).toEqual([
      "/data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs",
      "/data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs/proc",
    ]);
    expect(mountsBelow("/data/pods/run/u2", mountPoints(MOUNTINFO))).toEqual(["/data/pods/run/u2/with space"]);
  });

  test("unmounts deepest first and detaches a busy mount", () => {
    const sys = recordingSys({ failAt: 2, errno: 16 });
    unmountAll(mountsBelow("/data/pods/run/u", mountPoints(MOUNTINFO)), sys);
    expect(sys.calls).toEqual([
      { op: "umount", args: ["/data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs/proc"] },
      { op: "umount", args: ["/data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs"] },
      { op: "umount", args: ["/data/pods/run/u/stage1/rootfs/opt/stage2/a/rootfs", MNT.MNT_DETACH] },
    ]);
  });
});
