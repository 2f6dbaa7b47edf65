// core/posix-path.ts gives node:path's answers for every shape of path rkt passes, and the odd ones.
import { describe, expect, test } from "bun:test";
import * as node from "node:path";
import * as ours from "./posix-path.ts";

const PATHS = ["", ".", "..", "/", "//", "a", "a/", "/a", "/a/", "a/b", "/a/b/c", "a//b", "/a/./b/../c", "../a/../../b", "/../x", "a/..", "./a", "a/b/..//c/", "/var/lib/rkt/pods/run/x", "rootfs/etc/mtab"];

describe("posix-path", () => {
  test("normalize, dirname, basename and isAbsolute as node's", () => {
    for (const p of PATHS) {
      expect([p, ours.normalize(p)]).toEqual([p, node.posix.normalize(p)]);
      expect([p, ours.dirname(p)]).toEqual([p, node.posix.dirname(p)]);
      expect([p, ours.basename(p)]).toEqual([p, node.posix.basename(p)]);
      expect([p, ours.isAbsolute(p)]).toEqual([p, node.posix.isAbsolute(p)]);
    }
  });

  test("join and resolve as node's", () => {
    for (const a of PATHS) {
      for (const b of ["", "b", "/b", "../b", "b/", "./b/c"]) {
        expect([a, b, ours.join(a, b)]).toEqual([a, b, node.posix.join(a, b)]);
        expect([a, b, ours.resolve(a, b)]).toEqual([a, b, node.posix.resolve(a, b)]);
      }
    }
    expect(ours.join()).toBe(node.posix.join());
    expect(ours.join("/pod", "stage1", "rootfs", "opt/stage2", "app", "rootfs")).toBe("/pod/stage1/rootfs/opt/stage2/app/rootfs");
    expect(ours.resolve()).toBe(process.cwd());
  });
});
