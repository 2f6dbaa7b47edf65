// `bun run bench`: rkt against standard tools, as ratios of median wall times measured side by side
// in this one run (absolute times on shared machines are not comparable between runs).
// Usage: bun test/bench/bench.ts [--runs N] [--size MB] [section…]   sections: import, https, startup, run, docker
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RKT_BIN, ROOT } from "../helpers/context.ts";
import { actoolBuild } from "../helpers/actool.ts";
import { freshFilesystem, sh } from "./fresh-fs.ts";
import { inBenchMountNs, runSection } from "./run.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv.splice(i, 2)[1]) : dflt;
};
const RUNS = opt("runs", 5);
const SIZE_MB = opt("size", 200);
const sections = argv.length ? argv : ["import", "https", "startup", "run", "docker"];
const WORK = join(ROOT, ".tmp", "bench");
mkdirSync(WORK, { recursive: true });

/** Median wall time (ms) of `runs` runs of `cmd`, each after `setup` (not timed). */
function median(cmd: string, setup?: string, runs = RUNS): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (setup) sh(setup);
    const t = performance.now();
    sh(cmd);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function report(what: string, ours: number, base: number, goal: string): void {
  console.log(`${what.padEnd(58)} rkt ${ours.toFixed(0).padStart(6)} ms  baseline ${base.toFixed(0).padStart(6)} ms  ratio ${(ours / base).toFixed(2)}  (goal ${goal})`);
}

/** A gzip ACI of about `sizeMb` compressed, made of real files from /usr (compresses like real images). */
function bigImage(sizeMb = SIZE_MB): string {
  const aci = join(WORK, `big-${sizeMb}.aci`);
  if (existsSync(aci)) return aci;
  const layout = join(WORK, "big");
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(layout, { recursive: true });
  writeFileSync(join(layout, "manifest"), JSON.stringify({ acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/big", labels: [{ name: "os", value: "linux" }, { name: "arch", value: "amd64" }] }));
  // Regular files from /usr, in find's order, until about 3.3x the target (gzip -6 on such a mix).
  const found = Bun.spawnSync(["find", "/usr/share", "/usr/lib", "/usr/bin", "-xdev", "-type", "f", "-size", "-16M", "-printf", "%s %p\n"]).stdout.toString().split("\n");
  const list: string[] = [];
  let total = 0;
  for (const line of found) {
    const sp = line.indexOf(" ");
    if (sp < 0) continue;
    total += Number(line.slice(0, sp));
    list.push(line.slice(sp + 2));
    if (total > sizeMb * 3.3 * 2 ** 20) break;
  }
  writeFileSync(join(layout, "files"), list.join("\n"));
  // Manifest first, then the rootfs with its directories, as actool lays images out.
  sh(`mkdir ${layout}/rootfs && tar -C / -cf - -T ${layout}/files | tar -C ${layout}/rootfs -xf - && tar -C ${layout} -cf - manifest rootfs | gzip -6 > ${aci}`);
  rmSync(layout, { recursive: true, force: true });
  return aci;
}

/** Medians of two commands run alternately (a, b, a, b, …), so both see the same machine. */
function pairedMedians(a: string, b: string, setup?: string, runs = RUNS): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [cmd, times] of [[a, ta], [b, tb]] as const) {
      if (setup) sh(setup);
      const t = performance.now();
      sh(cmd);
      times.push(performance.now() - t);
    }
  }
  const mid = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!;
  return [mid(ta), mid(tb)];
}

function importSection(): void {
  const aci = bigImage();
  console.log(`import: ${aci} (${(Bun.file(aci).size / 2 ** 20).toFixed(0)} MiB gzip)`);
  using fs = freshFilesystem(join(WORK, "import-fs"));
  const fresh = `D=${fs.dir}/$(date +%s%N) && mkdir -p $D`;
  const [base, ours] = pairedMedians(
    `${fresh} && gzip -dc ${aci} | tee $D/blob | sha512sum >/dev/null && mkdir $D/dir && tar -xf $D/blob -C $D/dir`,
    `${fresh} && ${RKT_BIN} --dir=$D --insecure-options=image fetch ${aci} >/dev/null 2>&1`,
    "sync",
  );
  report("fetch into an empty store (hash + blob + tree)", ours, base, "≤ 1.0");
  const pass = join(ROOT, "test/bench/import-pass.ts");
  const [basePass, oursPass] = pairedMedians(`gzip -dc ${aci} | sha512sum >/dev/null`, `${process.execPath} ${pass} ${aci}`);
  report("import pass alone (decompress + sha512)", oursPass, basePass, "≤ 1.0");
}

