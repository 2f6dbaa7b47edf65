// What the stage1 and pid-file e2e tests share: a pod started in the background, and a copy of the
// rkt binary in a directory of its own, where stage1 images beside it count as rkt's own.
import { copyFileSync, existsSync, linkSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RKT_BIN, type RktContext } from "../helpers/context.ts";

/** A child's whole output. */
export const text = (s: ReadableStream<Uint8Array>) => new Response(s).text();

export interface BackgroundPod {
  uuid: string;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** the pod's directory under pods/run */
  podDir: string;
}

/**
 * Starts `rkt --insecure-options=image run ARGS` in the background; resolves once the pod is
 * running (and, with `ready`, once stage1 says its apps started).
 */
export async function startPod(
  ctx: RktContext,
  args: string[],
  opts: { env?: Record<string, string>; ready?: boolean } = {},
): Promise<BackgroundPod> {
  const uuidFile = join(ctx.tmp, `uuid-${Math.random()}`);
  const proc = Bun.spawn(ctx.argv(["--insecure-options=image", "run", `--uuid-file-save=${uuidFile}`, ...args]), {
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  for (let i = 0; i < 400; i++) {
    if (existsSync(uuidFile)) {
      const uuid = readFileSync(uuidFile, "utf8");
      const status = ctx.rkt(["status", ...(opts.ready ? ["--wait-ready=5s"] : []), uuid]).stdout;
      if (status.startsWith("state=running")) return { uuid, proc, podDir: join(ctx.dir, "pods", "run", uuid) };
    }
    await Bun.sleep(25);
  }
  proc.kill("SIGKILL");
  throw new Error(`pod did not start: ${await text(proc.stderr)}`);
}

/** Waits (up to 10 s) for a file stage1 writes shortly after the pod starts running. */
export async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 400 && !existsSync(path); i++) await Bun.sleep(25);
  if (!existsSync(path)) throw new Error(`${path} did not appear`);
}

/** The rkt binary in a fresh directory under `parent` (a hard link when it can), with `files` copied beside it. */
export function rktBeside(parent: string, files: Record<string, string>): { dir: string; bin: string } {
  const dir = mkdtempSync(join(parent, "bin-"));
  const bin = join(dir, "rkt");
  try {
    linkSync(RKT_BIN, bin);
  } catch {
    copyFileSync(RKT_BIN, bin);
  }
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  return { dir, bin };
}
