// Benchmark of Docker image conversion (issue #4): a 5-layer image of real /usr files pulled from
// the real docker-registry on 127.0.0.1 and converted to an ACI file, against `skopeo copy
// docker://… oci:…` of the same image, as median wall times of processes run side by side.
// Usage: bun test/bench/docker.ts [--runs N] [--size MB]     (MB: uncompressed image size)
// Child mode (used by the benchmark itself): bun test/bench/docker.ts --convert REF DATADIR OUT
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fetchDockerImage } from "../../core/docker/fetch.ts";
import { ROOT } from "../helpers/context.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry } from "../helpers/registry.ts";

const argv = process.argv.slice(2);

if (argv[0] === "--convert") {
  const [, ref, dataDir, out] = argv as [string, string, string, string];
  const img = await fetchDockerImage(ref, { dataDir, http: true });
  const w = Bun.file(out).writer();
  for await (const c of img.aci) w.write(c);
  await w.end();
  process.exit(0);
}

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

const ours: number[] = [];
const warm: number[] = [];
const skopeo: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const data = join(WORK, `data-${i}`);
  ours.push(await timed([process.execPath, import.meta.path, "--convert", ref, data, join(WORK, `out-${i}.aci`)]));
  warm.push(await timed([process.execPath, import.meta.path, "--convert", ref, data, join(WORK, `out-${i}.aci`)]));
  skopeo.push(await timed(["skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false", ref, `oci:${join(WORK, `skopeo-${i}`)}:v1`]));
  rmSync(join(WORK, `skopeo-${i}`), { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
}
const aciSize = Bun.file(join(WORK, `out-${RUNS - 1}.aci`)).size;
console.log(`5-layer image: ${(compressed / 2 ** 20).toFixed(0)} MiB compressed, ACI ${(aciSize / 2 ** 20).toFixed(0)} MiB; ${RUNS} runs`);
const base = medianOf(skopeo);
for (const [what, t] of [["docker:// → ACI file, empty layer cache", medianOf(ours)], ["docker:// → ACI file, layers cached", medianOf(warm)]] as const) {
  console.log(`${what.padEnd(42)} rkt ${t.toFixed(0).padStart(6)} ms  skopeo copy ${base.toFixed(0).padStart(6)} ms  ratio ${(t / base).toFixed(2)}  (goal ≤ 1.0)`);
}
if (!process.env.KEEP) rmSync(WORK, { recursive: true, force: true });
