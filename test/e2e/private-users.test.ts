// `--private-users` as a user drives it (acceptance.md: rkt_userns_test.go): with --no-overlay the
// pod's files keep their owners and modes as seen inside while the pod runs under a random 65536-ID
// range on the host; prepare + run-prepared keep the range, enter joins the pod's user namespace,
// gc removes the pod; with overlay rkt refuses the flag.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

let dir: string;
let aci: string;

/** Image files whose owners and modes the pod must see unchanged: path → `uid gid mode`. */
const FILES: Record<string, string> = {
  "/": "0 0 755",
  "/owned": "1000 1000 644",
  "/suid": "0 0 4755",
  "/sgid": "0 50 2750",
  "/home/user": "1000 1000 700",
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-userns-"));
  aci = join(dir, "busybox.aci");
  await busyboxAci(aci, {}, {
    customize(r) {
      writeFileSync(join(r, "owned"), "x");
      chownSync(join(r, "owned"), 1000, 1000);
      writeFileSync(join(r, "suid"), "x");
      chmodSync(join(r, "suid"), 0o4755);
      writeFileSync(join(r, "sgid"), "x");
      chownSync(join(r, "sgid"), 0, 50);
      chmodSync(join(r, "sgid"), 0o2750);
      mkdirSync(join(r, "home", "user"), { recursive: true });
      chownSync(join(r, "home", "user"), 1000, 1000);
      chmodSync(join(r, "home", "user"), 0o700);
      chmodSync(r, 0o755);
    },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STAT = `/bin/busybox stat -c '%n %u %g %a' ${Object.keys(FILES).join(" ")}`;
const expectedStat = Object.entries(FILES).map(([p, v]) => `${p} ${v}\n`).join("");

/** The only pod of `ctx`: its directory and recorded range. */
function onlyPod(ctx: RktContext): { uuid: string; path: string; shift: number } {
  for (const state of ["prepared", "run", "exited-garbage"]) {
    const d = join(ctx.dir, "pods", state);
    const [uuid] = existsSync(d) ? readdirSync(d) : [];
    if (!uuid) continue;
    const path = join(d, uuid);
    const [shift, count] = readFileSync(join(path, "private-users-prepared"), "utf8").split(":").map(Number);
    expect(count).toBe(65536);
    return { uuid, path, shift: shift! };
  }
  throw new Error("no pod");
}

const mounted = (ctx: RktContext) => readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.includes(ctx.tmp));

describe.skipIf(!!requires("root", "busybox") || !existsSync("/proc/self/uid_map"))("rkt run --private-users", () => {
  test("--no-overlay: owners and modes inside are the image's, on the host they are shifted by a random 65536-multiple", () => {
    using ctx = rktContext();
    const run = (...flags: string[]) =>
      ctx.rkt(["--insecure-options=image", "run", "--net=host", "--no-overlay", ...flags, aci, "--exec=/bin/sh", "--", "-c", `${STAT}; cat /proc/self/uid_map /proc/self/gid_map; id -u`]);
    // as rkt's TestUserns: the same view with and without the flag
    const plain = run();
    expect(plain.stdout).toStartWith(expectedStat);
    ctx.rkt(["gc", "--grace-period=0s"]);
    const r = run("--private-users");
    expect(r.code).toBe(0);
    const { path, shift } = onlyPod(ctx);
    expect(shift % 65536).toBe(0);
    expect(shift).toBeGreaterThanOrEqual(65536);
    const map = `0 ${shift} 65536`;
    expect(r.stdout.replace(/ +/g, " ").replace(/^ /gm, "")).toBe(`${expectedStat}${map}\n${map}\n0\n`);
    const rootfs = join(path, "stage1", "rootfs", "opt", "stage2", "busybox", "rootfs");
    const owned = statSync(join(rootfs, "owned"));
    expect([owned.uid, owned.gid]).toEqual([shift + 1000, shift + 1000]);
    expect(statSync(join(rootfs, "suid")).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(rootfs, "sgid")).mode & 0o7777).toBe(0o2750);
    // rkt export records the owners the app saw, not the shifted ones on the host
    const out = join(ctx.tmp, "exported.aci");
    expect(ctx.rkt(["export", onlyPod(ctx).uuid, out]).code).toBe(0);
    const listed = Bun.spawnSync(["tar", "--numeric-owner", "-tvzf", out, "rootfs/home/user", "rootfs/owned", "rootfs/suid"]).stdout.toString();
    expect(listed).toMatch(/^drwx------ 1000\/1000 .* rootfs\/home\/user\/?\n-rw-r--r-- 1000\/1000 .* rootfs\/owned\n-rwsr-xr-x 0\/0 .* rootfs\/suid\n$/);
  }, 30_000);

  test("an empty volume belongs to its uid/gid inside the pod; an app user writes to it", () => {
    using ctx = rktContext();
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=none", "--private-users", "--no-overlay", "--volume=v,kind=empty,uid=1000,gid=1000,mode=0700",
      aci, "--user=1000", "--group=1000", "--mount=volume=v,target=/v", "--exec=/bin/sh", "--", "-c", "/bin/busybox stat -c '%u %g %a' /v; touch /v/f && echo wrote; id -u"]);
    expect(r.stdout).toBe("1000 1000 700\nwrote\n1000\n");
    expect(r.code).toBe(0);
  }, 30_000);

  test("prepare keeps the range for run-prepared; the app runs as SHIFT on the host; enter joins its user namespace; gc removes it", async () => {
    using ctx = rktContext();
    const prep = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", "--private-users", "--no-overlay", aci, "--exec=/bin/sleep", "--", "100"]);
    expect(prep.code).toBe(0);
    const uuid = prep.stdout.trim();
    const { shift } = onlyPod(ctx);
    const proc = Bun.spawn(ctx.argv(["run-prepared", "--net=host", uuid]), { stdout: "pipe", stderr: "pipe" });
    try {
      expect(ctx.rkt(["status", "--wait-ready=10s", uuid]).stdout).toStartWith("state=running");
      const pid1 = Number(readFileSync(join(onlyPod(ctx).path, "pid"), "utf8"));
      const app = Number(readFileSync(`/proc/${pid1}/task/${pid1}/children`, "utf8").trim().split(" ")[0]);
      // from the host: the app's real, effective, saved and filesystem IDs are the range's 0
      expect(readFileSync(`/proc/${app}/status`, "utf8")).toContain(`Uid:\t${shift}\t${shift}\t${shift}\t${shift}\n`);
      const e = ctx.rkt(["enter", uuid, "--", "/bin/sh", "-c", `id -u; cat /proc/self/uid_map; ${STAT}`]);
      expect(e.code).toBe(0);
      expect(e.stdout.replace(/ +/g, " ").replace(/^ /gm, "")).toBe(`0\n0 ${shift} 65536\n${expectedStat}`);
    } finally {
      ctx.rkt(["stop", "--force", uuid]);
      await proc.exited;
    }
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(readdirSync(join(ctx.dir, "pods", "exited-garbage"))).toEqual([]);
    expect(mounted(ctx)).toEqual([]);
  }, 30_000);

  test("with overlay rkt refuses the flag before it makes a pod", () => {
    using ctx = rktContext();
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", "--private-users", aci, "--exec=/bin/true"]);
    if (!requires("overlay")) {
      expect(r.code).toBe(254);
      expect(r.stderr).toContain("cannot use both overlay and user namespace: not implemented yet. (Try --no-overlay)");
      expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
    } else {
      // no overlayfs: rkt copies the images, so the flag works
      expect(r.code).toBe(0);
    }
  });
});
