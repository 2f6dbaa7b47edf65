import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, PodStateError, UsageError } from "../errors.ts";
import { tryLock } from "../lock.ts";
import { dataPaths, type PodStateDir } from "../paths.ts";
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
    const held = () => true;
    const free = () => false;
    expect(deriveState("prepare", held)).toBe("preparing");
    expect(deriveState("prepare", free)).toBe("aborted-prepare");
    expect(deriveState("run", held)).toBe("running");
    expect(deriveState("run", free)).toBe("exited");
    expect(deriveState("exited-garbage", free)).toBe("exited-garbage");
    expect(deriveState("garbage", held)).toBe("deleting");
    expect(stateName("aborted-prepare")).toBe("aborted prepare");
    // as rkt's getPod: an embryo or prepared pod's lock is not probed
    const unasked = () => {
      throw new Error("probed");
    };
    expect(deriveState("embryo", unasked)).toBe("embryo");
    expect(deriveState("prepared", unasked)).toBe("prepared");
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

  test("another reader's probe or gc's mark (a shared lock) does not make an exited pod look running", () => {
    const p = paths();
    const pod = movePod(p, createPod(p), "run");
    pod.lock.release();
    using reader = tryLock(pod.path, { shared: true })!;
    expect(podState(p, pod.uuid).state).toBe("exited");
    const mark = lockPod(p, pod.uuid, "run", { shared: true });
    expect(mark).toBeDefined();
    mark?.lock.release();
    void reader;
  });

  test("readers polling a pod's state without pause never make its starter, gc or rm find it taken", async () => {
    const p = paths();
    const prepared = movePod(p, createPod(p), "prepared");
    prepared.lock.release();
    const poller = Bun.spawn([process.execPath, join(import.meta.dir, "../../test/helpers/pod-poller.ts"), p.root, prepared.uuid], { stdin: "pipe", stdout: "pipe" });
    try {
      const out = poller.stdout.getReader();
      expect(new TextDecoder().decode((await out.read()).value)).toStartWith("polling");
      // the locks of run-prepared (exclusive), gc's mark (shared) and gc's or rm's delete (exclusive)
      const steps: [PodStateDir, PodStateDir, boolean][] = [["prepared", "run", false], ["run", "exited-garbage", true], ["exited-garbage", "prepared", false]];
      const cycle = (): PodStateDir | undefined => {
        for (const [from, to, shared] of steps) {
          const pod = lockPod(p, prepared.uuid, from, { shared });
          if (!pod) return from;
          movePod(p, pod, to).lock.release();
        }
      };
      let refused: PodStateDir | undefined;
      for (let i = 0; i < 300 && !refused; i++) refused = cycle();
      expect(refused).toBeUndefined();
    } finally {
      poller.stdin.end();
      await poller.exited;
    }
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
