import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, PodStateError, UsageError } from "../errors.ts";
import { dataPaths } from "../paths.ts";
import { createPod, lockPod, movePod } from "./lifecycle.ts";
import { listPods, podInfo, podState } from "./pod.ts";
import { checkCanRemove, checkCanStop, deriveState, stateName } from "./state.ts";
import { isPodUuid, newPodUuid, resolvePodUuid } from "./uuid.ts";

const dirs: string[] = [];
function paths() {
  const d = mkdtempSync(join(tmpdir(), "rkt-pods-"));
  dirs.push(d);
  return dataPaths(d);
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("pod UUIDs", () => {
  test("are RFC 4122 version 4", () => {
    const u = newPodUuid();
    expect(isPodUuid(u)).toBe(true);
    expect(isPodUuid(u.toUpperCase())).toBe(false);
  });

  test("resolve from unambiguous prefixes in any state", () => {
    const p = paths();
    const a = "11111111-2222-4333-8444-555555555555";
    const b = "11112222-2222-4333-8444-555555555555";
    mkdirSync(p.podDir("run", a), { recursive: true });
    mkdirSync(p.podDir("garbage", b), { recursive: true });
    expect(resolvePodUuid(p, "111111")).toBe(a);
    expect(resolvePodUuid(p, "11112222-2")).toBe(b);
    expect(() => resolvePodUuid(p, "1111")).toThrow(/ambiguous/);
    expect(() => resolvePodUuid(p, "ffff")).toThrow(NotFoundError);
    expect(() => resolvePodUuid(p, "")).toThrow(UsageError);
    expect(() => resolvePodUuid(p, "xyz")).toThrow(UsageError);
  });
});

describe("pod state", () => {
  test("is derived from the directory and the lock, as rkt's table", () => {
    expect(deriveState("prepare", true)).toBe("preparing");
    expect(deriveState("prepare", false)).toBe("aborted-prepare");
    expect(deriveState("run", true)).toBe("running");
    expect(deriveState("run", false)).toBe("exited");
    expect(deriveState("exited-garbage", false)).toBe("exited-garbage");
    expect(deriveState("garbage", true)).toBe("deleting");
    expect(stateName("aborted-prepare")).toBe("aborted prepare");
  });

  test("guards throw PodStateError naming what was expected", () => {
    expect(() => checkCanStop("u", "exited")).toThrow(PodStateError);
    expect(() => checkCanRemove("u", "running")).toThrow(/is running, expected not running/);
    expect(() => checkCanRemove("u", "exited")).not.toThrow();
  });

  test("follows transitions and the lock", () => {
    const p = paths();
    const pod = createPod(p);
    expect(pod.dir).toBe("prepare");
    expect(podState(p, pod.uuid).state).toBe("preparing");
    const run = movePod(p, pod, "run");
    expect(podState(p, pod.uuid).state).toBe("running");
    expect(lockPod(p, pod.uuid, "run")).toBeUndefined();
    run.lock.release();
    expect(podState(p, pod.uuid).state).toBe("exited");
    expect(readdirSync(join(p.pods, "embryo"))).toEqual([]);
  });

  test("an abandoned prepare is 'aborted prepare'", () => {
    const p = paths();
    const pod = createPod(p);
    pod.lock.release();
    expect(podState(p, pod.uuid).state).toBe("aborted-prepare");
  });
});

describe("pod info", () => {
  test("reads manifest, exit codes and times; list shows every pod", () => {
    const p = paths();
    const pod = createPod(p);
    const run = movePod(p, pod, "run");
    writeFileSync(join(run.path, "pod"), JSON.stringify({ acKind: "PodManifest", acVersion: "1.30.0", apps: [] }));
    mkdirSync(join(run.path, "stage1/rootfs/rkt/status"), { recursive: true });
    writeFileSync(join(run.path, "stage1/rootfs/rkt/status/app1"), "3");
    run.lock.release();
    const info = podInfo(p, pod.uuid);
    expect(info.state).toBe("exited");
    expect(info.appExitCodes).toEqual({ app1: 3 });
    expect(info.manifest?.acKind).toBe("PodManifest");
    expect(info.created).toBeInstanceOf(Date);
    expect(listPods(p).map((i) => i.uuid)).toEqual([pod.uuid]);
  });
});
