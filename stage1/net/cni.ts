// Running a CNI plugin as rkt's stage1 did (networking/net_plugin.go): the configuration on stdin,
// the CNI_* variables added to rkt's own environment, the result or error as JSON on stdout. The
// plugins are the host's (Debian's containernetworking-plugins install them in /usr/lib/cni).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { RktError } from "../../core/errors.ts";
import { execCaptured } from "./exec.ts";

/** Where a plugin is looked for, in rkt's order, then where distributions install them. */
export function pluginDirs(localConfig: string | undefined, podDir: string): string[] {
  return [
    ...(localConfig ? [join(localConfig, "net.d")] : []),
    "/usr/lib/rkt/plugins/net",
    join(podDir, "stage1", "rootfs", "usr", "lib", "rkt", "plugins", "net"),
    "/usr/lib/cni",
    "/opt/cni/bin",
  ];
}

/** The first regular file named `type` in `dirs`. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  for (const d of dirs) {
    const p = join(d, type);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  // rkt's message, with where it looked and what usually provides the standard plugins
  throw new RktError(`Could not find plugin "${type}" (looked in ${dirs.join(", ")}; the standard plugins come with containernetworking-plugins, or run with --net=host)`);
}

/** What an ADD reports that rkt uses: the pod's address on the network, its gateway, and DNS. */
export interface CniResult {
  /** address/prefix, e.g. 172.16.28.2/24 */
  ip?: string;
  gateway?: string;
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

/** An ADD result in any CNI version's shape: 0.1/0.2 `ip4`, or 0.3 and later `ips`. */
export function parseResult(stdout: string): CniResult {
  let r: { ip4?: { ip?: string; gateway?: string }; ips?: { address?: string; gateway?: string; version?: string }[]; dns?: CniResult["dns"] };
  try {
    r = JSON.parse(stdout);
  } catch (e) {
    throw new RktError("the plugin's result is not JSON", { cause: e });
  }
  const v4 = r.ips?.find((i) => i.version === "4" || (i.address ?? "").includes("."));
  return { ip: r.ip4?.ip ?? v4?.address, gateway: r.ip4?.gateway ?? v4?.gateway, dns: r.dns };
}

export interface PluginCall {
  command: "ADD" | "DEL";
  plugin: string;
  conf: string;
  uuid: string;
  netns: string;
  ifName: string;
  args?: string;
  path: readonly string[];
}

/** Runs one plugin; the parsed result for ADD. A failing plugin's `msg` and `details` become the error. */
export async function execPlugin(c: PluginCall): Promise<CniResult | undefined> {
  const env = {
    ...process.env,
    CNI_VERSION: "0.1.0",
    CNI_COMMAND: c.command,
    CNI_CONTAINERID: c.uuid,
    CNI_NETNS: c.netns,
    CNI_ARGS: c.args ?? "",
    CNI_IFNAME: c.ifName,
    CNI_PATH: c.path.join(":"),
  };
  const { code, signal, stdout: out, stderr } = await execCaptured([c.plugin], { stdin: c.conf, env });
  if (code !== 0) {
    let why = stderr.trim() || (signal ? `killed by ${signal}` : `exit status ${code}`);
    try {
      const e = JSON.parse(out) as { msg?: string; details?: string };
      if (e.msg) why = e.details ? `${e.msg}; ${e.details}` : e.msg;
    } catch {
      // not CNI's error JSON: stderr or the exit status says it
    }
    throw new RktError(`${c.plugin} ${c.command} failed: ${why}`);
  }
  return c.command === "ADD" ? parseResult(out) : undefined;
}
