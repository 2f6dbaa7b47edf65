// CNI network configurations as rkt's stage1 loads them (networking/podenv.go): the built-in
// `default` and `default-restricted` networks, then `<local-config>/net.d/*.conf` in file-name order,
// where a user's network of the same name replaces the built-in one. Each network of a pod gets its
// interface `eth<i>` in that order.
import { existsSync, readdirSync, readFileSync } from "../ffi/sync-fs.ts";
import { join } from "./posix-path.ts";
import { RktError } from "./errors.ts";
import type { NetworkRequest } from "./networks.ts";

/** A network configuration file, parsed. */
export interface NetConf {
  name: string;
  /** the plugin's file name */
  type: string;
  /** the file name it is ordered by (`NN-name.conf`) */
  file: string;
  /** the configuration as the plugin receives it on stdin */
  json: string;
  /** rkt's extra field: the network masquerades the pod's traffic (the one --port forwards through) */
  ipMasq: boolean;
}

/** rkt's stage1/net/rootfs/etc/rkt/net.d, as of v1.27. */
const BUILTIN: Record<string, object> = {
  "99-default.conf": { cniVersion: "0.1.0", name: "default", type: "ptp", ipMasq: true, ipam: { type: "host-local", subnet: "172.16.28.0/24", routes: [{ dst: "0.0.0.0/0" }] } },
  "99-default-restricted.conf": { cniVersion: "0.1.0", name: "default-restricted", type: "ptp", ipMasq: false, ipam: { type: "host-local", subnet: "172.31.0.0/16" } },
};

/** `json` (the text of `file`) as a NetConf; a file without a name or type is an error. */
export function parseNetConf(file: string, json: string): NetConf {
  let c: { name?: unknown; type?: unknown; ipMasq?: unknown };
  try {
    c = JSON.parse(json);
  } catch (e) {
    throw new RktError(`invalid network configuration "${file}": expected JSON`, { cause: e });
  }
  if (typeof c?.name !== "string" || !c.name) throw new RktError(`invalid network configuration "${file}": no "name"`);
  if (typeof c.type !== "string" || !c.type || c.type.includes("/")) throw new RktError(`invalid network configuration "${file}": "type" must name a plugin`);
  return { name: c.name, type: c.type, file, json, ipMasq: c.ipMasq === true };
}

/** The user's networks in `dir` (`*.conf`, by file name; a name given twice keeps its first file). */
function userConfs(dir: string, warn: (msg: string) => void): NetConf[] {
  if (!existsSync(dir)) return [];
  const out: NetConf[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".conf")).sort()) {
    const conf = parseNetConf(join(dir, file), readFileSync(join(dir, file), "utf8"));
    if (out.some((c) => c.name === conf.name)) warn(`network "${conf.name}" in "${join(dir, file)}" ignored: that name is already configured`);
    else out.push(conf);
  }
  return out;
}

/** Every network a pod can join: the user's from `<localConfig>/net.d`, then the built-in ones they do not replace. */
export function loadNetConfs(localConfig: string | undefined, warn: (msg: string) => void): NetConf[] {
  const user = localConfig ? userConfs(join(localConfig, "net.d"), warn) : [];
  const builtin = Object.entries(BUILTIN).map(([file, c]) => parseNetConf(file, JSON.stringify(c)));
  return [...user, ...builtin.filter((b) => !user.some((u) => u.name === b.name))];
}

/**
 * The networks `requested` names, in file-name order, each with its CNI_ARGS: `all` is every
 * configured network but default-restricted; an unknown name fails as rkt's "networks not found".
 */
export function selectNets(confs: readonly NetConf[], requested: readonly NetworkRequest[]): { conf: NetConf; args?: string }[] {
  const all = requested.some((r) => r.name === "all");
  const missing = requested.filter((r) => r.name !== "all" && !confs.some((c) => c.name === r.name)).map((r) => r.name);
  if (missing.length) throw new RktError(`networks not found: ${missing.join(", ")}`);
  return confs
    .filter((c) => (all && c.name !== "default-restricted") || requested.some((r) => r.name === c.name))
    .sort((a, b) => (basename(a.file) < basename(b.file) ? -1 : basename(a.file) > basename(b.file) ? 1 : 0))
    .map((conf) => ({ conf, args: requested.find((r) => r.name === conf.name)?.args }));
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}