/**
 * `rkt fetch` of a ~100 MB image from an HTTPS server on 127.0.0.1 against curl | gzip -dc | sha512sum,
 * and against curl doing the store's whole work (blob and extracted tree) for scale.
 */
function httpsSection(): void {
  const aci = bigImage(100);
  const dir = join(WORK, "https");
  const portFile = join(dir, "port");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The server runs in its own process: median() blocks this one in spawnSync.
  const server = Bun.spawn([process.execPath, join(ROOT, "test/helpers/https-server.ts"), dir, aci, portFile], { stdout: "ignore", stderr: "inherit" });
  using fs = freshFilesystem(join(WORK, "https-fs"));
  try {
    for (let i = 0; i < 200 && !existsSync(portFile); i++) Bun.sleepSync(50);
    const url = `https://127.0.0.1:${readFileSync(portFile, "utf8")}/${aci.split("/").pop()}`;
    console.log(`https: ${url} (${(Bun.file(aci).size / 2 ** 20).toFixed(0)} MiB gzip)`);
    const fresh = `D=${fs.dir}/run-$(date +%s%N) && mkdir -p $D`;
    const curl = `curl -sf --cacert ${dir}/ca.crt ${url}`;
    const [base, ours] = pairedMedians(`${curl} | gzip -dc | sha512sum >/dev/null`, `${fresh} && NODE_EXTRA_CA_CERTS=${dir}/ca.crt ${RKT_BIN} --dir=$D --insecure-options=image fetch ${url} >/dev/null 2>&1`, "sync");
    report("fetch over https into an empty store", ours, base, "≤ 1.2");
    const same = median(`${fresh} && ${curl} | gzip -dc | tee $D/blob | sha512sum >/dev/null && mkdir $D/tree && tar -xf $D/blob -C $D/tree`, "sync");
    report("  the same against curl + blob + tar -x (the store's work)", ours, same, "≤ 1.0");
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function startupSection(): void {
  const store = join(WORK, "store50");
  if (!existsSync(join(store, "cas"))) {
    for (let i = 0; i < 50; i++) {
      const aci = actoolBuild(WORK, { name: `example.com/img${i}`, files: { [`f${i}`]: `${i}` } }, join(WORK, `img${i}.aci`));
      sh(`${RKT_BIN} --dir=${store} --insecure-options=image fetch ${aci} >/dev/null 2>&1`);
    }
  }
  const floor = median("/bin/true", undefined, 20);
  const version = median(`${RKT_BIN} version >/dev/null`, undefined, 20);
  const list = median(`${RKT_BIN} --dir=${store} image list >/dev/null`, undefined, 20);
  console.log(`rkt version                                               ${version.toFixed(1)} ms (goal < 40 ms; /bin/true ${floor.toFixed(1)} ms)`);
  console.log(`rkt image list, 50 images                                 ${list.toFixed(1)} ms (goal < 40 ms)`);
}

/** Docker conversion against skopeo: its own script (it starts a registry), run as a child. */
function dockerSection(): void {
  const p = Bun.spawnSync([process.execPath, join(ROOT, "test/bench/docker.ts"), "--runs", String(RUNS)], { stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error("bench: the docker section failed");
}

const table: Record<string, () => void | Promise<void>> = {
  import: importSection,
  https: httpsSection,
  startup: startupSection,
  run: () => runSection({ work: WORK, runs: RUNS, median, paired: pairedMedians, sh, report }),
  docker: dockerSection,
};
for (const s of sections) if (!table[s]) throw new Error(`bench: unknown section "${s}" (have ${Object.keys(table).join(", ")})`);
// The run section compares with crun, which needs this machine's hybrid cgroup layout hidden.
if (sections.includes("run")) inBenchMountNs([process.execPath, ...process.argv.slice(1)]);
for (const s of sections) await table[s]!();
