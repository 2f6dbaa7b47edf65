// Runs once before the test files: rebuilds dist/rkt when any source is newer, so e2e tests never
// drive a stale binary. Skipped when RKT_BIN points at a binary built elsewhere.
import { statSync } from "node:fs";
import { Glob } from "bun";
import { RKT_BIN, ROOT } from "./context.ts";

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

if (!process.env.RKT_BIN) {
  const built = mtime(RKT_BIN);
  let newest = 0;
  for (const f of new Glob("{cmd,core,ffi,stage1,release}/**/*.{ts,c}").scanSync({ cwd: ROOT })) {
    newest = Math.max(newest, mtime(`${ROOT}/${f}`));
  }
  if (newest > built) {
    const p = Bun.spawnSync([process.execPath, `${ROOT}/release/build.ts`], { stdout: "ignore", stderr: "inherit" });
    if (p.exitCode !== 0) throw new Error("test preload: building dist/rkt failed");
  }
}
