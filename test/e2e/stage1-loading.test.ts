// Where stage1 comes from (rkt_stage1_loading_test.go, all 11 tests): stage1.d name+version,
// location and fallback beside the rkt binary, and the --stage1-url/-path/-name/-hash/-from-dir
// flags, each run twice to see the second run answered by the store where rkt's is. The stage1 is
// the stub (test/stub-stage1/), exec'd by stage0 like any stage1 image. Also: which locations need
// a signature, the mutually exclusive flags, and the run arguments by interface version.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext, type RunResult } from "../helpers/context.ts";
import { makeTestCA, metaTags, rktAsync, startHttpsServer, type TestCA } from "../helpers/https-server.ts";
import { busyboxAci, busyboxRootfs } from "../helpers/images.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";
import { STUB_NAME, STUB_OUTPUT, STUB_VERSION, stubStage1Aci } from "../stub-stage1/stub-stage1.ts";
import { rktBeside } from "./stage1-helpers.ts";

const STUB_FILE = "rkt-stub-stage1.aci";
const NAME_VERSION = `${STUB_NAME}:${STUB_VERSION}`;

let work: string;
let app: string;
let stub: string;
let stub6: string;
let ca: TestCA;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rkt-e2e-stage1-"));
  app = join(work, "busybox.aci");
  await busyboxAci(app);
  stub = await stubStage1Aci(join(work, STUB_FILE));
  stub6 = await stubStage1Aci(join(work, "stub-v6.aci"), { interfaceVersion: 6 });
  ca = makeTestCA(join(work, "ca"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes `<local config>/<sub>/cfg.json`, as rkt's test does. */
function config(ctx: RktContext, sub: "stage1.d" | "paths.d", body: Record<string, string>): void {
  const kind = sub === "stage1.d" ? "stage1" : "paths";
  mkdirSync(join(ctx.localConfig, sub), { recursive: true });
  writeFileSync(join(ctx.localConfig, sub, "cfg.json"), JSON.stringify({ rktKind: kind, rktVersion: "v1", ...body }));
}

/** `rkt --insecure-options=… --debug run FLAGS… APP` (asynchronous: servers live in this process). */
function run(ctx: RktContext, flags: string[], opts: { env?: Record<string, string>; insecure?: string; argv?: string[] } = {}): Promise<RunResult> {
  const args = [`--insecure-options=${opts.insecure ?? "image,tls"}`, "--debug", "run", ...flags, app];
  if (!opts.argv) return rktAsync(ctx, args, { env: opts.env });
  return rktAsync({ ...ctx, argv: (a) => [...opts.argv!, ...ctx.argv(a).slice(1)] }, args, { env: opts.env });
}

/** rkt's setup.check: the run used the stub, and said where it got it. */
async function check(ctx: RktContext, flags: string[], expected: string, opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(ctx, flags, opts);
  expect(r.stderr).toContain(expected);
  expect(r.stdout).toContain(STUB_OUTPUT);
  expect(r.code).toBe(0);
  return r;
}

describe.skipIf(!!requires("root", "busybox"))("stage1 loading (rkt_stage1_loading_test)", () => {
  test("FromConfig: name+version in the store after the first run; a location that is a path or a file/https URL", async () => {
    using srv = startHttpsServer({ ca });
    srv.files.set(`/${STUB_FILE}`, { body: readFileSync(stub) });
    const https = `https://127.0.0.1:${srv.port}/${STUB_FILE}`;
    const cases = [
      { name: STUB_NAME, version: STUB_VERSION, location: stub, first: `using image from file ${stub}`, second: `using image from local store for image name ${NAME_VERSION}` },
      // a name or version the image does not have: always from the file
      { name: "example.com/stage1", version: STUB_VERSION, location: stub, first: `using image from file ${stub}`, second: `using image from file ${stub}` },
      { name: STUB_NAME, version: "3.2.1", location: stub, first: `using image from file ${stub}`, second: `using image from file ${stub}` },
      { name: STUB_NAME, version: STUB_VERSION, location: https, first: `remote fetching from URL "${https}"`, second: `using image from local store for image name ${NAME_VERSION}` },
      { name: STUB_NAME, version: STUB_VERSION, location: `file://${stub}`, first: `using image from file ${stub}`, second: `using image from local store for image name ${NAME_VERSION}` },
      // a location alone: not shadowed by the built-in stage1 that stands for rkt's default name
      { location: stub, first: `using image from file ${stub}`, second: `using image from file ${stub}` },
    ];
    for (const c of cases) {
      using ctx = rktContext("stage1-config");
      config(ctx, "stage1.d", { ...(c.name && { name: c.name, version: c.version! }), location: c.location });
      await check(ctx, [], c.first, { env: srv.env() });
      await check(ctx, [], c.second, { env: srv.env() });
    }
  });

  test("FromConfigHttp: a plain http location, then the store", async () => {
    using ctx = rktContext("stage1-config-http");
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(Bun.file(stub)) });
    try {
      const url = `http://127.0.0.1:${server.port}/${STUB_FILE}`;
      config(ctx, "stage1.d", { name: STUB_NAME, version: STUB_VERSION, location: url });
      // plain http needs its insecure option here, as every http fetch of this rkt
      expect((await run(ctx, [])).stderr).toContain("plain http is not allowed");
      await check(ctx, [], `remote fetching from URL "${url}"`, { insecure: "image,tls,http" });
      await check(ctx, [], `using image from local store for image name ${NAME_VERSION}`, { insecure: "image,tls,http" });
    } finally {
      server.stop(true);
    }
  });

  test.skipIf(!!requires("skopeo", "docker-registry"))("FromConfigDocker / FromFlagsDocker: a docker location is fetched and converted, then refused: Docker images carry no stage1 annotations", async () => {
    using ctx = rktContext("stage1-docker");
    const layer = busyboxRootfs(join(ctx.tmp, "layer"));
    writeOciLayout(join(ctx.tmp, "oci"), { layerDirs: [layer], config: { Cmd: ["/bin/sh"] }, tag: "1.0" });
    using reg = await startRegistry(join(ctx.tmp, "registry"));
    await skopeoCopy(`oci:${join(ctx.tmp, "oci")}:1.0`, `docker://${reg.host}/tests/stage1:1.0`);
    const ref = `docker://${reg.host}/tests/stage1:1.0`;
    const flag = await run(ctx, [`--stage1-url=${ref}`], { insecure: "image,http" });
    expect(flag.stderr).toContain('as stage1: it has no "coreos.com/rkt/stage1/run" annotation');
    expect(flag.code).toBe(254);
    config(ctx, "stage1.d", { name: STUB_NAME, version: STUB_VERSION, location: ref });
    const cfg = await run(ctx, [], { insecure: "image,http" });
    expect(cfg.stderr).toContain('it has no "coreos.com/rkt/stage1/run" annotation');
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  });

  test("FromConfigRelativePathFail: a relative location is a configuration error", async () => {
    using ctx = rktContext("stage1-config-rel");
    config(ctx, "stage1.d", { name: STUB_NAME, version: STUB_VERSION, location: STUB_FILE });
    const r = await run(ctx, []);
    expect(r.stderr).toContain("default stage1 image location is either a relative path or a URL without scheme");
    expect(r.code).toBe(254);
  });

  test("FromConfigFallback: a configured path that is not there falls back to the same name beside rkt", async () => {
    using ctx = rktContext("stage1-config-fallback");
    const rkt = rktBeside(work, { [STUB_FILE]: stub });
    const missing = join(ctx.tmp, "nowhere", STUB_FILE);
    config(ctx, "stage1.d", { name: STUB_NAME, version: STUB_VERSION, location: missing });
    const r = await check(ctx, [], `using image from file ${missing}`, { argv: [rkt.bin] });
    expect(r.stderr).toContain(`using image from file ${join(rkt.dir, STUB_FILE)}`);
  });

  test("FromConfigNoDiscovery: a configured name is never discovered", async () => {
    using ctx = rktContext("stage1-config-nodisc");
    using srv = startHttpsServer({ ca });
    srv.pages.set("/rkt-stub-stage1", metaTags({ discovery: [`localhost https://localhost:${srv.port}/{name}-{version}.{ext}`] }));
    config(ctx, "stage1.d", { name: STUB_NAME, version: STUB_VERSION, location: stub });
    for (const expected of [`using image from file ${stub}`, `using image from local store for image name ${NAME_VERSION}`]) {
      const r = await check(ctx, [], expected, { env: srv.env() });
      expect(r.stderr).not.toContain("searching for app image");
    }
    expect(srv.requests).toHaveLength(0);
  });

  test("FromFlags: --stage1-path (relative, absolute), --stage1-url (https, file), --stage1-name (discovery, then the store)", async () => {
    using srv = startHttpsServer({ ca });
    srv.files.set(`/${STUB_FILE}`, { body: readFileSync(stub) });
    srv.files.set(`/localhost/rkt-stub-stage1-${STUB_VERSION}.aci`, { body: readFileSync(stub) });
    srv.pages.set("/rkt-stub-stage1", metaTags({ discovery: [`localhost https://localhost:${srv.port}/{name}-{version}.{ext}`] }));
    const https = `https://127.0.0.1:${srv.port}/${STUB_FILE}`;
    const cases = [
      { flag: `--stage1-path=${STUB_FILE}`, first: `using image from file ${STUB_FILE}`, second: `using image from file ${STUB_FILE}` },
      { flag: `--stage1-path=${stub}`, first: `using image from file ${stub}`, second: `using image from file ${stub}` },
      { flag: `--stage1-url=${https}`, first: `remote fetching from URL "${https}"`, second: `using image from local store for url ${https}` },
      { flag: `--stage1-url=file://${stub}`, first: `using image from file ${stub}`, second: `using image from file ${stub}` },
      { flag: `--stage1-name=${NAME_VERSION}`, first: `searching for app image ${STUB_NAME}`, second: `using image from local store for image name ${NAME_VERSION}` },
    ];
    for (const c of cases) {
      using ctx = rktContext("stage1-flags");
      copyFileSync(stub, join(ctx.tmp, STUB_FILE)); // rkt runs in ctx.tmp: the relative path's base
      await check(ctx, [c.flag], c.first, { env: srv.env() });
      await check(ctx, [c.flag], c.second, { env: srv.env() });
    }
  });

  test("FromFlagsHttp: --stage1-url over plain http, then the store", async () => {
    using ctx = rktContext("stage1-flags-http");
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(Bun.file(stub)) });
    try {
      const url = `http://127.0.0.1:${server.port}/${STUB_FILE}`;
      await check(ctx, [`--stage1-url=${url}`], `remote fetching from URL "${url}"`, { insecure: "image,tls,http" });
      await check(ctx, [`--stage1-url=${url}`], `using image from local store for url ${url}`, { insecure: "image,tls,http" });
    } finally {
      server.stop(true);
    }
  });

  test("FromFlagsHash: an image already in the store, by its ID; an unknown ID fails", async () => {
    using ctx = rktContext("stage1-flags-hash");
    const id = ctx.rkt(["--insecure-options=image", "fetch", stub]).stdout.trim();
    expect(id).toMatch(/^sha512-/);
    const r = await check(ctx, [`--stage1-hash=${id}`], "using image from the store with hash sha512-");
    expect(r.stderr).toContain(`using image from the store with hash ${id}`);
    const unknown = await run(ctx, ["--stage1-hash=sha512-0123456789abcdef0123456789abcdef"]);
    expect(unknown.stderr).toContain('no image with ID "sha512-0123456789abcdef0123456789abcdef" in the store');
    expect(unknown.code).toBe(254);
  });

  test("FromFlagsFromDir: a file of the stage1 images directory set by paths.d", async () => {
    using ctx = rktContext("stage1-from-dir");
    const dir = join(ctx.tmp, "stage1-images");
    mkdirSync(dir);
    copyFileSync(stub, join(dir, STUB_FILE));
    config(ctx, "paths.d", { "stage1-images": dir });
    await check(ctx, [`--stage1-from-dir=${STUB_FILE}`], `using image from file ${join(dir, STUB_FILE)}`);
    const missing = await run(ctx, ["--stage1-from-dir=nothing.aci"]);
    expect(missing.stderr).toContain(`cannot find stage1 image "nothing.aci" in "${dir}"`);
  });
});

