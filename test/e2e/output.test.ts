// rkt writes its output itself (ffi/stdio.ts): whole, in order, also to a file descriptor its
// caller made non-blocking and reads slowly, and without complaint to a reader that went away.
import { expect, test } from "bun:test";
import { closeSync, constants, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { setNonblock } from "../../ffi/fs.ts";
import { actoolBuild } from "../helpers/actool.ts";
import { rktContext } from "../helpers/context.ts";
import { requires } from "../helpers/requires.ts";

test.skipIf(!!requires("actool"))("a manifest bigger than a pipe reaches a slow, non-blocking reader whole", async () => {
  using ctx = rktContext("rkt-output");
  // ~200 KiB of annotations: three times a pipe's 64 KiB, so rkt's writes meet a full pipe (EAGAIN)
  const annotations = Array.from({ length: 200 }, (_, i) => ({ name: `example.com/a${i}`, value: "x".repeat(1024) }));
  const aci = actoolBuild(ctx.tmp, { name: "example.com/big-manifest", manifest: { annotations } }, join(ctx.tmp, "big.aci"));
  expect(ctx.rkt(["--insecure-options=image", "fetch", aci]).code).toBe(0);
  const expected = ctx.rkt(["image", "cat-manifest", "example.com/big-manifest"]);
  expect(expected.code).toBe(0);
  expect(expected.stdout.length).toBeGreaterThan(3 * 65536);

  const fifo = join(ctx.tmp, "fifo");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  const proc = Bun.spawn(ctx.argv(["image", "cat-manifest", "example.com/big-manifest"]), { stdout: writer, stderr: "pipe" });
  // Bun.spawn hands the child a blocking fd; the flag is the open file's, shared with the child, and
  // set again long before rkt, still starting, writes
  setNonblock(writer, true);
  closeSync(writer);
  try {
    await Bun.sleep(300); // rkt has filled the pipe by now and waits for room
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(4096);
    for (;;) {
      let n: number;
      try {
        n = readSync(reader, buf);
      } catch (e) {
        if ((e as { code?: string }).code !== "EAGAIN") throw e;
        await Bun.sleep(5);
        continue;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stderr).text()).toBe("");
    expect(Buffer.concat(chunks).toString()).toBe(expected.stdout);
  } finally {
    closeSync(reader);
  }
});

test("output to a pipe nobody reads any more ends the command normally, with nothing on stderr", () => {
  using ctx = rktContext("rkt-output");
  const fifo = join(ctx.tmp, "fifo");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  closeSync(reader); // every write to `writer` now fails with EPIPE
  try {
    const p = Bun.spawnSync(ctx.argv(["help"]), { stdout: writer, stderr: "pipe" });
    expect({ code: p.exitCode, stderr: p.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  } finally {
    closeSync(writer);
  }
});
