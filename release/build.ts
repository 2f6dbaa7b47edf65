// Builds dist/rkt: one self-contained linux-x64 executable (bun build --compile), the version baked
// in with --define so `rkt version` needs no package.json at run time. --bytecode ships JSC bytecode
// instead of source: measured here it halves `rkt version` (48 → 23 ms), since parsing the bundle
// (openpgp alone is ~0.5 MB) dominated start-up. --splitting puts each lazily imported command and
// library in its own chunk, loaded when imported: a bundle in one piece costs every start the
// loading of all of it (measured: a hello with openpgp bundled but never imported starts ~0.8 ms
// slower; `rkt run` reached its main() 3 ms sooner split). --compile-jit-policy=4 makes JSC four times
// slower to JIT-compile: a command's start-up code runs once, and compiling it on JIT threads cost
// `rkt run` ~4 ms of CPU on this 2-CPU machine (wall 35.9 -> 31.7 ms); a 100 MB fetch, whose loops
// are still compiled, took as long as before. --smol (JSC's small heap, through
// --compile-exec-argv) is for the stage1 process every running pod keeps: each additional pod of ten
// costs 4.9 MiB PSS once settled instead of 5.1 (goal 5), with no change measured on `rkt run`'s
// time or on a 124 MiB fetch. No bunfig.toml or .env is read from the working
// directory at start (Bun's defaults for executables): a bunfig.toml's `preload` would run its code
// in rkt as root, and a .env's variables reached pods through --inherit-env.
import { $ } from "bun";
import { readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import pkg from "../package.json";

const root = new URL("..", import.meta.url).pathname;
const version = process.env.RKT_VERSION ?? pkg.version;
const outfile = process.argv[2] ?? `${root}dist/rkt`;

// Worker threads' modules are entry points of their own in an executable (Bun's standalone-worker rule);
// their paths there are relative to the entry points' common directory, the project root.
const workers = [`${root}core/store/import-worker.ts`];

// file times come from the kernel's coarse clock, up to a tick behind Date.now()
const started = Date.now() - 1000;
await $`bun build --compile --minify --bytecode --splitting --format=esm --compile-jit-policy=4 --compile-exec-argv=--smol --no-compile-autoload-bunfig --no-compile-autoload-dotenv --sourcemap --target=bun-linux-x64 --define RKT_VERSION=${JSON.stringify(version)} ${root}cmd/main.ts ${workers} --outfile ${outfile}`.quiet();
// The chunks' source maps are embedded in the executable (its stack traces map without files); Bun
// also writes them beside it, one per chunk under new names each build: remove those this build wrote.
const outDir = dirname(outfile);
for (const f of readdirSync(outDir)) if (f.endsWith(".js.map") && statSync(join(outDir, f)).mtimeMs >= started) rmSync(join(outDir, f));
console.log(`built ${outfile} (rkt ${version})`);
