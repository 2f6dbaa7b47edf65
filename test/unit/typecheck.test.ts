// The whole tree type-checks under tsconfig's strict settings (Bun runs TypeScript unchecked).
import { expect, test } from "bun:test";
import { ROOT } from "../helpers/context.ts";

test("tsc --noEmit passes", () => {
  const p = Bun.spawnSync([`${ROOT}/node_modules/.bin/tsc`, "--noEmit", "-p", ROOT], { cwd: ROOT });
  expect(p.stdout.toString()).toBe("");
  expect(p.exitCode).toBe(0);
}, 120_000);
