// The pod lifecycle commands as a user drives them (acceptance.md: prepare, cat_manifest, list,
// status, stop, rm, gc, pid_file), plus supervision: orphans reaped, SIGTERM-proof apps killed
// after the grace period, many pods at once, and no mount left behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";
import { startPod } from "./stage1-helpers.ts";

let dir: string;
let aci: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-pods-"));
  aci = join(dir, "busybox.aci");
  await busyboxAci(aci);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `rkt run` of a busybox app that runs `script`, in the background; resolves once it has started. */
const shPod = (ctx: RktContext, script: string) => startPod(ctx, ["--net=host", aci, "--exec=/bin/sh", "--", "-c", script], { ready: true });

/** Resolves once `proc`'s stdout has printed `text`. */
async function outputSays(proc: { stdout: ReadableStream<Uint8Array> }, text: string): Promise<void> {
  let seen = "";
  for await (const chunk of proc.stdout) {
    seen += new TextDecoder().decode(chunk);
    if (seen.includes(text)) return;
  }
  throw new Error(`the app never printed "${text}"`);
}

const mounted = (ctx: RktContext) => readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.includes(ctx.dir));

describe.skipIf(!!requires("root", "busybox"))("pod lifecycle", () => {
  test("prepare, list, cat-manifest, run-prepared, status", () => {
    using ctx = rktContext();
    const p = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", aci, "--exec=/bin/sh", "--", "-c", "echo prepared; exit 7"]);
    expect(p.code).toBe(0);
    const uuid = p.stdout.trim();
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toMatch(new RegExp(`^${uuid.slice(0, 8)}\\s+busybox\\s+example.com/busybox:1.0.0\\s+prepared`));
    const listed = JSON.parse(ctx.rkt(["list", "--format=json"]).stdout);
    expect(listed).toEqual([expect.objectContaining({ name: uuid, state: "prepared", app_names: ["busybox"] })]);
    const manifest = JSON.parse(ctx.rkt(["cat-manifest", uuid.slice(0, 6)]).stdout);
    expect(manifest.apps[0].app.exec).toEqual(["/bin/sh", "-c", "echo prepared; exit 7"]);
    const uuidFile = join(ctx.tmp, "uuid");
    writeFileSync(uuidFile, uuid);
    expect(ctx.rkt(["cat-manifest", `--uuid-file=${uuidFile}`, "--pretty-print=false"]).stdout).toBe(JSON.stringify(manifest) + "\n");
    const r = ctx.rkt(["run-prepared", "--net=host", uuid]);
    expect(r.stdout).toBe("prepared\n");
    expect(r.code).toBe(7);
    const status = ctx.rkt(["status", uuid]).stdout;
    expect(status).toMatch(/^state=exited\ncreated=.+\nstarted=.+\nnetworks=\nexited=true\napp-busybox=7\n$/);
    expect(JSON.parse(ctx.rkt(["status", "--format=json", uuid]).stdout)).toMatchObject({ name: uuid, state: "exited" });
    expect(ctx.rkt(["run-prepared", "--net=host", uuid]).stderr).toContain("expected prepared");
  }, 20_000);

  test("status of a running pod shows its pid; stop ends it and prints the quoted UUID", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await shPod(ctx, "sleep 100");
    const status = ctx.rkt(["status", uuid]).stdout;
    expect(status).toMatch(/pid=\d+\nexited=false\n/);
    const pid = Number(/pid=(\d+)/.exec(status)![1]);
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/NSpid:\s+\d+\s+1\n/);
    const s = ctx.rkt(["stop", uuid]);
    expect(s.stdout).toBe(`"${uuid}"\n`);
    expect(await proc.exited).toBe(143);
    expect(ctx.rkt(["status", uuid]).stdout).toContain("app-busybox=143");
    expect(ctx.rkt(["stop", uuid]).code).toBe(254);
  }, 20_000);

  test("stop kills an app that ignores SIGTERM after the grace period; --force kills at once", async () => {
    using ctx = rktContext();
    // "ready" means the app was started, not that its shell got to the trap yet: it says when
    const a = await shPod(ctx, "trap '' TERM; echo trapped; while :; do sleep 1; done");
    await outputSays(a.proc, "trapped");
    const t0 = Date.now();
    ctx.rkt(["stop", a.uuid]);
    await a.proc.exited;
    expect(Date.now() - t0).toBeGreaterThan(4000);
    const b = await shPod(ctx, "trap '' TERM; echo trapped; sleep 100");
    await outputSays(b.proc, "trapped");
    const t1 = Date.now();
    ctx.rkt(["stop", "--force", b.uuid]);
    await b.proc.exited;
    expect(Date.now() - t1).toBeLessThan(3000);
  }, 30_000);

  test("enter runs a command in the running app's namespaces and root, with its exit code", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await shPod(ctx, "sleep 100");
    const r = ctx.rkt(["enter", uuid, "--", "/bin/sh", "-c", "hostname; cat /etc/hostname; echo pid=$$; exit 4"]);
    // a small PID: the command is in the pod's PID namespace
    expect(r.stdout).toMatch(new RegExp(`^rkt-${uuid}\nrkt-${uuid}\npid=\\d\n$`));
    expect(r.code).toBe(4);
    expect(ctx.rkt(["enter", uuid], { stdin: "echo from default shell\n" }).stdout).toBe("from default shell\n");
    const bad = ctx.rkt(["enter", "--app=nope", uuid, "--", "/bin/true"]);
    expect(bad.stderr).toContain('cannot enter app "nope"');
    ctx.rkt(["stop", "--force", uuid]);
    await proc.exited;
    expect(ctx.rkt(["enter", uuid, "--", "/bin/true"]).stderr).toContain("expected running");
  }, 20_000);

  test("status --wait waits for the pod to exit", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await shPod(ctx, "sleep 0.5; exit 2");
    const r = ctx.rkt(["status", "--wait", uuid]);
    expect(r.stdout).toContain("state=exited");
    expect(r.stdout).toContain("app-busybox=2");
    await proc.exited;
  }, 20_000);

  test("status --wait-ready waits until the apps run, after their pre-start handlers", async () => {
    using ctx = rktContext();
    const slow = join(ctx.tmp, "slow-start.aci");
    await busyboxAci(slow, { name: "example.com/slow-start", app: { exec: ["/bin/sleep", "30"], eventHandlers: [{ name: "pre-start", exec: ["/bin/sleep", "1"] }] } });
    const uuidFile = join(ctx.tmp, "uuid");
    const proc = Bun.spawn(ctx.argv(["--insecure-options=image", "run", "--net=host", `--uuid-file-save=${uuidFile}`, slow]), { stdout: "ignore", stderr: "ignore" });
    try {
      for (let i = 0; i < 200 && !existsSync(uuidFile); i++) await Bun.sleep(10);
      const started = performance.now();
      const r = ctx.rkt(["status", "--wait-ready=10s", readFileSync(uuidFile, "utf8")]);
      expect(r.stdout).toStartWith("state=running");
      // the pod's PID 1 is set up at once; its app only once the 1 s handler has run
      expect(performance.now() - started).toBeGreaterThan(800);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }, 20_000);

  test("orphans of a double-forking app leave no zombie", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await shPod(ctx, "(sleep 0.2 &); sleep 100");
    await Bun.sleep(600);
    const pid = Number(/pid=(\d+)/.exec(ctx.rkt(["status", uuid]).stdout)![1]);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    const states = children.map((c) => readFileSync(`/proc/${c}/stat`, "utf8").split(") ")[1]![0]);
    expect(states).not.toContain("Z");
    expect(children.length).toBe(1);
    ctx.rkt(["stop", "--force", uuid]);
    await proc.exited;
  }, 20_000);

  test("rm removes exited and prepared pods, refuses running ones; gc marks then sweeps", async () => {
    using ctx = rktContext();
    const prepared = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", aci]).stdout.trim();
    expect(ctx.rkt(["--insecure-options=image", "run", "--net=host", aci, "--exec=/bin/true"]).code).toBe(0);
    const exited = JSON.parse(ctx.rkt(["list", "--format=json"]).stdout).find((p: { state: string }) => p.state === "exited").name;
    const { uuid: running, proc } = await shPod(ctx, "sleep 100");
    const refused = ctx.rkt(["rm", running]);
    expect(refused.code).toBe(254);
    expect(refused.stderr).toContain("is running");
    expect(ctx.rkt(["rm", prepared]).stdout).toBe(`"${prepared}"\n`);
    ctx.rkt(["stop", "--force", running]);
    await proc.exited;
    expect(ctx.rkt(["gc", "--mark-only"]).stderr).toContain(`moving pod "${exited}" to garbage`);
    expect(ctx.rkt(["status", exited]).stdout).toContain("state=exited garbage");
    const kept = ctx.rkt(["gc"]);
    expect(kept.stderr).toContain("still within grace period");
    const swept = ctx.rkt(["gc", "--grace-period=0s"]);
    expect(swept.stderr).toContain(`Garbage collecting pod "${exited}"`);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
    expect(mounted(ctx)).toEqual([]);
    expect(ctx.rkt(["rm", "ffffffff"]).code).toBe(254);
  }, 20_000);

  test("a pod whose stage1 was killed with SIGKILL is collected, mounts included", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await shPod(ctx, "sleep 100");
    proc.kill(9);
    await proc.exited;
    await Bun.sleep(200);
    expect(ctx.rkt(["status", uuid]).stdout).toContain("state=exited");
    expect(ctx.rkt(["rm", uuid]).code).toBe(0);
    expect(mounted(ctx)).toEqual([]);
  }, 20_000);

  test("20 pods started at once all run and gc collects them all", async () => {
    using ctx = rktContext();
    ctx.rkt(["--insecure-options=image", "fetch", aci]);
    const procs = Array.from({ length: 20 }, (_, i) =>
      Bun.spawn(ctx.argv(["run", "--net=host", "example.com/busybox", "--exec=/bin/sh", "--", "-c", `exit ${i % 3}`]), { stdout: "ignore", stderr: "pipe" }),
    );
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual(Array.from({ length: 20 }, (_, i) => i % 3));
    expect(JSON.parse(ctx.rkt(["list", "--format=json"]).stdout)).toHaveLength(20);
    ctx.rkt(["gc", "--grace-period=0s"]);
    expect(JSON.parse(ctx.rkt(["list", "--format=json"]).stdout)).toEqual([]);
    expect(mounted(ctx)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!!requires("root", "busybox", "actool"))("rkt export", () => {
  test("exports an exited pod's app, with the files it wrote, as a valid ACI (overlay and --no-overlay)", async () => {
    using ctx = rktContext();
    for (const extra of [[], ["--no-overlay"]]) {
      const uuidFile = join(ctx.tmp, `uuid${extra.length}`);
      ctx.rkt(["--insecure-options=image", "run", "--net=host", ...extra, `--uuid-file-save=${uuidFile}`, aci, "--exec=/bin/sh", "--", "-c", "echo written > /new-file"]);
      const uuid = readFileSync(uuidFile, "utf8");
      const out = join(ctx.tmp, `out${extra.length}.aci`);
      expect(ctx.rkt(["export", uuid, out]).code).toBe(0);
      expect(Bun.spawnSync(["actool", "validate", out]).exitCode).toBe(0);
      const listing = Bun.spawnSync(["tar", "-xOf", out, "rootfs/new-file"]).stdout.toString();
      expect(listing).toBe("written\n");
      expect(ctx.rkt(["export", uuid, out]).stderr).toContain("--overwrite");
      expect(ctx.rkt(["export", "--overwrite", uuid, out]).code).toBe(0);
    }
  }, 30_000);
});

describe.skipIf(!!requires("root"))("commands that need root", () => {
  test("fail at once for an unprivileged user, as rkt", () => {
    using ctx = rktContext();
    for (const cmd of [["run", "--net=host", aci], ["prepare", aci], ["run-prepared", "ffffffff"], ["enter", "ffffffff"], ["rm", "ffffffff"], ["gc"], ["stop", "ffffffff"]]) {
      const p = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...ctx.argv(cmd)], { cwd: "/" });
      expect(p.exitCode).toBe(254);
      expect(p.stderr.toString()).toContain("cannot run as unprivileged user");
    }
  });

  test("list by a user who may not read the pods fails, rather than showing none (rkt's 'failed to get pod handles')", () => {
    using ctx = rktContext();
    expect(ctx.rkt(["--insecure-options=image", "run", "--net=host", aci, "--exec=/bin/true"]).code).toBe(0);
    // the data directory is readable; pods/ is rkt's 0750 (group rkt in a packaged install)
    for (const d of [ctx.tmp, ctx.dir]) chmodSync(d, 0o755);
    const p = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...ctx.argv(["list"])], { cwd: "/" });
    expect(p.exitCode).toBe(254);
    expect(p.stdout.toString()).toBe("");
    expect(p.stderr.toString()).toMatch(/^rkt: cannot read pods in ".*\/pods\/[a-z-]+": open .*: EACCES \(Permission denied\)\n$/);
  });
});
