// Port forwarding as rkt's networking/portfwd.go did it: no proxy process, two iptables nat chains
// per pod. Its DNAT chain, jumped to from PREROUTING and OUTPUT for local destinations, sends each
// host port to the pod's address; its SNAT chain masquerades what the host itself sends from
// 127.0.0.1, so `localhost:HOSTPORT` works (route_localnet on the host's link to the pod lets such
// packets leave loopback at all).
import { readFileSync, writeFileSync } from "node:fs";
import { RktError } from "../../core/errors.ts";
import { execCaptured } from "./exec.ts";
import type { ForwardedPort } from "../../core/networks.ts";

/** rkt's chain names: the first 8 characters of the pod's UUID. */
function chains(uuid: string): { dnat: string; snat: string } {
  const id = uuid.replaceAll("-", "").slice(0, 8);
  return { dnat: `RKT-PFWD-DNAT-${id}`, snat: `RKT-PFWD-SNAT-${id}` };
}

/** The jumps into the pod's chains, as `iptables -t nat` rule specifications. */
function jumps(uuid: string): string[][] {
  const { dnat, snat } = chains(uuid);
  return [
    ["PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat],
    ["OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat],
    ["POSTROUTING", "-s", "127.0.0.1", "!", "-d", "127.0.0.1", "-j", snat],
  ];
}

/** Runs `iptables -t nat ARGS`; whether it succeeded. */
async function iptables(args: string[], allowFailure = false): Promise<boolean> {
  const { code, stderr } = await execCaptured(["iptables", "-w", "-t", "nat", ...args]);
  if (code === 0) return true;
  if (allowFailure) return false;
  throw new RktError(`iptables -t nat ${args.join(" ")} failed: ${stderr.trim() || `exit status ${code}`}`);
}

/** The interface the host routes `ip` through (longest prefix in /proc/net/route). */
export function routeInterface(routes: string, ip: string): string | undefined {
  const addr = ip.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
  // /proc/net/route's addresses are hex in the kernel's (little-endian) byte order
  const host = (hex: string) => Buffer.from(hex, "hex").readUInt32LE(0);
  let best: { iface: string; bits: number } | undefined;
  for (const line of routes.split("\n").slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !mask) continue;
    const m = host(mask);
    const bits = m.toString(2).replaceAll("0", "").length;
    if ((addr & m) >>> 0 === host(dest) && (!best || bits > best.bits)) best = { iface, bits };
  }
  return best?.iface;
}

/** Forwards `ports` to the pod at `podIP`; undone by unforwardPorts (also when this fails halfway). */
export async function forwardPorts(uuid: string, podIP: string, ports: readonly ForwardedPort[]): Promise<void> {
  if (ports.length === 0) return;
  const { dnat, snat } = chains(uuid);
  await iptables(["-N", dnat]);
  await iptables(["-N", snat]);
  for (const p of ports) {
    await iptables(["-A", dnat, "-d", p.hostIP ?? "0.0.0.0/0", "-p", p.protocol, "--dport", String(p.hostPort), "-j", "DNAT", "--to-destination", `${podIP}:${p.podPort}`]);
    await iptables(["-A", snat, "-p", p.protocol, "-s", "127.0.0.1", "-d", podIP, "--dport", String(p.podPort), "-j", "MASQUERADE"]);
  }
  for (const [chain, ...rule] of jumps(uuid)) await iptables(["-I", chain!, "1", ...rule]);
  const link = routeInterface(readFileSync("/proc/net/route", "utf8"), podIP);
  if (link) writeFileSync(`/proc/sys/net/ipv4/conf/${link}/route_localnet`, "1");
}

/** Removes the pod's forwarding (what is not there is fine). */
export async function unforwardPorts(uuid: string): Promise<void> {
  const { dnat, snat } = chains(uuid);
  for (const [chain, ...rule] of jumps(uuid)) while (await iptables(["-D", chain!, ...rule], true));
  for (const c of [dnat, snat]) if (await iptables(["-F", c], true)) await iptables(["-X", c]);
}
