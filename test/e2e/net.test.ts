// CNI networking as a user drives it (acceptance.md rkt_net*: NetDefaultConnectivity,
// NetDefaultNetNS, NetCustomPtp, NetCustomBridge, NetDefaultIPArg, NetCNIEnv, NetCNIDNS,
// NetPortFwdConnectivity, errors),
// with Debian's containernetworking-plugins as the real peers. Traffic goes only from the host to
// the pods, in the network namespaces these tests make (pods send none); custom networks keep their
// address leases in the test's directory, and each test checks that gc leaves no namespace, mount,
// link, masquerade rule or lease behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { freePort } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";
import { startPod } from "./stage1-helpers.ts";

let dir: string;
let aci: string;
let web: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-net-"));
  aci = join(dir, "busybox.aci");
  web = join(dir, "web.aci");
  await busyboxAci(aci);
  await busyboxAci(
    web,
    { name: "example.com/web", app: { exec: ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"], ports: [{ name: "http", protocol: "tcp", port: 80 }] } },
    { customize: (rootfs) => void (mkdirSync(join(rootfs, "www")), writeFileSync(join(rootfs, "www", "index.html"), "hello from the pod\n")) },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEFAULT_LEASES = "/var/lib/cni/networks/default";

function hostLinks(): string[] {
  return Bun.spawnSync(["ip", "-o", "link", "show"]).stdout.toString().split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0] ?? "").filter(Boolean).sort();
}

function natRules(): string {
  return Bun.spawnSync(["iptables", "-t", "nat", "-S"]).stdout.toString();
}

/** Runs `script` in a pod of `net` with busybox's applets at hand; returns rkt's result and the pod's UUID. */
function runOn(ctx: RktContext, net: string, script: string, extra: string[] = []) {
  const uuidFile = join(ctx.tmp, `uuid-${Math.random()}`);
  const r = ctx.rkt(["--insecure-options=image", "run", `--net=${net}`, `--uuid-file-save=${uuidFile}`, ...extra, aci, "--exec=/bin/busybox", "--", "sh", "-c", script]);
  const stderr = r.stderr.replace("rkt: warning: image signature verification has been disabled\n", "");
  return { ...r, stderr, uuid: existsSync(uuidFile) ? readFileSync(uuidFile, "utf8") : "" };
}

/** A network configuration in the context's net.d, with its leases kept in the test's directory. */
function addNet(ctx: RktContext, file: string, conf: Record<string, unknown>): void {
  mkdirSync(join(ctx.localConfig, "net.d"), { recursive: true });
  const ipam = conf.ipam as Record<string, unknown> | undefined;
  const withLeases = ipam?.type === "host-local" ? { ...conf, ipam: { ...ipam, dataDir: join(ctx.tmp, "leases") } } : conf;
  writeFileSync(join(ctx.localConfig, "net.d", file), JSON.stringify({ cniVersion: "0.1.0", ...withLeases }));
}

/** A plugin in net.d (the first place rkt looks) that records its environment and stdin, then runs `then`. */
function recordingPlugin(ctx: RktContext, name: string, then: string): string {
  const log = join(ctx.tmp, `${name}.log`);
  mkdirSync(log, { recursive: true });
  const path = join(ctx.localConfig, "net.d", name);
  writeFileSync(path, `#!/bin/sh\nenv | grep '^CNI_' | sort > ${log}/env.$CNI_COMMAND\ncat > ${log}/stdin.$CNI_COMMAND\n${then} < ${log}/stdin.$CNI_COMMAND\n`);
  chmodSync(path, 0o755);
  return log;
}

describe.skipIf(!!requires("root", "busybox", "cni-plugins", "iptables"))("rkt run with CNI networks", () => {
  test("the default network: eth0 in 172.16.28.0/24 routed through the host, shown by list and status; gc releases it all", () => {
    using ctx = rktContext();
    const links = hostLinks();
    const r = runOn(ctx, "default", "readlink /proc/self/ns/net; ip -4 -o addr show eth0; ip route");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [podNs, addr] = r.stdout.split("\n");
    expect(podNs).toMatch(/^net:\[\d+\]$/);
    expect(podNs).not.toBe(readlinkSync("/proc/self/ns/net"));
    const ip = /inet (172\.16\.28\.\d+)\/24/.exec(addr!)?.[1];
    expect(ip).toBeDefined();
    expect(r.stdout).toContain("default via 172.16.28.1 dev eth0");

    // rkt's record: the pinned namespace, the network, and what list and status print of it
    const podDir = join(ctx.dir, "pods", "run", r.uuid);
    const netns = readFileSync(join(podDir, "netns"), "utf8");
    expect(netns).toBe(`/var/run/netns/rkt-${r.uuid}`);
    const pinned = join(realpathSync("/var/run/netns"), `rkt-${r.uuid}`);
    expect(readFileSync("/proc/self/mounts", "utf8")).toContain(` ${pinned} nsfs `);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toContain(`default:ip4=${ip}`);
    expect(ctx.rkt(["status", r.uuid]).stdout).toContain(`networks=default:ip4=${ip}\n`);
    const [pod] = JSON.parse(ctx.rkt(["list", "--format=json"]).stdout);
    expect(pod.networks).toEqual([
      { netName: "default", netConf: join(podDir, "net", "99-default.conf"), pluginPath: "/usr/lib/cni/ptp", ifName: "eth0", ip, args: "", mask: "ffffff00" },
    ]);
    expect(natRules()).toContain(r.uuid); // ipMasq
    expect(existsSync(join(DEFAULT_LEASES, ip!))).toBe(true);

    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(existsSync(netns)).toBe(false);
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(pinned);
    expect(natRules()).not.toContain(r.uuid);
    expect(existsSync(join(DEFAULT_LEASES, ip!))).toBe(false);
    expect(hostLinks()).toEqual(links);
  }, 30_000);

  test("networks from the local configuration in file-name order, eth0 and eth1, with IP= from --net", () => {
    using ctx = rktContext();
    addNet(ctx, "10-rkttest-ptp.conf", { name: "rkttest-ptp", type: "ptp", ipam: { type: "host-local", subnet: "10.217.1.0/24" } });
    addNet(ctx, "20-rkttest-br.conf", { name: "rkttest-br", type: "bridge", bridge: "rkttest-br0", isGateway: true, ipam: { type: "host-local", subnet: "10.217.2.0/24" } });
    try {
      const r = runOn(ctx, "rkttest-br,rkttest-ptp:IP=10.217.1.42", "ip -4 -o addr show eth0; ip -4 -o addr show eth1");
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/eth0\s+inet 10\.217\.1\.42\/24/);
      expect(r.stdout).toMatch(/eth1\s+inet 10\.217\.2\.\d+\/24/);
      expect(Bun.spawnSync(["ip", "-4", "-o", "addr", "show", "rkttest-br0"]).stdout.toString()).toContain("inet 10.217.2.1/24"); // isGateway
      expect(ctx.rkt(["status", r.uuid]).stdout).toMatch(/networks=rkttest-ptp:ip4=10\.217\.1\.42, rkttest-br:ip4=10\.217\.2\.\d+\n/);
      expect(readdirSync(join(ctx.tmp, "leases", "rkttest-ptp"))).toContain("10.217.1.42");
      expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
      for (const net of ["rkttest-ptp", "rkttest-br"]) expect(readdirSync(join(ctx.tmp, "leases", net)).filter((f) => f.startsWith("10."))).toEqual([]);
    } finally {
      Bun.spawnSync(["ip", "link", "del", "rkttest-br0"]); // the bridge plugin leaves its bridge, as it should
    }
  }, 30_000);

  test("default-restricted: a link to the host without masquerading; a user network named default replaces rkt's", () => {
    using ctx = rktContext();
    const restricted = runOn(ctx, "default-restricted", "ip -4 -o addr show eth0");
    expect(restricted.stderr).toBe("");
    expect(restricted.stdout).toMatch(/eth0\s+inet 172\.31\.\d+\.\d+\/16/);
    expect(natRules()).not.toContain(restricted.uuid);

    addNet(ctx, "50-default.conf", { name: "default", type: "ptp", ipam: { type: "host-local", subnet: "10.217.5.0/24" } });
    const own = runOn(ctx, "default", "ip -4 -o addr show eth0");
    expect(own.stdout).toMatch(/eth0\s+inet 10\.217\.5\.\d+\/24/);
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(existsSync(`/var/run/netns/rkt-${restricted.uuid}`)).toBe(false);
    expect(readdirSync(join(ctx.tmp, "leases", "default")).filter((f) => f.startsWith("10."))).toEqual([]);
  }, 30_000);

  test("the plugin contract: rkt's CNI_* environment, the configuration on stdin, DEL at gc; the result's DNS is the pod's resolv.conf", () => {
    using ctx = rktContext();
    addNet(ctx, "10-rkttest-dns.conf", { name: "rkttest-dns", type: "rkttest-proxy", dns: { nameservers: ["10.217.3.53"], search: ["rkt.test"] }, ipam: { type: "host-local", subnet: "10.217.3.0/24" } });
    const log = recordingPlugin(ctx, "rkttest-proxy", "exec /usr/lib/cni/ptp");
    const r = runOn(ctx, "rkttest-dns:IgnoreUnknown=1;FOO=bar", "cat /etc/resolv.conf");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("# Generated by rkt from the pod's network\nnameserver 10.217.3.53\nsearch rkt.test\n");
    const env = readFileSync(join(log, "env.ADD"), "utf8");
    expect(env).toContain(`CNI_CONTAINERID=${r.uuid}\n`);
    expect(env).toContain("CNI_COMMAND=ADD\nCNI_CONTAINERID");
    expect(env).toContain(`CNI_NETNS=/var/run/netns/rkt-${r.uuid}\n`);
    expect(env).toContain("CNI_ARGS=IgnoreUnknown=1;FOO=bar\n");
    expect(env).toContain("CNI_IFNAME=eth0\n");
    expect(env).toContain(`CNI_PATH=${join(ctx.localConfig, "net.d")}:/usr/lib/rkt/plugins/net:`);
    expect(env).toContain("CNI_VERSION=0.1.0\n");
    expect(JSON.parse(readFileSync(join(log, "stdin.ADD"), "utf8")).name).toBe("rkttest-dns");
    expect(existsSync(join(log, "env.DEL"))).toBe(false);

    // --dns comes before the network's DNS, as in rkt
    const withDns = runOn(ctx, "rkttest-dns:IgnoreUnknown=1", "cat /etc/resolv.conf", ["--dns=10.217.9.9"]);
    expect(withDns.stdout).toContain("nameserver 10.217.9.9\n");
    expect(withDns.stdout).not.toContain("10.217.3.53");

    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(readFileSync(join(log, "env.DEL"), "utf8")).toContain("CNI_COMMAND=DEL\n");
    expect(readdirSync(join(ctx.tmp, "leases", "rkttest-dns")).filter((f) => f.startsWith("10."))).toEqual([]);
  }, 30_000);

  test("a plugin that fails: rkt says why, the pod does not run, and its namespace and address are released at once", () => {
    using ctx = rktContext();
    addNet(ctx, "10-rkttest-fail.conf", { name: "rkttest-fail", type: "rkttest-fail" });
    const log = recordingPlugin(ctx, "rkttest-fail", `[ "$CNI_COMMAND" = DEL ] && exit 0; echo '{"cniVersion":"0.1.0","code":11,"msg":"no addresses left","details":"range full"}'; exit 1 #`);
    const r = runOn(ctx, "rkttest-fail", "echo should not run");
    expect(r.code).toBe(254);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("cannot set up the pod's networks");
    expect(r.stderr).toContain("ADD failed: no addresses left; range full");
    expect(readFileSync(join(log, "env.DEL"), "utf8")).toContain("CNI_COMMAND=DEL\n");
    expect(existsSync(`/var/run/netns/rkt-${r.uuid}`)).toBe(false);
    expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  }, 30_000);

  test("a pod whose stage1 was killed with SIGKILL leaves its network to gc", async () => {
    using ctx = rktContext();
    const { uuid, proc } = await startPod(ctx, ["--net=default", aci, "--exec=/bin/sleep", "--", "100"], { ready: true });
    proc.kill(9);
    await proc.exited;
    await Bun.sleep(200);
    expect(existsSync(`/var/run/netns/rkt-${uuid}`)).toBe(true);
    expect(ctx.rkt(["rm", uuid]).code).toBe(0);
    expect(existsSync(`/var/run/netns/rkt-${uuid}`)).toBe(false);
    expect(natRules()).not.toContain(uuid);
  }, 30_000);

  test("--port forwards a host port to the app's port, from localhost too, with rkt's iptables chains; gc removes them; the pod answers at its address", async () => {
    using ctx = rktContext();
    const port = freePort();
    const uuidFile = join(ctx.tmp, "uuid");
    const proc = Bun.spawn(ctx.argv(["--insecure-options=image", "run", `--port=http:${port}`, `--uuid-file-save=${uuidFile}`, web]), { stdout: "ignore", stderr: "pipe" });
    try {
      let body = "";
      for (let i = 0; i < 100 && !body; i++) {
        await Bun.sleep(50);
        body = await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text(), () => "");
      }
      expect(body).toBe("hello from the pod\n");
      const uuid = readFileSync(uuidFile, "utf8");
      // and the pod itself at its address, as any host on its network reaches it
      const podIP = /default:ip4=([\d.]+)/.exec(ctx.rkt(["status", uuid]).stdout)?.[1];
      expect(await fetch(`http://${podIP}/index.html`).then((r) => r.text())).toBe("hello from the pod\n");
      const chain = `RKT-PFWD-DNAT-${uuid.slice(0, 8)}`;
      expect(natRules()).toContain(`-A ${chain} -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${podIP}:80`);
      expect(ctx.rkt(["stop", uuid]).code).toBe(0);
      await proc.exited;
      expect(ctx.rkt(["gc", "--grace-period=0s"]).code).toBe(0);
      expect(natRules()).not.toContain(uuid.slice(0, 8));
    } finally {
      proc.kill();
    }
  }, 30_000);

  test("--port errors: a port no app has, host networking, bad syntax; no pod is made", () => {
    using ctx = rktContext();
    const run = (...args: string[]) => ctx.rkt(["--insecure-options=image", "run", ...args, web]);
    expect(run("--port=nope:8080").stderr).toContain('port name "nope" is not defined by any apps');
    expect(run("--net=host", "--port=http:8080").stderr).toContain("--port flag does not work with 'host' networking");
    expect(run("--port=http").stderr).toContain('invalid --port "http": expected NAME:[HOSTIP:]HOSTPORT');
    expect(run("--port=http:1.2.3:80").stderr).toContain('"1.2.3" is not a valid IPv4 address');
    expect(run("--port=http:70000").stderr).toContain('"70000" is not a valid port number');
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  });

  test("host and none stand alone; an unknown network is refused before the pod is made", () => {
    using ctx = rktContext();
    const mixed = ctx.rkt(["--insecure-options=image", "run", "--net=host,default", aci]);
    expect(mixed.code).toBe(254);
    expect(mixed.stderr).toContain('invalid --net "host,default": host cannot be combined with other networks');
    const unknown = ctx.rkt(["--insecure-options=image", "run", "--net=default,rkttest-nope", aci]);
    expect(unknown.code).toBe(254);
    expect(unknown.stderr).toEndWith("\nrkt: networks not found: rkttest-nope\n");
    expect(ctx.rkt(["list", "--no-legend"]).stdout).toBe("");
  });
});
