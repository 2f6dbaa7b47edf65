// Pods whose stage1 is an image, exec'd through rkt's stage1 interface rather than run in-process:
// our own stage1-coreos.aci and stage1-fly.aci (release/stage1/) with real apps — run, run-prepared,
// enter, stop, gc, --no-overlay, fly's host network and volumes (rkt_fly_test) — and the stub stage1
// for what stage0 hands to the gc and stop entrypoints.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStage1Images } from "../../release/stage1/build.ts";
import { RKT_BIN, rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";
import { stubStage1Aci } from "../stub-stage1/stub-stage1.ts";
import { rktBeside, startPod, waitFor } from "./stage1-helpers.ts";

let work: string;
let app: string;
let coreos: string;
let fly: string;
let stub: string;
let stub6: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rkt-e2e-stage1img-"));
  app = join(work, "busybox.aci");
  await busyboxAci(app);
  [coreos, fly] = (await buildStage1Images(RKT_BIN, join(work, "images"), "none")) as [string, string];
  stub = await stubStage1Aci(join(work, "stub.aci"), { without: ["stop"] });
  stub6 = await stubStage1Aci(join(work, "stub6.aci"), { interfaceVersion: 6 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The UUIDs of all pods, newest first. */
const uuids = (ctx: RktContext): string[] => (JSON.parse(ctx.rkt(["list", "--format=json"]).stdout || "[]") as { name: string }[]).map((p) => p.name);
const mountsUnder = (dir: string) => readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.split(" ")[1]?.startsWith(dir));

describe.skipIf(!!requires("root", "busybox", "overlay"))("our stage1 images", () => {
  test("stage1-coreos.aci: the app's output and exit code, the image rendered into the pod, everything collected by gc", () => {
    using ctx = rktContext("stage1img-run");
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", `--stage1-path=${coreos}`, app, "--exec=/bin/sh", "--", "-c", "echo hi from $(hostname); exit 3"]);
    const [uuid] = uuids(ctx);
    expect(r.stdout).toBe(`hi from rkt-${uuid}\n`);
    expect(r.code).toBe(3);
    const pod = join(ctx.dir, "pods", "run", uuid!);
    const tree = readFileSync(join(pod, "stage1TreeStoreID"), "utf8");
    expect(JSON.parse(readFileSync(join(pod, "stage1", "manifest"), "utf8")).name).toBe("coreos.com/rkt/stage1-coreos");
    expect(mountsUnder(join(pod, "stage1", "rootfs")).map((l) => l.split(" ")[2])).toEqual(["overlay", "overlay"]);
    expect(statSync(join(pod, "overlay", tree, "upper", "opt", "stage2", "busybox", "manifest")).isFile()).toBe(true);
    expect(ctx.rkt(["status", uuid!]).stdout).toContain("app-busybox=3");
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(existsSync(pod)).toBe(false);
    expect(mountsUnder(ctx.tmp)).toEqual([]);
  });

  test("the exec'd stage1 holds the pod; enter and stop go through the image's entrypoints", async () => {
    using ctx = rktContext("stage1img-enter");
    const pod = await startPod(ctx, ["--net=host", `--stage1-path=${coreos}`, app, "--exec=/bin/sleep", "--", "30"], { ready: true });
    // rkt itself is gone: the stage1 image's binary now runs in its place, holding the lock
    expect(readlinkSync(`/proc/${pod.proc.pid}/exe`)).toBe(join(pod.podDir, "stage1", "rootfs", "bin", "rkt"));
    const entered = ctx.rkt(["enter", pod.uuid, "/bin/sh", "-c", "echo inside $(hostname)"]);
    expect(entered.stdout).toBe(`inside rkt-${pod.uuid}\n`);
    expect(entered.code).toBe(0);
    expect(ctx.rkt(["stop", pod.uuid]).stdout).toBe(`"${pod.uuid}"\n`);
    await pod.proc.exited;
    expect(ctx.rkt(["status", pod.uuid]).stdout).toContain("state=exited");
  });

  test("prepare + run-prepared, and --no-overlay (the image copied into the pod)", () => {
    using ctx = rktContext("stage1img-prepared");
    const uuid = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", "--no-overlay", `--stage1-path=${coreos}`, app, "--exec=/bin/echo", "--", "prepared"]).stdout.trim();
    const pod = join(ctx.dir, "pods", "prepared", uuid);
    expect(statSync(join(pod, "stage1", "rootfs", "bin", "rkt")).isFile()).toBe(true);
    expect(existsSync(join(pod, "overlay-prepared"))).toBe(false);
    const r = ctx.rkt(["run-prepared", "--net=host", uuid]);
    expect(r.stdout).toBe("prepared\n");
    expect(r.code).toBe(0);
    expect(mountsUnder(join(ctx.dir, "pods", "run", uuid, "stage1"))).toEqual([]);
  });

  test("stage1-fly.aci from the default stage1 images directory (beside rkt, no signature needed): host network, volumes (rkt_fly_test)", () => {
    using ctx = rktContext("stage1img-fly");
    const { bin } = rktBeside(ctx.tmp, { "stage1-fly.aci": fly });
    const appId = ctx.rkt(["--insecure-options=image", "fetch", app]).stdout.trim();
    const hostFile = join(ctx.tmp, "hello");
    writeFileSync(hostFile, "world");
    const p = Bun.spawnSync([bin, ...ctx.argv(["run", "--stage1-from-dir=stage1-fly.aci", `--volume=test,kind=host,source=${hostFile}`, appId,
      `--mount=volume=test,target=${hostFile}`, "--exec=/bin/sh", "--", "-c", `readlink /proc/self/ns/net; cat ${hostFile}`]).slice(1)], { cwd: ctx.tmp });
    expect(p.stderr.toString()).not.toContain("signature");
    expect(p.stdout.toString()).toBe(`${readlinkSync("/proc/self/ns/net")}\nworld`);
    expect(p.exitCode).toBe(0);
    const [uuid] = uuids(ctx);
    expect(JSON.parse(readFileSync(join(ctx.dir, "pods", "run", uuid!, "stage1", "manifest"), "utf8")).name).toBe("coreos.com/rkt/stage1-fly");
  });
});

describe.skipIf(!!requires("root", "busybox"))("gc, rm and stop of stage1 image pods", () => {
  test("gc and rm run the image's gc entrypoint in the pod directory, with --local-config from interface 5 on", () => {
    using ctx = rktContext("stage1img-gc");
    const run = (image: string) => {
      ctx.rkt(["--insecure-options=image", "run", `--stage1-path=${image}`, app]);
      return uuids(ctx);
    };
    const [v1] = run(stub);
    const v6 = run(stub6).find((u) => u !== v1)!;
    const gc = ctx.rkt(["--debug", "gc", "--grace-period=0s"]);
    expect(gc.stderr).toContain(`stub stage1 gc: --debug ${v1} (cwd ${join(ctx.dir, "pods", "exited-garbage", v1!)})`);
    expect(gc.stderr).toContain(`stub stage1 gc: --debug --local-config=${ctx.localConfig} ${v6} (cwd ${join(ctx.dir, "pods", "exited-garbage", v6)})`);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
    const [again] = run(stub6);
    const rm = ctx.rkt(["rm", again!]);
    expect(rm.stdout).toBe(`"${again}"\n`);
    expect(rm.stderr).toContain(`stub stage1 gc: --local-config=${ctx.localConfig} ${again}`);
  });

  test("stop runs the image's stop entrypoint (--force passed on); a stage1 without one cannot stop", async () => {
    using ctx = rktContext("stage1img-stop");
    const start = async (image: string) => {
      const pod = await startPod(ctx, [`--stage1-path=${image}`, app], { env: { STUB_STAGE1_PID_FILE: "never" } });
      await waitFor(join(pod.podDir, "stub-child"));
      return pod;
    };
    const withStop = await start(stub6);
    const stopped = ctx.rkt(["stop", "--force", withStop.uuid]);
    expect(stopped.stdout).toBe(`stub stage1 stop: --force ${withStop.uuid} (cwd ${join(ctx.dir, "pods", "run", withStop.uuid)})\n"${withStop.uuid}"\n`);
    expect(await withStop.proc.exited).toBe(137);
    const without = await start(stub);
    const refused = ctx.rkt(["stop", without.uuid]);
    expect(refused.stderr).toContain(`the pod's stage1 has no "stop" entrypoint`);
    expect(refused.code).toBe(254);
    without.proc.kill("SIGTERM");
    await without.proc.exited;
  });
});
