import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNetConfs, parseNetConf, selectNets } from "./network-confs.ts";
import { formatNetInfo, forwardedPorts, maskOf, parseNetworks } from "./networks.ts";
import { parsePortFlag } from "./stage0/manifest.ts";

function configDir(files: Record<string, object | string>): string {
  const dir = mkdtempSync(join(tmpdir(), "rkt-netconf-"));
  mkdirSync(join(dir, "net.d"));
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, "net.d", f), typeof c === "string" ? c : JSON.stringify(c));
  return dir;
}

describe("CNI network configurations", () => {
  test("the built-in networks are rkt's", () => {
    const confs = loadNetConfs(undefined, () => {});
    expect(confs.map((c) => [c.name, c.type, c.ipMasq])).toEqual([
      ["default", "ptp", true],
      ["default-restricted", "ptp", false],
    ]);
    expect(JSON.parse(confs[0]!.json).ipam).toEqual({ type: "host-local", subnet: "172.16.28.0/24", routes: [{ dst: "0.0.0.0/0" }] });
    expect(JSON.parse(confs[1]!.json).ipam.subnet).toBe("172.31.0.0/16");
  });

  test("user networks come from net.d/*.conf; one named default replaces the built-in", () => {
    const warnings: string[] = [];
    const dir = configDir({
      "10-b.conf": { name: "b", type: "bridge" },
      "20-default.conf": { name: "default", type: "bridge", ipMasq: true },
      "30-b.conf": { name: "b", type: "ptp" },
      "notes.txt": "ignored",
    });
    const confs = loadNetConfs(dir, (w) => warnings.push(w));
    expect(confs.map((c) => [c.name, c.type])).toEqual([
      ["b", "bridge"],
      ["default", "bridge"],
      ["default-restricted", "ptp"],
    ]);
    expect(warnings).toEqual([expect.stringContaining(`network "b" in "${join(dir, "net.d", "30-b.conf")}" ignored`)]);
  });

  test("selection keeps file-name order and each network's CNI_ARGS; unknown names fail as rkt's", () => {
    const confs = loadNetConfs(configDir({ "10-z.conf": { name: "z", type: "bridge" }, "50-a.conf": { name: "a", type: "ptp" } }), () => {});
    expect(selectNets(confs, parseNetworks("default,a:IP=10.1.1.9,z")).map((s) => [s.conf.name, s.args])).toEqual([
      ["z", undefined],
      ["a", "IP=10.1.1.9"],
      ["default", undefined],
    ]);
    expect(selectNets(confs, parseNetworks("all")).map((s) => s.conf.name)).toEqual(["z", "a", "default"]);
    expect(() => selectNets(confs, parseNetworks("a,nope,gone"))).toThrow("networks not found: nope, gone");
  });

  test("a configuration without a name or a plugin type is refused", () => {
    expect(() => parseNetConf("x.conf", "{")).toThrow(/"x.conf": expected JSON/);
    expect(() => parseNetConf("x.conf", `{"type":"ptp"}`)).toThrow(/no "name"/);
    expect(() => parseNetConf("x.conf", `{"name":"n","type":"../../bin/sh"}`)).toThrow(/"type" must name a plugin/);
  });

  test("net-info: the mask as Go encodes it, the list as rkt prints it", () => {
    expect(maskOf("172.16.28.2/24")).toBe("////AA==");
    expect(maskOf("10.0.0.1/31")).toBe("/////g==");
    const n = { netConf: "", pluginPath: "", ifName: "eth0", args: "", mask: "" };
    expect(formatNetInfo([{ ...n, netName: "default", ip: "172.16.28.2" }, { ...n, netName: "b", ip: "10.1.1.9" }])).toBe("default:ip4=172.16.28.2, b:ip4=10.1.1.9");
  });
});

describe("--port", () => {
  const app = (name: string, ports: [string, number][]) => ({ name, image: { id: "" }, app: { ports: ports.map(([n, port]) => ({ name: n, protocol: "tcp", port, count: 1, socketActivated: false })) } });

  test("NAME:[HOSTIP:]HOSTPORT as rkt's portList", () => {
    expect(parsePortFlag("http:8080")).toEqual({ name: "http", hostPort: 8080 });
    expect(parsePortFlag("http:127.0.0.1:8080")).toEqual({ name: "http", hostIP: "127.0.0.1", hostPort: 8080 });
    expect(() => parsePortFlag("Http:80")).toThrow('"Http" is not a valid port name');
    expect(() => parsePortFlag("http:0")).toThrow('"0" is not a valid port number');
  });

  test("each exposed port is the one app port of its name; podPort overrides it", () => {
    const apps = [app("a", [["http", 80]]), app("b", [["dns", 53]])] as never;
    expect(forwardedPorts({ apps, ports: [{ name: "dns", hostPort: 5353, hostIP: "10.0.0.1" }] })).toEqual([{ protocol: "tcp", hostPort: 5353, hostIP: "10.0.0.1", podPort: 53 }]);
    expect(forwardedPorts({ apps, ports: [{ name: "http", hostPort: 8080, podPort: { name: "http", protocol: "udp", port: 81, count: 1, socketActivated: false } }] })).toEqual([
      { protocol: "udp", hostPort: 8080, hostIP: undefined, podPort: 81 },
    ]);
    expect(() => forwardedPorts({ apps, ports: [{ name: "ssh", hostPort: 22 }] })).toThrow('port name "ssh" is not defined by any apps');
    expect(() => forwardedPorts({ apps: [app("a", [["http", 80]]), app("b", [["http", 8080]])] as never, ports: [{ name: "http", hostPort: 80 }] })).toThrow(
      'port name "http" defined for apps "a" and "b"',
    );
  });
});
