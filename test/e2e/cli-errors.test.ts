// User mistakes on the command line get one `rkt: …` line (plus the usage line for bad arguments)
// and exit 254, never a stack trace or a raw Node error.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { rktContext } from "../helpers/context.ts";

test("a missing positional argument is a usage error naming it", () => {
  using ctx = rktContext("rkt-cli");
  const r = ctx.rkt(["image", "extract"]);
  expect(r.code).toBe(254);
  expect(r.stderr).toBe("rkt: missing IMAGE argument\nUsage: rkt image extract [flags] IMAGE OUTPUT_DIR\n");
});

test("files named by flags: the flag, the path and the reason", () => {
  using ctx = rktContext("rkt-cli");
  const missing = join(ctx.tmp, "missing");
  const cases: [string[], string][] = [
    [["run", `--set-env-file=${missing}`, "example.com/x"], `rkt: cannot read --set-env-file "${missing}": no such file or directory\n`],
    [["run", `--pod-manifest=${missing}`], `rkt: cannot read --pod-manifest "${missing}": no such file or directory\n`],
    [["status", `--uuid-file=${missing}`], `rkt: cannot read --uuid-file "${missing}": no such file or directory\n`],
    [["rm", `--uuid-file=${ctx.tmp}`], `rkt: cannot read --uuid-file "${ctx.tmp}": is a directory\n`],
  ];
  for (const [args, stderr] of cases) {
    const r = ctx.rkt(args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 254, stderr });
  }
});
