// rkt_pid_file_test.go (PidFileDelayedStart, PidFileAbortedStart): `rkt enter` waits for a pid file
// that stage1 writes late, and gives up at once when the pod ends without one; `rkt status` shows
// pid=-1 meanwhile. Run with the stub stage1 (which writes `ppid`, late or never, on request) and
// with the built-in stage1 (whose `pid` the test moves away and back, as rkt's test does).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";
import { stubStage1Aci } from "../stub-stage1/stub-stage1.ts";
import { startPod, text, waitFor } from "./stage1-helpers.ts";

let work: string;
let app: string;
let stub: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rkt-e2e-pidfile-"));
  app = join(work, "busybox.aci");
  await busyboxAci(app);
  stub = await stubStage1Aci(join(work, "stub.aci"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `rkt enter UUID CMD…` in the background. */
function startEnter(ctx: RktContext, uuid: string, cmd: string[]) {
  return Bun.spawn(ctx.argv(["enter", uuid, ...cmd]), { stdout: "pipe", stderr: "pipe" });
}

describe.skipIf(!!requires("root", "busybox"))("pid file (rkt_pid_file_test)", () => {
  test("PidFileDelayedStart, ppid written late by a stage1 image: enter waits, then enters the ppid's only child", async () => {
    using ctx = rktContext("pidfile-delayed");
    const pod = await startPod(ctx, [`--stage1-path=${stub}`, app], { env: { STUB_STAGE1_PID_FILE: "delay" } });
    const enter = startEnter(ctx, pod.uuid, ["/inspect", "--print-msg=RktEnterWorksFine"]);
    await Bun.sleep(1000);
    expect(enter.exitCode).toBeNull();
    expect(ctx.rkt(["status", pod.uuid]).stdout).toContain("pid=-1\n");
    writeFileSync(join(pod.podDir, "stub-go"), "");
    const [out, code] = await Promise.all([text(enter.stdout), enter.exited]);
    const child = readFileSync(join(pod.podDir, "stub-child"), "utf8").trim();
    expect(out).toBe(`stub stage1 enter: --pid=${child} --appname=busybox -- /inspect --print-msg=RktEnterWorksFine (cwd ${pod.podDir})\n`);
    expect(code).toBe(0);
    expect(ctx.rkt(["status", pod.uuid]).stdout).toContain(`pid=${child}\n`);
    // the stub's stop entrypoint ends it (SIGTERM, which it passes to its child)
    expect(ctx.rkt(["stop", pod.uuid]).code).toBe(0);
    expect(await pod.proc.exited).toBe(143);
  });

  test("PidFileAbortedStart, no ppid ever: enter gives up as soon as the pod ends", async () => {
    using ctx = rktContext("pidfile-aborted");
    const pod = await startPod(ctx, [`--stage1-path=${stub}`, app], { env: { STUB_STAGE1_PID_FILE: "never" } });
    const enter = startEnter(ctx, pod.uuid, ["/bin/true"]);
    await Bun.sleep(1000);
    expect(enter.exitCode).toBeNull();
    pod.proc.kill("SIGTERM");
    expect(await pod.proc.exited).toBe(143);
    const ended = performance.now();
    const [err, code] = await Promise.all([text(enter.stderr), enter.exited]);
    expect(performance.now() - ended).toBeLessThan(1000);
    expect(err).toContain(`cannot determine the PID of pod "${pod.uuid}": the pod is not running anymore`);
    expect(code).toBe(254);
  });

  test("with the built-in stage1: enter waits while `pid` is away, enters once it is back, and gives up when the pod ends without it", async () => {
    using ctx = rktContext("pidfile-builtin");
    const pod = await startPod(ctx, ["--net=host", app, "--exec=/bin/sleep", "--", "30"]);
    const pidFile = join(pod.podDir, "pid");
    await waitFor(pidFile);
    renameSync(pidFile, `${pidFile}.backup`);
    const enter = startEnter(ctx, pod.uuid, ["/bin/echo", "RktEnterWorksFine"]);
    await Bun.sleep(1000);
    expect(enter.exitCode).toBeNull();
    renameSync(`${pidFile}.backup`, pidFile);
    const [out, code] = await Promise.all([text(enter.stdout), enter.exited]);
    expect(out).toBe("RktEnterWorksFine\n");
    expect(code).toBe(0);

    renameSync(pidFile, `${pidFile}.backup`);
    const late = startEnter(ctx, pod.uuid, ["/bin/true"]);
    await Bun.sleep(500);
    expect(late.exitCode).toBeNull();
    pod.proc.kill("SIGTERM"); // stage1 passes it to the pod
    await pod.proc.exited;
    const ended = performance.now();
    expect(await late.exited).toBe(254);
    expect(performance.now() - ended).toBeLessThan(1000);
    expect(await text(late.stderr)).toContain("the pod is not running anymore");
  });
});
