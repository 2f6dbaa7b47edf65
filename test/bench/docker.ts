// Benchmark of Docker images (issue #4): `rkt fetch docker://…` of a 5-layer image of real /usr
// files from the real docker-registry on 127.0.0.1 into an empty store (layers downloaded,
// decompressed and checked, converted to one ACI, imported: blob and tree), against `skopeo copy
// docker://… oci:…` of the same image, as median wall times of processes run side by side. Also
// with the layers already in rkt's layer cache (the image removed from the store again).
// Usage: bun test/bench/docker.ts [--runs N] [--size MB]     (MB: uncompressed image size)
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RKT_BIN, ROOT } from "../helpers/context.ts";
import { freshFilesystem, sh } from "./fresh-fs.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry } from "../helpers/registry.ts";

const argv = process.argv.slice(2);

const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const RUNS = opt("runs", 5);
const SIZE_MB = opt("size", 150);
const WORK = join(ROOT, ".tmp", "bench-docker");
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

/** Five layer trees of real files from /usr, about SIZE_MB in all, dealt out round-robin. */
function layerDirs(): string[] {
  const found = Bun.spawnSync(["find", "/usr/share", "/usr/lib", "/usr/bin", "-xdev", "-type", "f", "-size", "-16M", "-printf", "%s %p\n"])
    .stdout.toString()
    .split("\n");
  const dirs = [0, 1, 2, 3, 4].map((i) => join(WORK, `layer${i}`));
  const lists: string[][] = [[], [], [], [], []];
  let total = 0;
  for (const [i, line] of found.entries()) {
    const sp = line.indexOf(" ");
    if (sp < 0) continue;
    total += Number(line.slice(0, sp));
    lists[i % 5]!.push(line.slice(sp + 1));
    if (total > SIZE_MB * 2 ** 20) break;
  }
  lists.forEach((files, i) => {
    mkdirSync(dirs[i]!, { recursive: true });
    const p = Bun.spawnSync(["tar", "-cf", "-", "--files-from=-"], { stdin: Buffer.from(files.join("\n")), stdout: "pipe", stderr: "ignore" });
    Bun.spawnSync(["tar", "-xf", "-", "-C", dirs[i]!], { stdin: p.stdout });
  });
  return dirs;
}

function medianOf(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const built = writeOciLayout(join(WORK, "oci"), { layerDirs: layerDirs(), config: { Cmd: ["/bin/sh"] } });
using reg = await startRegistry(join(WORK, "registry"));
await skopeoCopy(`oci:${join(WORK, "oci")}:latest`, `docker://${reg.host}/bench/five:v1`);
const ref = `docker://${reg.host}/bench/five:v1`;
const compressed = (await Promise.all(built.layerDigests.map((d) => Bun.file(join(WORK, "oci", "blobs", "sha256", d.slice(7))).size))).reduce((a, b) => a + b, 0);

async function timed(cmd: string[]): Promise<number> {
  const t = performance.now();
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`bench: ${cmd.join(" ")} failed`);
  return performance.now() - t;
}

const rkt = (data: string, ...args: string[]) => [RKT_BIN, `--dir=${data}`, "--insecure-options=image,http", ...args];

const ours: number[] = [];
const warm: number[] = [];
const skopeo: number[] = [];
{
// stores on a fresh filesystem, nothing deleted between runs (fresh-fs.ts says why)
using fs = freshFilesystem(join(WORK, "fs"));
for (let i = 0; i < RUNS; i++) {
  const data = join(fs.dir, `data-${i}`);
  sh("sync");
  ours.push(await timed(rkt(data, "fetch", ref)));
  // an empty store whose layer cache already has the layers (hard links to the first store's)
  const cached = join(fs.dir, `cached-${i}`);
  sh(`mkdir -p ${cached}/cas/docker-layers && cp -al ${data}/cas/docker-layers/sha256 ${cached}/cas/docker-layers/ && sync`);
  warm.push(await timed(rkt(cached, "fetch", ref)));
  sh("sync");
  skopeo.push(await timed(["skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false", ref, `oci:${join(fs.dir, `skopeo-${i}`)}:v1`]));
}
}
console.log(`5-layer image: ${(compressed / 2 ** 20).toFixed(0)} MiB compressed; ${RUNS} runs`);
const base = medianOf(skopeo);
for (const [what, t] of [["rkt fetch docker:// into an empty store", medianOf(ours)], ["  the same with its layers cached", medianOf(warm)]] as const) {
  console.log(`${what.padEnd(42)} rkt ${t.toFixed(0).padStart(6)} ms  skopeo copy ${base.toFixed(0).padStart(6)} ms  ratio ${(t / base).toFixed(2)}  (goal ≤ 1.0)`);
}
if (!process.env.KEEP) rmSync(WORK, { recursive: true, force: true });