describe.skipIf(!!requires("root", "busybox"))("stage1 images: signatures, flags, interface", () => {
  test("a stage1 beside the rkt binary needs no signature; one from anywhere else, or a paths.d directory, does", async () => {
    using ctx = rktContext("stage1-trust");
    const rkt = rktBeside(work, { [STUB_FILE]: stub });
    // the app comes from the store by ID, where no signature is asked for
    const appId = ctx.rkt(["--insecure-options=image", "fetch", app]).stdout.trim();
    const r = await rktAsync({ ...ctx, argv: (a) => [rkt.bin, ...ctx.argv(a).slice(1)] }, ["--debug", "run", `--stage1-from-dir=${STUB_FILE}`, appId]);
    expect(r.stderr).toContain(`using image from file ${join(rkt.dir, STUB_FILE)}`);
    expect(r.stderr).not.toContain("signature");
    expect(r.stdout).toContain(STUB_OUTPUT);
    expect(r.code).toBe(0);
    const elsewhere = await rktAsync(ctx, ["run", `--stage1-path=${stub}`, appId]);
    expect(elsewhere.stderr).toContain(`no signature at "${stub}.asc"`);
    expect(elsewhere.code).toBe(254);
    const dir = join(ctx.tmp, "images");
    mkdirSync(dir);
    copyFileSync(stub, join(dir, STUB_FILE));
    config(ctx, "paths.d", { "stage1-images": dir });
    expect((await rktAsync(ctx, ["run", `--stage1-from-dir=${STUB_FILE}`, appId])).stderr).toContain("no signature");
  });

  test("the --stage1-* flags are mutually exclusive", () => {
    using ctx = rktContext("stage1-excl");
    const r = ctx.rkt(["--insecure-options=image", "run", `--stage1-path=${stub}`, `--stage1-name=${NAME_VERSION}`, app]);
    expect(r.stderr).toMatch(/flags --stage1-\w+ and --stage1-\w+ are mutually exclusive/);
    expect(r.code).toBe(254);
  });

  test("run arguments follow the interface version; RKT_LOCK_FD holds the pod lock; cwd is the pod", async () => {
    using ctx = rktContext("stage1-args");
    const flags = ["--net=host", "--hostname=h1", "--ipc=private", "--dns=8.8.8.8"];
    const v1 = await run(ctx, [`--stage1-path=${stub}`, ...flags], { insecure: "image,capabilities" });
    const uuid1 = /stub stage1 args: .* ([0-9a-f-]{36})$/m.exec(v1.stdout)![1]!;
    expect(v1.stdout).toContain(`stub stage1 args: --debug --net=host --local-config=${ctx.localConfig} ${uuid1}\n`);
    for (const opt of ["--hostname", "--dns-conf-mode", "--ipc"]) expect(v1.stderr).toContain(`warning: ${opt} option is not supported by stage1`);
    const podDir = join(ctx.dir, "pods", "run", uuid1);
    expect(v1.stdout).toContain(`stub stage1 lock: ${podDir}\n`);
    expect(v1.stdout).toContain(`stub stage1 cwd: ${podDir}\n`);
    // rkt hands over SIGPIPE (bit 13) at its default, not ignored as Bun keeps it
    const ign = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(v1.stdout)![1]}`);
    expect(ign & (1n << 12n)).toBe(0n);
    const v6 = await run(ctx, [`--stage1-path=${stub6}`, ...flags], { insecure: "image,capabilities" });
    const uuid6 = /stub stage1 args: .* ([0-9a-f-]{36})$/m.exec(v6.stdout)![1]!;
    expect(v6.stdout).toContain(
      `stub stage1 args: --debug --net=host --local-config=${ctx.localConfig} --hostname=h1 --dns-conf-mode=resolv=stage0,hosts=default --disable-capabilities-restriction --ipc=private ${uuid6}\n`,
    );
    expect(v6.stderr).not.toContain("not supported by stage1");
    // the stub exited: the lock went with it
    expect(ctx.rkt(["status", uuid6]).stdout).toStartWith("state=exited");
  });
});
