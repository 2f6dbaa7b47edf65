// rkt's --net value (rkt/cli/net.go): a comma-separated list of networks, each `name[:K=V;K2=V2]`,
// with the special names host, none, all, default and default-restricted; what stage1 records of
// the CNI networks a pod joined, for `rkt list` and `rkt status`; and the host ports it forwards.
import { readFileSync } from "../ffi/sync-fs.ts";
import { RktError, UsageError } from "./errors.ts";
import type { PodManifest } from "./schema/pod-manifest.ts";

export interface NetworkRequest {
  name: string;
  /** CNI_ARGS as given after the colon */
  args?: string;
}

/** Parses a --net value (bare `--net` means `default`). */
export function parseNetworks(value: string | boolean | undefined): NetworkRequest[] {
  const s = value === undefined || value === true || value === "" ? "default" : String(value);
  const seen = new Set<string>();
  const nets = s.split(",").map((part) => {
    const colon = part.indexOf(":");
    const name = colon < 0 ? part : part.slice(0, colon);
    const args = colon < 0 ? undefined : part.slice(colon + 1);
    if (!name) throw new UsageError(`invalid --net "${s}": empty network name`);
    if (seen.has(name)) throw new UsageError(`invalid --net "${s}": network "${name}" given twice`);
    if (args !== undefined && (name === "host" || name === "all")) throw new UsageError(`invalid --net "${s}": network "${name}" takes no arguments`);
    seen.add(name);
    return { name, args };
  });
  const alone = nets.find((n) => n.name === "host" || n.name === "none");
  if (alone && nets.length > 1) throw new UsageError(`invalid --net "${s}": ${alone.name} cannot be combined with other networks`);
  return nets;
}

/** The --net value as stage1 receives it. */
export function formatNetworks(nets: readonly NetworkRequest[]): string {
  return nets.map((n) => (n.args === undefined ? n.name : `${n.name}:${n.args}`)).join(",");
}

/** rkt's check that forwarded ports have a network of the pod's own to forward to. */
export function checkPortsNetwork(mode: "host" | "none" | "cni", ports: number): void {
  if (ports > 0 && mode !== "cni") throw new UsageError(`--port flag does not work with '${mode}' networking`);
}

/** `host`, `none`, or `cni` for a list of CNI networks (parseNetworks keeps host and none alone). */
export function networkMode(nets: readonly NetworkRequest[]): "host" | "none" | "cni" {
  const first = nets[0]?.name;
  return first === "host" || first === "none" ? first : "cni";
}

/**
 * One network a pod joined, as rkt's stage1 records it in `<pod>/net-info.json`: Go's encoding of
 * its netinfo.NetInfo, so the IP as text and the mask as base64 of its bytes.
 */
export interface NetInfo {
  netName: string;
  /** the pod's copy of the network's configuration */
  netConf: string;
  pluginPath: string;
  ifName: string;
  ip: string;
  args: string;
  mask: string;
}

/** `<pod>/net-info.json`. */
export function netInfoFile(podDir: string): string {
  return `${podDir}/net-info.json`;
}

/** The networks recorded for the pod in `podDir` (none when it has no record or a broken one). */
export function readNetInfo(podDir: string): NetInfo[] {
  try {
    const v = JSON.parse(readFileSync(netInfoFile(podDir), "utf8"));
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** `rkt list`'s and `rkt status`'s rendering: `default:ip4=172.16.28.2`, comma-separated. */
export function formatNetInfo(nets: readonly NetInfo[]): string {
  return nets.map((n) => `${n.netName}:ip4=${n.ip}`).join(", ");
}

/** The netmask of `addr` ("172.16.28.2/24") as Go encodes a net.IPMask in JSON: base64 of its 4 bytes. */
export function maskOf(addr: string): string {
  const bits = Number(addr.split("/")[1] ?? 32);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return Buffer.from([mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255]).toString("base64");
}

/** A host port forwarded into the pod (rkt's networking.ForwardedPort). */
export interface ForwardedPort {
  protocol: string;
  hostPort: number;
  /** only this host address; undefined: every local address */
  hostIP?: string;
  podPort: number;
}

/**
 * The pod manifest's `ports`, each matched with the one app port of its name (rkt's
 * ForwardedPorts): a name no app defines, or two apps define, is an error.
 */
export function forwardedPorts(pod: Pick<PodManifest, "apps" | "ports">): ForwardedPort[] {
  return pod.ports.map((ep) => {
    const owners = pod.apps.flatMap((a) => (a.app?.ports ?? []).filter((p) => p.name === ep.name).map((p) => ({ app: a.name, p })));
    if (owners.length === 0) throw new RktError(`port name "${ep.name}" is not defined by any apps`);
    if (owners.length > 1) throw new RktError(`port name "${ep.name}" defined for apps "${owners[0]!.app}" and "${owners[1]!.app}"`);
    const { p } = owners[0]!;
    return { protocol: ep.podPort?.protocol ?? p.protocol, hostPort: ep.hostPort, hostIP: ep.hostIP, podPort: ep.podPort?.port ?? p.port };
  });
}
