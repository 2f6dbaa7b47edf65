// A private rkt world for one test: its own data dir and config dirs under a temp dir, a way to run
// the compiled binary against them, and disposal that unmounts whatever is left and removes it all.
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { POD_STATE_DIRS } from "../../core/paths.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** The binary under test: $RKT_BIN, else dist/rkt (kept fresh by test/helpers/preload.ts). */
export const RKT_BIN = process.env.RKT_BIN ?? join(ROOT, "dist", "rkt");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RktContext extends Disposable {
  tmp: string;
  dir: string;
  localConfig: string;
  systemConfig: string;
  /** runs `rkt --dir=… --local-config=… --system-config=… ARGS` */
  rkt(args: string[], opts?: { stdin?: string | Uint8Array; env?: Record<string, string>; cwd?: string }): RunResult;
  /** the argv prefix (binary and global flags), for spawning rkt another way */
  argv(args: string[]): string[];
}

/** Unmounts every mount at or below `dir`, deepest first (lazily when busy). */
export function unmountBelow(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + "/")))
    .reverse();
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
}

/** A fresh rkt context; `using ctx = rktContext()` cleans it up at the end of the scope. */
export function rktContext(name = "rkt-test"): RktContext {
  const tmp = mkdtempSync(join(tmpdir(), `${name}-`));
  const dir = join(tmp, "data");
  const localConfig = join(tmp, "local");
  const systemConfig = join(tmp, "system");
  for (const d of [dir, localConfig, systemConfig]) mkdirSync(d, { recursive: true });
  const argv = (args: string[]) => [
    RKT_BIN,
    `--dir=${dir}`,
    `--local-config=${localConfig}`,
    `--system-config=${systemConfig}`,
    ...args,
  ];
  return {
    tmp,
    dir,
    localConfig,
    systemConfig,
    argv,
    rkt(args, opts = {}) {
      const p = Bun.spawnSync(argv(args), {
        stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
        env: { ...process.env, ...opts.env },
        cwd: opts.cwd ?? tmp,
      });
      return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
    },
    [Symbol.dispose]() {
      // Pods left behind (a test that killed stage1, a failed assertion) still hold mounts and
      // cgroups outside this directory: rkt's own gc releases them.
      if (POD_STATE_DIRS.some((s) => existsSync(join(dir, "pods", s)) && readdirSync(join(dir, "pods", s)).length > 0)) {
        Bun.spawnSync(argv(["gc", "--grace-period=0s", "--expire-prepared=0s"]), { stdout: "ignore", stderr: "ignore" });
      }
      unmountBelow(tmp);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
