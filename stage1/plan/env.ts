// The environment an app starts with: what stage0 put in the pod manifest (already merged with
// rkt's precedence: inherited < image < --set-env-file < --set-env < --environment), plus
// AC_APP_NAME, AC_METADATA_URL for a pod registered with the metadata service, and rkt's stage1
// defaults for variables that are still unset (cli.md, run).
import { RktError } from "../../core/errors.ts";
import type { EnvironmentVariable } from "../../core/schema/app.ts";

/** rkt's stage1 defaults, added only when absent. */
export const DEFAULT_ENV: readonly [string, string][] = [
  ["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  ["SHELL", "/bin/sh"],
  ["USER", "root"],
  ["LOGNAME", "root"],
  ["HOME", "/root"],
];

/** `K=V` strings for execve, in manifest order, then AC_APP_NAME, then missing defaults. */
export function appEnvironment(appName: string, env: readonly EnvironmentVariable[] = [], extra: Record<string, string> = {}): string[] {
  const vars = new Map<string, string>();
  for (const { name, value } of env) vars.set(name, value);
  vars.set("AC_APP_NAME", appName);
  for (const [k, v] of Object.entries(extra)) vars.set(k, v);
  for (const [k, v] of DEFAULT_ENV) if (!vars.has(k)) vars.set(k, v);
  return [...vars].map(([k, v]) => `${k}=${v}`);
}

/**
 * AC_METADATA_URL of a pod stage0 registered (`mdsToken`, stage1's --mds-token) as rkt's stage1 set
 * it: the host's address as the pod reaches it, with the token. Host networking reaches the host on
 * 127.0.0.1 (rkt's localhostIP), CNI networks on the host's side of the first network (`hostIP`);
 * `none` cannot reach it at all.
 */
export function metadataEnv(mdsToken: string | undefined, net: "host" | "none" | "cni", hostIP?: string): Record<string, string> {
  if (!mdsToken) return {};
  const ip = net === "host" ? "127.0.0.1" : net === "cni" ? hostIP : undefined;
  if (!ip) throw new RktError(`cannot give the apps AC_METADATA_URL: ${net === "none" ? "with --net=none" : "on its networks"} the pod cannot reach the metadata service`);
  // loaded only for registered pods
  const { metadataServiceUrl } = require("../../core/mds/endpoint.ts") as typeof import("../../core/mds/endpoint.ts");
  return { AC_METADATA_URL: metadataServiceUrl(ip, mdsToken) };
}
