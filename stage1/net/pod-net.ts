// A pod's CNI networks, as rkt's stage1 set them up and its `gc` tore them down
// (networking/networking.go): a network namespace pinned under /var/run/netns, its path in
// `<pod>/netns`; per network, in order, a copy of its configuration in `<pod>/net/` and an ADD with
// interface eth<i>, recorded in `<pod>/net-info.json` before the plugin runs, so that a failed or
// killed setup is undone by the same teardown: DEL in reverse order, then the namespace. Host
// ports are forwarded to the pod's address on the first network that masquerades (else the last).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { RktError } from "../../core/errors.ts";
import { loadNetConfs, selectNets } from "../../core/network-confs.ts";
import { maskOf, netInfoFile, readNetInfo, type ForwardedPort, type NetInfo, type NetworkRequest } from "../../core/networks.ts";
import { parsePodManifest } from "../../core/schema/pod-manifest.ts";
import { execPlugin, findPlugin, pluginDirs, type CniResult } from "./cni.ts";
import { createNetns, NETNS_DIR, removeNetns } from "./netns.ts";
import { forwardPorts, unforwardPorts } from "./portfwd.ts";

/** What the apps' side of the pod needs from its networks. */
export interface PodNetwork {
  /** the pinned network namespace the pod's PID 1 starts in */
  netns: string;
  /** the host's address as the pod reaches it on its first network (the metadata service's) */
  hostIP?: string;
  /** DNS of the first network whose plugin returned any (rkt's precedence below --dns) */
  dns?: CniResult["dns"];
}

function netnsRecord(podDir: string): string {
  return join(podDir, "netns");
}

/** Whether the pod's manifest forwards ports (an unreadable one might). */
function hasPorts(podDir: string): boolean {
  try {
    return parsePodManifest(readFileSync(join(podDir, "pod"))).ports.length > 0;
  } catch {
    return true;
  }
}

/** Joins the pod in `podDir` to `requested` networks and forwards `ports`; on failure, undoes what it did and throws. */
export async function setupPodNetworks(
  podDir: string,
  uuid: string,
  requested: readonly NetworkRequest[],
  ports: readonly ForwardedPort[],
  localConfig: string | undefined,
  warn: (msg: string) => void,
): Promise<PodNetwork> {
  const nets = selectNets(loadNetConfs(localConfig, warn), requested);
  const netns = join(NETNS_DIR, `rkt-${uuid}`);
  writeFileSync(netnsRecord(podDir), netns);
  const dirs = pluginDirs(localConfig, podDir);
  const infos: NetInfo[] = [];
  const pod: PodNetwork = { netns };
  try {
    createNetns(netns);
    mkdirSync(join(podDir, "net"), { recursive: true });
    for (const [i, { conf, args }] of nets.entries()) {
      const info: NetInfo = { netName: conf.name, netConf: join(podDir, "net", basename(conf.file)), pluginPath: findPlugin(conf.type, dirs), ifName: `eth${i}`, ip: "", args: args ?? "", mask: "" };
      writeFileSync(info.netConf, conf.json);
      infos.push(info);
      writeFileSync(netInfoFile(podDir), JSON.stringify(infos));
      const r = await execPlugin({ command: "ADD", plugin: info.pluginPath, conf: conf.json, uuid, netns, ifName: info.ifName, args, path: dirs });
      if (!r?.ip) throw new RktError(`${info.pluginPath} ADD gave the pod no IPv4 address`);
      info.ip = r.ip.split("/")[0]!;
      info.mask = maskOf(r.ip);
      writeFileSync(netInfoFile(podDir), JSON.stringify(infos));
      pod.hostIP ??= r.gateway;
      if (r.dns?.nameservers?.length) pod.dns ??= r.dns;
    }
    const forwarding = infos[nets.findIndex((n) => n.conf.ipMasq)] ?? infos[infos.length - 1];
    if (forwarding) await forwardPorts(uuid, forwarding.ip, ports);
    return pod;
  } catch (e) {
    try {
      await teardownPodNetworks(podDir, uuid, localConfig);
    } catch (cleanup) {
      (e as RktError).cleanupError = cleanup;
    }
    throw new RktError(`cannot set up the pod's networks`, { cause: e });
  }
}

/**
 * Leaves every network the pod in `podDir` joined (DEL, last first) and removes its namespace. A
 * pod without networks, or one torn down already, is fine; the first failure is thrown once all
 * networks have been tried.
 */
export async function teardownPodNetworks(podDir: string, uuid: string, localConfig: string | undefined): Promise<void> {
  if (!existsSync(netnsRecord(podDir))) return;
  const netns = readFileSync(netnsRecord(podDir), "utf8").trim();
  const dirs = pluginDirs(localConfig, podDir);
  let first: unknown;
  try {
    if (hasPorts(podDir)) await unforwardPorts(uuid);
  } catch (e) {
    first = new RktError("cannot remove the pod's port forwarding", { cause: e });
  }
  for (const info of readNetInfo(podDir).reverse()) {
    try {
      // the recorded path names the pod directory where the pod ran; gc finds it moved
      const copy = join(podDir, "net", basename(info.netConf));
      await execPlugin({ command: "DEL", plugin: info.pluginPath, conf: readFileSync(copy, "utf8"), uuid, netns: existsSync(netns) ? netns : "", ifName: info.ifName, args: info.args || undefined, path: dirs });
      rmSync(copy, { force: true });
    } catch (e) {
      first ??= new RktError(`cannot remove the pod from network "${info.netName}"`, { cause: e });
    }
  }
  // only where stage1 pins namespaces: the record is a file in the pod directory, and gc runs as root
  if (netns.startsWith(`${NETNS_DIR}/`)) removeNetns(netns);
  if (first) throw first;
  rmSync(netnsRecord(podDir), { force: true });
}
