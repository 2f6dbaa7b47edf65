// rkt on a minimal host: a root filesystem holding only the rkt binary and the shared libraries it
// loads (no C development files, no /etc/resolv.conf, no shell), entered with chroot in a private
// mount namespace. The built-in stage1 compiles its C shim there too (TinyCC links against the C
// library the process runs on), and a pod runs, returns its exit code and is collected.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { RKT_BIN } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

let root: string;

/** The shared objects `binary` loads, as ldd(1) lists them (the interpreter included). */
function sharedLibraries(binary: string): string[] {
  const out = Bun.spawnSync(["ldd", binary]).stdout.toString();
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** Copies `path` of the host to the same path under `root`. */
function copyIn(path: string): void {
  mkdirSync(join(root, dirname(path)), { recursive: true });
  copyFileSync(path, join(root, path));
}

/** Runs `script` in a private mount namespace where `rkt` runs the binary chrooted in `root` (with /proc, /dev and /sys). */
function inMinimalHost(script: string): { code: number; stdout: string; stderr: string } {
  const setup = [
    "mount --make-rprivate /",
    `mount --bind ${root} ${root}`,
    `mount -t proc proc ${root}/proc`,
    `mount --rbind /dev ${root}/dev`,
    `mount --rbind /sys ${root}/sys`,
  ].join(" && ");
  const rkt = `rkt() { chroot ${root} /usr/bin/rkt --insecure-options=image "$@"; }`;
  const p = Bun.spawnSync(["unshare", "-m", "sh", "-c", `${setup} && ${rkt} && ${script}`], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe.skipIf(!!requires("root", "busybox", "overlay"))("a minimal host", () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "rkt-e2e-minimal-"));
    for (const d of ["proc", "dev", "sys", "tmp", "etc"]) mkdirSync(join(root, d));
    mkdirSync(join(root, "usr/bin"), { recursive: true });
    copyFileSync(RKT_BIN, join(root, "usr/bin/rkt"));
    for (const lib of sharedLibraries(RKT_BIN)) copyIn(lib);
    await busyboxAci(join(root, "tmp/busybox.aci"), { name: "example.com/minimal" });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("has no C development files, resolv.conf or shell", () => {
    for (const p of ["usr/lib/x86_64-linux-gnu/libc.so", "usr/lib/libc.so", "etc/resolv.conf", "bin/sh"]) expect(existsSync(join(root, p))).toBe(false);
  });

  test("runs a pod, with its exit code and an empty resolv.conf, and collects it", () => {
    const r = inMinimalHost(
      "rkt fetch /tmp/busybox.aci >/dev/null && " +
        "rkt run --net=host example.com/minimal --exec=/bin/sh -- -c 'echo in-pod; wc -c < /etc/resolv.conf; exit 3'; echo rc=$? && " +
        "rkt gc --grace-period=0s >/dev/null 2>&1 && rkt list --no-legend",
    );
    expect(r.stderr).not.toContain("tcc");
    expect(r.stdout.split("\n")).toEqual(["in-pod", "0", "rc=3", ""]);
    expect(r.code).toBe(0);
  });

  test("runs a pod with --no-overlay: its rootfs a copy made without cp(1)", () => {
    const r = inMinimalHost(
      "rkt fetch /tmp/busybox.aci >/dev/null && " +
        "rkt run --net=host --no-overlay example.com/minimal --exec=/bin/sh -- -c 'ls -l /bin/busybox | cut -c1-10; echo copied > /copy' && " +
        `cat ${root}/var/lib/rkt/pods/run/*/stage1/rootfs/opt/stage2/minimal/rootfs/copy && ` +
        "rkt gc --grace-period=0s >/dev/null 2>&1",
    );
    expect(r.stderr).not.toContain("Executable not found");
    expect(r.stdout).toBe("-rwxr-xr-x\ncopied\n");
    expect(r.code).toBe(0);
  });
});
