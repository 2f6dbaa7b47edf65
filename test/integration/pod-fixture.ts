// Pod directories built by hand for stage1 tests: a busybox rootfs per app and a pod manifest, laid
// out as stage0 leaves them (layout.md §2), so stage1 can be tested before and apart from stage0.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unmountBelow, ROOT } from "../helpers/context.ts";
import { busyboxRootfs } from "../helpers/images.ts";

/** Applets the stage1 tests use beyond test/helpers/images.ts's set. */
const EXTRA_APPLETS = ["grep", "stat", "readlink", "wc", "kill"];

/** The busybox test rootfs plus the extra applets, for a pod built by hand. */
function podRootfs(root: string): void {
  busyboxRootfs(root);
  for (const a of EXTRA_APPLETS) symlinkSync("busybox", join(root, "bin", a));
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
  for (const app of apps) podRootfs(join(dir, "stage1", "rootfs", "opt", "stage2", String(app.name), "rootfs"));
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
