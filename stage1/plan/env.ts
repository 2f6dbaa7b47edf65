// The environment an app starts with: what stage0 put in the pod manifest (already merged with
// rkt's precedence: inherited < image < --set-env-file < --set-env < --environment), plus
// AC_APP_NAME and rkt's stage1 defaults for variables that are still unset (cli.md, run).
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
