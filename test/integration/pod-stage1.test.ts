// The built-in stage1 `run` entrypoint against real namespaces and mounts (root), each pod in a
// child process. Checks what rkt's functional tests check from inside the pod.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requires } from "../helpers/requires.ts";
import { mountsBelow, testPod } from "./pod-fixture.ts";

const sh = (name: string, script: string, app: Record<string, unknown> = {}) => ({ name, app: { exec: ["/bin/sh", "-c", script], user: "0", group: "0", ...app } });

describe.skipIf(!!requires("root", "busybox"))("stage1 run", () => {
  test("runs the app in its own namespaces and returns its exit code", () => {
    using pod = testPod([sh("app1", "echo hi; hostname; cat /etc/hostname; echo pid=$$; ls /dev; readlink /etc/mtab; exit 3")]);
    const r = pod.run();
    expect(r.code).toBe(3);
    const out = r.stdout.split("\n");
    expect(out[0]).toBe("hi");
    expect(out[1]).toBe(`rkt-${pod.uuid}`);
    expect(out[2]).toBe(`rkt-${pod.uuid}`);
    expect(out).not.toContain("pid=1");
    for (const dev of ["null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "pts", "shm", "mqueue"]) expect(out).toContain(dev);
    expect(out).toContain("../proc/self/mounts");
    expect(readFileSync(join(pod.dir, "stage1/rootfs/rkt/status/app1"), "utf8")).toBe("3");
    expect(existsSync(join(pod.dir, "pid"))).toBe(true);
    expect(mountsBelow(pod.dir)).toEqual([]);
  });

  test("apps see a pod PID 1, their own mount namespace, read-only /sys and the environment", () => {
    using pod = testPod([sh("app1", "cat /proc/1/cmdline | wc -c; stat -c %i /proc/self/ns/mnt; touch /sys/x 2>&1; echo $AC_APP_NAME $FOO $HOME", { environment: [{ name: "FOO", value: "bar" }] })]);
    const r = pod.run();
    expect(r.code).toBe(0);
    const [pid1, mntns, sys, env] = r.stdout.split("\n");
    expect(Number(pid1)).toBeGreaterThan(0);
    expect(mntns).not.toBe(String(Bun.spawnSync(["stat", "-L", "-c", "%i", "/proc/self/ns/mnt"]).stdout.toString().trim()));
    expect(sys).toContain("Read-only file system");
    expect(env).toBe("app1 bar /root");
  });

  test("user and group by name, supplementary GIDs, working directory; handlers run as root", () => {
    using pod = testPod([
      sh("app1", "id -u; id -g; id -G; pwd", {
        user: "user", group: "user", supplementaryGIDs: [1500], workingDirectory: "/etc",
        eventHandlers: [{ name: "pre-start", exec: ["/bin/sh", "-c", "echo pre $(id -u)"] }, { name: "post-stop", exec: ["/bin/sh", "-c", "echo post $(id -u)"] }],
      }),
    ]);
    const r = pod.run();
    expect(r.stdout).toBe("pre 0\n1000\n1000\n1000 1500\n/etc\npost 0\n");
  });

  test("the first failing app stops the others and gives its code", () => {
    using pod = testPod([sh("slow", "trap 'exit 0' TERM; sleep 30 & wait"), sh("bad", "sleep 0.2; exit 5")]);
    const t0 = Date.now();
    const r = pod.run();
    expect(r.code).toBe(5);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(readFileSync(join(pod.dir, "stage1/rootfs/rkt/status/bad"), "utf8")).toBe("5");
    expect(readFileSync(join(pod.dir, "stage1/rootfs/rkt/status/slow"), "utf8")).toBe("0");
  });

  test("orphans are reaped: no zombie is left in the pod", () => {
    using pod = testPod([sh("app1", "(sh -c 'sleep 0.1' &); sleep 0.5; ps -o stat | grep -c Z")]);
    const r = pod.run();
    expect(r.stdout.trim()).toBe("0");
  });

  test("host volumes read-only and empty volumes with mode, bound to mountPoints and mounts", () => {
    const host = mkdtempSync(join(tmpdir(), "rkt-vol-"));
    try {
      writeFileSync(join(host, "f"), "from host");
      using pod = testPod(
        [{ ...sh("app1", "cat /data/f; echo; touch /data/x 2>&1 | grep -c Read-only; stat -c %a /scratch; echo w > /scratch/y && cat /scratch/y", { mountPoints: [{ name: "data", path: "/data", readOnly: true }] }), mounts: [{ volume: "scratch", path: "/scratch" }] }],
        { volumes: [{ name: "data", kind: "host", source: host }, { name: "scratch", kind: "empty", mode: "0700", uid: 0, gid: 0 }] },
      );
      const r = pod.run();
      expect(r.stdout).toBe("from host\n1\n700\nw\n");
      expect(r.code).toBe(0);
      expect(mountsBelow(pod.dir)).toEqual([]);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  test("--net=none gives only loopback, up", () => {
    using pod = testPod([sh("app1", "cat /proc/net/dev | grep -c :; cat /sys/class/net/lo/operstate")]);
    const r = pod.run(["--net=none"]);
    expect(r.stdout.split("\n")[0]).toBe("1");
    expect(r.code).toBe(0);
  });

  test("a missing executable is reported clearly", () => {
    using pod = testPod([{ name: "app1", app: { exec: ["/no/such"], user: "0", group: "0" } }]);
    const r = pod.run();
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('cannot start the exec of app "app1": Error: Unable to open "/no/such": No such file or directory');
  });

  test("a network that is not configured is refused before anything is set up", () => {
    using pod = testPod([sh("app1", "true")]);
    const r = pod.run(["--net=default,no-such-net"]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("networks not found: no-such-net");
    expect(existsSync(join(pod.dir, "netns"))).toBe(false);
  });
});
