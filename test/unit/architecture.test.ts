// The layering rules of DESIGN.md §2 and STYLE.md §5, checked on every import in the tree.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ROOT } from "../helpers/context.ts";

const LAYERS = ["cmd", "core", "stage1", "ffi"] as const;
type Layer = (typeof LAYERS)[number];
/** which project layers each layer may import */
const ALLOWED: Record<Layer, Layer[]> = {
  cmd: ["cmd", "core", "stage1", "ffi"],
  core: ["core", "ffi"],
  stage1: ["stage1", "core", "ffi"],
  ffi: ["ffi"],
};

const files = [...new Glob("{cmd,core,stage1,ffi}/**/*.ts").scanSync({ cwd: ROOT })].filter((f) => !f.endsWith(".test.ts"));

function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), "utf8");
  const specs: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g)) {
    specs.push((m[1] ?? m[2] ?? m[3])!);
  }
  return specs;
}

describe("architecture", () => {
  test("the tree has source files to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  test("imports point downwards only", () => {
    const bad: string[] = [];
    for (const f of files) {
      const layer = f.split("/")[0] as Layer;
      for (const spec of importsOf(f)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, join(ROOT, dirname(f), spec)).split("/")[0] as Layer;
        if (LAYERS.includes(target) && !ALLOWED[layer].includes(target)) bad.push(`${f} → ${spec}`);
        // .c: the run-time-compiled shim, imported as text by ffi/ (DESIGN.md §3)
        if (!/\.(ts|json)$/.test(spec) && !(layer === "ffi" && spec.endsWith(".c"))) bad.push(`${f} → ${spec} (import with an explicit .ts extension)`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("bun:ffi appears only in ffi/", () => {
    expect(files.filter((f) => !f.startsWith("ffi/") && importsOf(f).includes("bun:ffi"))).toEqual([]);
  });

  test("the pod path loads no node:* module (ffi/sync-fs.ts says why)", () => {
    // what `rkt run` and `rkt prepare` load on every run: their commands, the entry point, and the
    // built-in stage1's run entrypoint with its cgroup set-up, each imported lazily by name
    const entries = ["cmd/main.ts", "cmd/run.ts", "cmd/prepare.ts", "cmd/run-prepared.ts", "stage1/cgroups/setup.ts", "stage1/entrypoints/table.ts", "stage1/entrypoints/run.ts"];
    const transpiler = new Bun.Transpiler({ loader: "ts" });
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { path, kind } of transpiler.scanImports(readFileSync(join(ROOT, file), "utf8"))) {
        if (kind !== "import-statement") continue;
        if (path.startsWith("node:")) bad.push(`${file} → ${path}`);
        else if (path.startsWith(".") && path.endsWith(".ts")) visit(relative(ROOT, join(ROOT, dirname(file), path)));
      }
    };
    entries.forEach(visit);
    expect(seen.size).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });

  test("no barrel index.ts files", () => {
    expect(files.filter((f) => f.endsWith("/index.ts"))).toEqual([]);
  });

  test("code inside the pod's namespaces (stage1/init) is synchronous", () => {
    const bad = files
      .filter((f) => f.startsWith("stage1/init/"))
      .filter((f) => /\bawait\b|fs\/promises|Bun\.file\(|\bfetch\(/.test(readFileSync(join(ROOT, f), "utf8")))
      .map((f) => f);
    expect(bad).toEqual([]);
  });
});
