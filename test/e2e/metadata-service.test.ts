// `rkt metadata-service` and `rkt run --mds-register` as a user drives them (rkt's
// rkt_metadata_service_test.go, ace validator's MDS checks): an app reads its pod's metadata over
// AC_METADATA_URL with busybox wget and signs and verifies through the identity endpoint; gc
// unregisters; without a service, rkt's error. The service listens on a test-chosen loopback port and
// a socket in the test's directory (core/mds/endpoint.ts's test-only overrides), never /run/rkt. A pod
// on a CNI network reaches it at its network's gateway: there rkt, the service and the pod run in a
// network namespace the test makes, so the pod's traffic to its host never leaves the test's namespaces.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Subprocess } from "bun";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { actoolBuild } from "../helpers/actool.ts";
import { freePort } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";

let dir: string;
let aci: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-mds-"));
  aci = join(dir, "mds.aci");
  await busyboxAci(
    aci,
    { name: "example.com/mds-client", annotations: [{ name: "authors", value: "rkt tests" }] },
    { customize: (rootfs) => ["wget", "sed"].forEach((a) => symlinkSync("busybox", join(rootfs, "bin", a))) },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Service extends Disposable {
  port: number;
  env: Record<string, string>;
  proc: Subprocess<"ignore", "ignore", "pipe">;
  /** SIGTERM, then the service's log */
  stop(): Promise<string>;
}

/** A network namespace of the test's own (`ip netns`), with its loopback up; removed at disposal. */
interface TestNetns extends Disposable {
  /** `argv` run in the namespace (nsenter: only the network namespace changes) */
  enter(argv: string[]): string[];
}

function testNetns(): TestNetns {
  const name = `rkt-mds-test-${process.pid}`;
  for (const cmd of [["ip", "netns", "add", name], ["ip", "-n", name, "link", "set", "lo", "up"]]) {
    expect(Bun.spawnSync(cmd, { stderr: "pipe" }).stderr.toString()).toBe("");
  }
  return {
    enter: (argv) => ["nsenter", `--net=/run/netns/${name}`, "--", ...argv],
    [Symbol.dispose]: () => void Bun.spawnSync(["ip", "netns", "del", name]),
  };
}

/**
 * `rkt metadata-service` on a free loopback port and a socket in the test's directory; `activated`:
 * behind systemd's own systemd-socket-activate, which owns the socket and starts the service (by
 * execve, so `proc` becomes it) on the first connection; in `netns`: there, on every address as rkt's.
 */
async function startService(ctx: RktContext, { activated = false, netns }: { activated?: boolean; netns?: TestNetns } = {}): Promise<Service> {
  const port = freePort();
  const socket = join(ctx.tmp, "mds", "metadata-svc.sock");
  const env: Record<string, string> = { RKT_MDS_SOCKET: socket, RKT_MDS_PORT: String(port), ...(netns ? {} : { RKT_MDS_LISTEN_HOST: "127.0.0.1" }) };
  const service = ctx.argv(["metadata-service", `--listen-port=${port}`]);
  if (activated) mkdirSync(dirname(socket), { recursive: true });
  // systemd-socket-activate passes its children only the variables it is given
  const argv = activated
    ? ["systemd-socket-activate", `--listen=${socket}`, ...Object.entries(env).map(([k, v]) => `--setenv=${k}=${v}`), ...service]
    : netns ? netns.enter(service) : service;
  const proc = Bun.spawn(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await Bun.sleep(20);
  expect(existsSync(socket)).toBe(true);
  const stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
    return new Response(proc.stderr).text();
  };
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return { port, env, proc, stop, [Symbol.dispose]: () => void (running() && proc.kill("SIGKILL")) };
}

/** What the app prints, one `key=value` per line: its view of the metadata service. */
const CLIENT = `
u=$AC_METADATA_URL/acMetadata/v1
echo "url=$AC_METADATA_URL"
uuid=$(wget -qO- $u/pod/uuid)
echo "uuid=$uuid"
echo "annotations=$(wget -qO- $u/pod/annotations)"
echo "manifest=$(wget -qO- $u/apps/$AC_APP_NAME/image/manifest)"
sig=$(wget -qO- --post-data "content=Old MacDonald Had A Farm" $u/pod/hmac/sign)
echo "sig=$sig"
enc=$(echo -n "$sig" | sed -e 's/+/%2B/g' -e 's|/|%2F|g' -e 's/=/%3D/g')
wget -qO- --post-data "content=Old MacDonald Had A Farm&uuid=$uuid&signature=$enc" $u/pod/hmac/verify && echo verify=ok
wget -qO- --post-data "content=Old MacDonald Had A Cow&uuid=$uuid&signature=$enc" $u/pod/hmac/verify 2>/dev/null || echo tampered=refused
`;

const lines = (out: string) => Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
const podsIn = (ctx: RktContext, state: string) => (existsSync(join(ctx.dir, "pods", state)) ? readdirSync(join(ctx.dir, "pods", state)) : []);

describe.skipIf(!!requires("root", "busybox"))("rkt metadata-service and run --mds-register", () => {
  test("an app reads its pod's uuid, annotations and image manifest and signs with its identity; gc unregisters the pod", async () => {
    using ctx = rktContext();
    using svc = await startService(ctx);
    const uuidFile = join(ctx.tmp, "uuid");
    const r = ctx.rkt(
      ["--insecure-options=image", "run", "--mds-register", "--net=host", `--uuid-file-save=${uuidFile}`, aci, "--name=client", "--exec=/bin/sh", "--", "-c", CLIENT],
      { env: svc.env },
    );
    expect(r.stderr).not.toContain("metadata service");
    expect(r.code).toBe(0);
    const uuid = readFileSync(uuidFile, "utf8");
    const got = lines(r.stdout);
    // rkt's stage1 with host networking: the host's loopback address, the registration's token
    expect(got.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${svc.port}/[0-9a-f]{32}$`));
    expect(got.uuid).toBe(uuid);
    expect(JSON.parse(got.annotations!)).toEqual([{ name: "coreos.com/rkt/stage1/mutable", value: "false" }]);
    expect(JSON.parse(got.manifest!)).toMatchObject({ acKind: "ImageManifest", name: "example.com/mds-client", annotations: [{ name: "authors", value: "rkt tests" }] });
    expect(Buffer.from(got.sig!, "base64")).toHaveLength(64);
    expect(got.verify).toBe("ok");
    expect(got.tampered).toBe("refused");
    expect(existsSync(join(ctx.dir, "pods", "run", uuid, "mds-registered"))).toBe(true);

    // from the host: the signature verifies, and the pod stays registered until gc
    const api = `${got.url}/acMetadata/v1`;
    const verified = await fetch(`http://127.0.0.1:${svc.port}/any/acMetadata/v1/pod/hmac/verify`, {
      method: "POST", body: new URLSearchParams({ content: "Old MacDonald Had A Farm", uuid, signature: got.sig! }),
    });
    expect(verified.status).toBe(200);
    expect(await (await fetch(`${api}/apps/client/image/id`)).text()).toMatch(/^sha512-[0-9a-f]+$/);
    const gc = ctx.rkt(["gc", "--grace-period=0s"], { env: svc.env });
    expect(gc.code).toBe(0);
    expect(gc.stderr).not.toContain("warning");
    expect((await fetch(`${api}/pod/uuid`)).status).toBe(401);
    const log = await svc.stop();
    expect(log).toContain(`PUT /pods/${uuid}/client - 200`);
    expect(log).toContain(`DELETE /pods/${uuid} - 200`);
    expect(existsSync(svc.env.RKT_MDS_SOCKET!)).toBe(false);
  }, 30_000);

  test("on a CNI network: the app reaches the service at its network's gateway; gc unregisters the pod and frees its address", async () => {
    if (requires("cni-plugins")) return;
    using ctx = rktContext();
    using netns = testNetns();
    using svc = await startService(ctx, { netns });
    const leases = join(ctx.tmp, "leases");
    mkdirSync(join(ctx.localConfig, "net.d"), { recursive: true });
    writeFileSync(join(ctx.localConfig, "net.d", "10-mdsnet.conf"), JSON.stringify({
      cniVersion: "0.1.0", name: "mdsnet", type: "bridge", bridge: "rkt-mds0", isGateway: true,
      ipam: { type: "host-local", subnet: "10.217.9.0/24", dataDir: leases },
    }));
    const rkt = (args: string[]) => {
      const p = Bun.spawnSync(netns.enter(ctx.argv(args)), { env: { ...process.env, ...svc.env }, cwd: ctx.tmp });
      return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
    };
    const uuidFile = join(ctx.tmp, "uuid");
    const r = rkt(["--insecure-options=image", "run", "--mds-register", "--net=mdsnet", `--uuid-file-save=${uuidFile}`, aci, "--name=client", "--exec=/bin/sh", "--", "-c", CLIENT]);
    expect(r.stderr).not.toContain("metadata service");
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    // rkt's stage1 on CNI networks: the host's side of the pod's (first) network
    expect(got.url).toMatch(new RegExp(`^http://10\\.217\\.9\\.1:${svc.port}/[0-9a-f]{32}$`));
    expect(got.uuid).toBe(readFileSync(uuidFile, "utf8"));
    expect(got.verify).toBe("ok");
    expect(readdirSync(join(leases, "mdsnet")).filter((f) => f.startsWith("10.217.9."))).toHaveLength(1);
    expect(rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(readdirSync(join(leases, "mdsnet")).filter((f) => f.startsWith("10.217.9."))).toEqual([]);
    const log = await svc.stop();
    expect(log).toContain(`PUT /pods/${got.uuid}/client - 200`);
    expect(log).toContain(`DELETE /pods/${got.uuid} - 200`);
  }, 30_000);

  test("without a running service: rkt's error and exit status 1; what is left is a pod gc removes", () => {
    using ctx = rktContext();
    const env = { RKT_MDS_SOCKET: join(ctx.tmp, "absent.sock") };
    const r = ctx.rkt(["--insecure-options=image", "run", "--mds-register", "--net=host", aci, "--exec=/bin/true"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`with the metadata service: could not reach the metadata service.
Make sure metadata service is currently running or use
"rkt run --mds-register=false" to skip pod registration.`);
    expect(r.stdout).toBe("");
    const [uuid] = podsIn(ctx, "run");
    expect(existsSync(join(ctx.dir, "pods", "run", uuid!, "mds-registered"))).toBe(false);
    expect(ctx.rkt(["status", uuid!]).stdout).toContain("state=exited");
    const gc = ctx.rkt(["gc", "--grace-period=0s"], { env });
    expect(gc.code).toBe(0);
    expect(["run", "exited-garbage", "garbage"].flatMap((s) => podsIn(ctx, s))).toEqual([]);
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(ctx.tmp);
  }, 30_000);

  test("run-prepared --mds-register checks the service first and leaves the pod prepared", () => {
    using ctx = rktContext();
    const env = { RKT_MDS_SOCKET: join(ctx.tmp, "absent.sock") };
    const uuid = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", aci, "--exec=/bin/true"]).stdout.trim();
    const r = ctx.rkt(["run-prepared", "--mds-register", "--net=host", uuid], { env });
    expect(r.code).toBe(254);
    expect(r.stderr).toStartWith("rkt: could not reach the metadata service.\n");
    expect(podsIn(ctx, "prepared")).toEqual([uuid]);
  });

  test("run-prepared --mds-register registers the pod too", async () => {
    using ctx = rktContext();
    using svc = await startService(ctx);
    const uuid = ctx.rkt(["--insecure-options=image", "prepare", "--quiet", aci, "--exec=/bin/sh", "--", "-c", "wget -qO- $AC_METADATA_URL/acMetadata/v1/pod/uuid"]).stdout.trim();
    const r = ctx.rkt(["run-prepared", "--mds-register", "--net=host", uuid], { env: svc.env });
    expect(r.stdout).toBe(uuid);
    expect(r.code).toBe(0);
    // gc while the service runs (it would otherwise retry unregistering for two seconds)
    expect(ctx.rkt(["gc", "--grace-period=0s"], { env: svc.env }).code).toBe(0);
    expect(await svc.stop()).toContain(`DELETE /pods/${uuid} - 200`);
  }, 30_000);

  test("--net=none with --mds-register is refused before anything is made", () => {
    using ctx = rktContext();
    const r = ctx.rkt(["--insecure-options=image", "run", "--mds-register", "--net=none", aci]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("--mds-register flag does not work with --net=none. Please use 'host', 'default' or an equivalent network");
    expect(podsIn(ctx, "prepare")).toEqual([]);
  });

  test("socket-activated (rkt-metadata.socket): pods register through the socket systemd passed", async () => {
    if (requires("systemd-socket-activate")) return;
    using ctx = rktContext();
    using svc = await startService(ctx, { activated: true });
    const r = ctx.rkt(["--insecure-options=image", "run", "--mds-register", "--net=host", aci, "--exec=/bin/sh", "--", "-c", "wget -qO- $AC_METADATA_URL/acMetadata/v1/pod/uuid"], { env: svc.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.rkt(["gc", "--grace-period=0s"], { env: svc.env }).code).toBe(0);
    const log = await svc.stop();
    expect(log).toContain(`PUT /pods/${r.stdout}/mds-client - 200`);
    expect(log).toContain(`DELETE /pods/${r.stdout} - 200`);
    // the relay's private socket went with the service; systemd's own stays systemd's
    expect(readdirSync(dirname(svc.env.RKT_MDS_SOCKET!))).toEqual(["metadata-svc.sock"]);
  }, 30_000);

  test("appc's own ACE validator passes in a pod of its main and sidekick images (rkt_ace_validator_test)", async () => {
    if (requires("go", "appc-spec-sources", "actool")) return;
    using ctx = rktContext();
    using svc = await startService(ctx);
    // built from golang-github-appc-spec-dev's sources, as appc's ace/build_aci does (GOPATH mode, static)
    const validator = join(ctx.tmp, "ace-validator");
    const go = Bun.spawnSync(["go", "build", "-o", validator, "github.com/appc/spec/ace"], {
      env: { ...process.env, GOPATH: "/usr/share/gocode", GO111MODULE: "off", CGO_ENABLED: "0", GOCACHE: join(ctx.tmp, "go-cache") },
      stderr: "pipe",
    });
    expect(go.stderr.toString()).toBe("");
    // appc's ace/image_manifest_{main,sidekick}.json.in
    const files = { "ace-validator": { copy: validator, mode: 0o755 }, "opt/acvalidator/.keep": "" };
    const database = [{ name: "database", path: "/db", readOnly: false }];
    const main = actoolBuild(ctx.tmp, {
      name: "coreos.com/ace-validator-main",
      version: "0.7.4",
      files,
      manifest: {
        app: {
          exec: ["/ace-validator", "main"], user: "0", group: "0", workingDirectory: "/opt/acvalidator",
          eventHandlers: [{ name: "pre-start", exec: ["/ace-validator", "prestart"] }, { name: "post-stop", exec: ["/ace-validator", "poststop"] }],
          environment: [{ name: "IN_ACE_VALIDATOR", value: "correct" }],
          mountPoints: database,
          ports: [{ name: "www", protocol: "tcp", port: 80 }],
          isolators: [{ name: "resource/memory", value: { limit: "1G" } }],
        },
        annotations: [
          { name: "created", value: "2014-10-27T19:32:27.67021798Z" },
          { name: "authors", value: "Carly Container <carly@example.com>, Nat Network <nat@example.com>" },
          { name: "homepage", value: "https://github.com/appc/spec" },
          { name: "documentation", value: "https://github.com/appc/spec/blob/master/README.md" },
          { name: "lorem", value: "ipsum" },
        ],
      },
    }, join(ctx.tmp, "ace-validator-main.aci"));
    const sidekick = actoolBuild(ctx.tmp, {
      name: "coreos.com/ace-validator-sidekick",
      version: "0.7.4",
      files,
      manifest: { app: { exec: ["/ace-validator", "sidekick"], user: "0", group: "0", mountPoints: database } },
    }, join(ctx.tmp, "ace-validator-sidekick.aci"));
    const r = ctx.rkt(["--insecure-options=image", "run", "--mds-register", "--net=host", "--volume=database,kind=empty", main, sidekick], { env: svc.env });
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(["main OK", "poststop OK", "prestart OK", "sidekick OK"]);
    expect(r.code).toBe(0);
    expect(ctx.rkt(["gc", "--grace-period=0s"], { env: svc.env }).code).toBe(0);
  }, 60_000);

  test("help lists the command and its flag", () => {
    using ctx = rktContext();
    expect(ctx.rkt(["help"]).stdout).toMatch(/\n {2}metadata-service +Run metadata service\n/);
    const help = ctx.rkt(["metadata-service", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--listen-port=PORT");
    expect(help.stdout).toContain("(default 18112)");
    expect(ctx.rkt(["metadata-service", "--listen-port=x"]).code).toBe(254);
  });
});
