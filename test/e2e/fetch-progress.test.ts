// `rkt fetch` draws download progress on a terminal, and stays quiet when stderr is not one.
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { actoolBuild } from "../helpers/actool.ts";
import { rktContext } from "../helpers/context.ts";
import { requires } from "../helpers/requires.ts";

test.skipIf(!!requires("actool"))("progress on a TTY, none in a pipe", () => {
  using ctx = rktContext("rkt-progress");
  const noise = Buffer.alloc(8 << 20);
  for (let i = 0; i < noise.length; i += 65536) noise.set(crypto.getRandomValues(new Uint8Array(65536)), i);
  writeFileSync(join(ctx.tmp, "noise"), noise);
  const aci = actoolBuild(ctx.tmp, { name: "example.com/noisy", files: { noise: { copy: join(ctx.tmp, "noise") } } }, join(ctx.tmp, "noisy.aci"));
  const piped = ctx.rkt(["--insecure-options=image", "fetch", aci]);
  expect(piped.code).toBe(0);
  expect(piped.stderr).not.toContain("Fetching");
  // util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
  const argv = ctx.argv(["--insecure-options=image", "image", "rm", "example.com/noisy"]);
  expect(Bun.spawnSync(argv).exitCode).toBe(0);
  const cmd = ctx.argv(["--insecure-options=image", "fetch", aci]).map((a) => `'${a}'`).join(" ");
  const tty = Bun.spawnSync(["script", "-qec", cmd, "/dev/null"]);
  const out = tty.stdout.toString();
  expect(tty.exitCode).toBe(0);
  expect(out).toContain(`Fetching ${aci}: [`);
  expect(out).toMatch(/8\.\d MiB\/8\.\d MiB/);
  expect(out).toContain(piped.stdout.trim());
});
