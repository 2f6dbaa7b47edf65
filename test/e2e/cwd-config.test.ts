// The compiled rkt must not read Bun's per-directory files: a bunfig.toml `preload` in the working
// directory would run its code inside rkt (as root), and a `.env` would reach pods through --inherit-env.
import { expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

test("bunfig.toml and .env in the working directory have no effect", async () => {
  using ctx = rktContext("rkt-cwd");
  const marker = join(ctx.tmp, "preloaded");
  writeFileSync(join(ctx.tmp, "evil.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
  writeFileSync(join(ctx.tmp, "bunfig.toml"), `preload = ["./evil.ts"]\n[run]\npreload = ["./evil.ts"]\n`);
  writeFileSync(join(ctx.tmp, ".env"), "RKT_LEAKED_FROM_DOTENV=yes\n");
  expect(ctx.rkt(["version"], { cwd: ctx.tmp }).code).toBe(0);
  expect(existsSync(marker)).toBe(false);
  if (requires("root", "busybox")) return;
  const aci = join(ctx.tmp, "busybox.aci");
  await busyboxAci(aci);
  const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", "--inherit-env", aci, "--exec=/bin/sh", "--", "-c", "echo ${RKT_LEAKED_FROM_DOTENV:-none}"], { cwd: ctx.tmp });
  expect(r.stdout).toBe("none\n");
  expect(existsSync(marker)).toBe(false);
});
