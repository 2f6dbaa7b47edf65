// `rkt run` as a user drives it (acceptance.md: exit, exec, env, hostname, etc_hosts, mtab, mountns,
// volume, volume_mount, run_user_group, supplementary_gids, run, run_pod_manifest), with the
// compiled binary and busybox ACIs built on the spot.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

let dir: string;
let aci: string;
let hooked: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-run-"));
  aci = join(dir, "busybox.aci");
  hooked = join(dir, "hooked.aci");
  await busyboxAci(aci, { app: { exec: ["/bin/sh", "-c", "echo default app"], environment: [{ name: "IMG", value: "image" }, { name: "OVER", value: "image" }] } });
  await busyboxAci(hooked, {
    name: "example.com/hooked",
    app: { exec: ["/bin/id", "-u"], user: "1000", group: "1000", eventHandlers: [{ name: "pre-start", exec: ["/bin/sh", "-c", "echo pre-start $(id -u)"] }] },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (ctx: ReturnType<typeof rktContext>, ...args: string[]) => ctx.rkt(["--insecure-options=image", "run", "--net=host", ...args]);
const sh = (script: string) => [aci, "--exec=/bin/sh", "--", "-c", script];

describe.skipIf(!!requires("root", "busybox"))("rkt run", () => {
  test("exits with the app's code and prints its output", () => {
    using ctx = rktContext();
    const r = run(ctx, ...sh("echo hi; exit 3"));
    expect(r.stdout).toBe("hi\n");
    expect(r.code).toBe(3);
  });

  test("runs the image's exec; --exec replaces it and -- appends arguments", () => {
    using ctx = rktContext();
    expect(run(ctx, aci).stdout).toBe("default app\n");
    expect(run(ctx, aci, "--exec=/bin/echo", "--", "a", "b").stdout).toBe("a b\n");
  });

  test("a pod of several apps exits with the failing app's code", () => {
    using ctx = rktContext();
    const r = run(ctx, aci, "--name=ok", "--exec=/bin/true", aci, "--name=bad", "--exec=/bin/sh", "--", "-c", "exit 5", "---");
    expect(r.code).toBe(5);
    const uuid = ctx.rkt(["list", "--no-legend", "--full"]).stdout.split(/\s+/)[0]!;
    const status = ctx.rkt(["status", uuid]).stdout;
    expect(status).toContain("app-ok=0");
    expect(status).toContain("app-bad=5");
  });

  test("environment: image < --set-env-file < --set-env < --environment, plus rkt's defaults", () => {
    using ctx = rktContext();
    const envFile = join(ctx.tmp, "env");
    writeFileSync(envFile, "# comment\nFILE=file\nOVER=file\n\n; other\n");
    const r = ctx.rkt(
      ["--insecure-options=image", "run", "--net=host", `--set-env-file=${envFile}`, "--set-env=OVER=set", "--set-env=SET=set", "--inherit-env",
        aci, "--environment=APP=app", "--exec=/bin/sh", "--", "-c", "echo $IMG $FILE $SET $OVER $APP $FROMHOST $AC_APP_NAME $HOME"],
      { env: { FROMHOST: "host", IMG: "host", HOME: "/home/x" } },
    );
    expect(r.stdout).toBe("image file set set app host busybox /home/x\n");
    expect(run(ctx, ...sh("echo $PATH $HOME $USER")).stdout).toBe("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /root root\n");
    const r2 = run(ctx, aci, "--environment=OVER=app", "--exec=/bin/sh", "--", "-c", "echo $OVER");
    expect(r2.stdout).toBe("app\n");
  });

  test("hostname is rkt-<uuid> by default and --hostname sets it; /etc/hostname, /etc/hosts and /etc/mtab exist", () => {
    using ctx = rktContext();
    const uuidFile = join(ctx.tmp, "uuid");
    const r = run(ctx, `--uuid-file-save=${uuidFile}`, ...sh("hostname; cat /etc/hostname; grep -c localhost /etc/hosts; readlink /etc/mtab"));
    const uuid = readFileSync(uuidFile, "utf8");
    expect(r.stdout).toBe(`rkt-${uuid}\nrkt-${uuid}\n2\n../proc/self/mounts\n`);
    expect(run(ctx, "--hostname=custom", ...sh("hostname")).stdout).toBe("custom\n");
  });

  test("users and groups by id and by name, supplementary GIDs; pre-start handlers run as root", () => {
    using ctx = rktContext();
    expect(run(ctx, aci, "--user=user", "--group=1000", "--supplementary-gids=5,6", "--exec=/bin/id").stdout).toBe("uid=1000(user) gid=1000(user) groups=5,6\n");
    expect(run(ctx, hooked).stdout).toBe("pre-start 0\n1000\n");
  });

  test("host volumes (read-only) and empty volumes mounted with --mount", () => {
    using ctx = rktContext();
    const host = join(ctx.tmp, "host");
    mkdirSync(host);
    writeFileSync(join(host, "f"), "host file");
    const r = run(ctx, `--volume=data,kind=host,source=${host},readOnly=true`, "--volume=scratch,kind=empty,mode=0700", "--mount=volume=data,target=/data",
      aci, "--mount=volume=scratch,target=/scratch", "--exec=/bin/sh", "--", "-c", "cat /data/f; echo; touch /data/x || echo ro; stat -c %a /scratch 2>/dev/null || ls -ld /scratch | cut -c1-10");
    expect(r.stdout).toContain("host file\n");
    expect(r.stdout).toContain("ro\n");
    expect(r.stdout).toMatch(/700|drwx------/);
  });

  test("the app runs in its own mount namespace, with /proc of the pod", () => {
    using ctx = rktContext();
    const r = run(ctx, ...sh("readlink /proc/self/ns/mnt; ps | wc -l"));
    const [ns, procs] = r.stdout.split("\n");
    expect(ns).toMatch(/^mnt:\[\d+\]$/);
    expect(ns).not.toBe(readlinkSync("/proc/self/ns/mnt"));
    expect(Number(procs)).toBeLessThan(8);
  });

  test("--pod-manifest runs a whole pod and conflicts with images", () => {
    using ctx = rktContext();
    const id = ctx.rkt(["--insecure-options=image", "fetch", "--full", aci]).stdout.trim();
    const manifest = join(ctx.tmp, "pod.json");
    writeFileSync(manifest, JSON.stringify({
      acVersion: "0.8.11", acKind: "PodManifest",
      apps: [{ name: "one", image: { id }, app: { exec: ["/bin/sh", "-c", "echo from manifest; exit 4"], user: "0", group: "0" } }],
    }));
    const r = ctx.rkt(["run", "--net=host", `--pod-manifest=${manifest}`]);
    expect(r.stdout).toBe("from manifest\n");
    expect(r.code).toBe(4);
    const bad = ctx.rkt(["run", "--net=host", `--pod-manifest=${manifest}`, aci]);
    expect(bad.code).toBe(254);
    expect(bad.stderr).toContain("conflicting flags set with --pod-manifest");
  });

  test("rkt's errors: per-app flags before an image, --net=default, a missing executable", () => {
    using ctx = rktContext();
    const r1 = ctx.rkt(["run", "--exec=/bin/true", aci]);
    expect(r1.code).toBe(254);
    expect(r1.stderr).toContain("--exec must follow an image");
    const r2 = ctx.rkt(["--insecure-options=image", "run", aci]);
    expect(r2.code).toBe(254);
    expect(r2.stderr).toContain("only --net=host and --net=none are supported so far");
    const r3 = run(ctx, aci, "--exec=/no/such/file");
    expect(r3.code).toBe(127);
    expect(r3.stderr).toContain("execve: ENOENT");
  });

  test("--interactive attaches the app to the caller's terminal (run and run-prepared)", () => {
    using ctx = rktContext();
    const viaTty = (args: string[]) => {
      const cmd = ctx.argv(args).map((a) => `'${a}'`).join(" ");
      return Bun.spawnSync(["script", "-qec", cmd, "/dev/null"], { stdin: Buffer.from("echo tty=$(tty); exit 3\n") });
    };
    const r = viaTty(["--insecure-options=image", "run", "--net=host", "--interactive", aci, "--exec=/bin/sh"]);
    expect(r.stdout.toString()).toContain("tty=/dev/");
    expect(r.exitCode).toBe(3);
    const uuid = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", aci, "--exec=/bin/sh"]).stdout.trim();
    const rp = viaTty(["run-prepared", "--net=host", "--interactive", uuid]);
    expect(rp.stdout.toString()).toContain("tty=/dev/");
    expect(rp.exitCode).toBe(3);
    expect(ctx.rkt(["--insecure-options=image", "run", "--net=host", "--interactive", aci, aci]).stderr).toContain("interactive option only supports one image");
  }, 20_000);

  test("--no-overlay copies the rootfs; nothing stays mounted under the data dir after gc", () => {
    using ctx = rktContext();
    expect(run(ctx, "--no-overlay", ...sh("echo copy > /f; cat /f")).stdout).toBe("copy\n");
    expect(run(ctx, ...sh("true")).code).toBe(0);
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(ctx.dir);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  });
});
