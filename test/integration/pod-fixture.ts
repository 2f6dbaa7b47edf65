// Pod directories built by hand for stage1 tests: a busybox rootfs per app and a pod manifest, laid
// out as stage0 leaves them (layout.md §2), so stage1 can be tested before and apart from stage0.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unmountBelow, ROOT } from "../helpers/context.ts";

const APPLETS = ["sh", "echo", "cat", "ls", "ps", "hostname", "id", "sleep", "true", "false", "grep", "stat", "readlink", "touch", "kill", "wc"];

/** A minimal rootfs: static busybox, its applets, /etc/passwd and /etc/group. */
export function busyboxRootfs(root: string): void {
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
  for (const a of APPLETS) symlinkSync("busybox", join(root, "bin", a));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nuser:x:1000:\nextra:x:1500:\n");
}

export interface TestPod extends Disposable {
  dir: string;
  uuid: string;
  /** runs the built-in stage1 `run` entrypoint in a child process, as stage0 would exec it */
  run(args?: string[]): { code: number; stdout: string; stderr: string };
}

/** A pod directory with one busybox rootfs per app of `manifest` (apps given as RuntimeApp JSON). */
export function testPod(apps: Record<string, unknown>[], extra: Record<string, unknown> = {}): TestPod {
  const base = mkdtempSync(join(tmpdir(), "rkt-pod-"));
  const uuid = "11111111-2222-4333-8444-555555555555";
  const dir = join(base, uuid);
  for (const app of apps) busyboxRootfs(join(dir, "stage1", "rootfs", "opt", "stage2", String(app.name), "rootfs"));
  const image = { id: `sha512-${"0".repeat(64)}` };
  writeFileSync(join(dir, "pod"), JSON.stringify({ acVersion: "0.8.11", acKind: "PodManifest", apps: apps.map((a) => ({ image, ...a })), volumes: [], ...extra }));
  return {
    dir,
    uuid,
    run(args = ["--net=host"]) {
      const p = Bun.spawnSync([process.execPath, join(ROOT, "cmd", "main.ts"), "_stage1-run", ...args, uuid], { cwd: dir, stdin: "ignore" });
      return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
    },
    [Symbol.dispose]() {
      unmountBelow(base);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Mount points under `dir` in the host's mount table (what a test must leave empty). */
export function mountsBelow(dir: string): string[] {
  return require("node:fs")
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l: string) => l.split(" ")[1] ?? "")
    .filter((m: string) => m.startsWith(dir));
}
