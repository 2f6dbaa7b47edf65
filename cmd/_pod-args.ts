// The pod-wide flags of run and prepare (cli.md), and their conversion, together with the per-app
// groups from cmd/_apps.ts, into the options core/stage0 takes. Shared so both commands accept
// exactly rkt's flags with rkt's semantics and conflicts.
import type { ArgsDef } from "citty";
import { parsePullPolicy } from "../core/fetch/finder.ts";
import { readGivenFile, UsageError } from "../core/errors.ts";
import { formatUidRange } from "../core/pods/uid-range.ts";
import { checkPortsNetwork, networkMode, parseNetworks } from "../core/networks.ts";
import { isolatorOverrides } from "../core/stage0/app-isolators.ts";
import { parseEnvFile, parseEnvFlags, parseMountFlag, parsePortFlag, type AppOptions } from "../core/stage0/manifest.ts";
import type { PrepareOptions } from "../core/stage0/prepare.ts";
import { chooseStage1 } from "../core/stage0/stage1-image.ts";
import type { DnsOptions } from "../core/stage0/dns.ts";
import type { RunOptions } from "../core/stage0/run.ts";
import { parseVolumeFlag } from "../core/schema/pod-manifest.ts";
import { APP_FLAGS, parseApps, type AppArgs } from "./_apps.ts";

/** Flags of both prepare and run. */
export const PREPARE_FLAGS = {
  "stage1-url": { type: "string", description: "URL to an image to use as stage1" },
  "stage1-path": { type: "string", description: "absolute or relative path to an image to use as stage1" },
  "stage1-name": { type: "string", description: "name of an image to use as stage1" },
  "stage1-hash": { type: "string", description: "hash of an image to use as stage1" },
  "stage1-from-dir": { type: "string", description: "filename of an image in stage1 images directory to use as stage1" },
  volume: { type: "string", description: "volumes to mount into the pod (NAME,kind=host|empty,…)" },
  mount: { type: "string", description: "mounts of volumes into apps: volume=NAME,target=PATH" },
  port: { type: "string", description: "ports to expose on the host (requires contained network). Syntax: --port=NAME:[HOSTIP:]HOSTPORT" },
  "inherit-env": { type: "boolean", description: "inherit all environment variables not set by apps" },
  "set-env": { type: "string", description: "an environment variable to set for apps: NAME=VALUE" },
  "set-env-file": { type: "string", description: "path to an environment variables file" },
  "no-overlay": { type: "boolean", description: "disable overlay filesystem" },
  "private-users": { type: "boolean", description: "run within user namespaces" },
  "pod-manifest": { type: "string", description: "the path to the pod manifest; if non-empty, the other flags except --net, --interactive and --mds-register are ignored" },
  "uuid-file-save": { type: "string", description: "write out pod UUID to the specified file" },
  "pull-policy": { type: "string", description: "when to pull an image: new, update or never", default: "new" },
  "store-only": { type: "boolean", description: "deprecated, use --pull-policy=never" },
  "no-store": { type: "boolean", description: "deprecated, use --pull-policy=update" },
} as const satisfies ArgsDef;

/** Runtime flags of run (and run-prepared). */
export const RUNTIME_FLAGS = {
  net: { type: "string", description: "configure the pod's networking: host, none, or networks to join (default, default-restricted, all, or names from net.d), each with optional CNI_ARGS", valueHint: "n[:args],...", default: "default" },
  dns: { type: "string", description: "name servers to write in /etc/resolv.conf (or host, none)" },
  "dns-search": { type: "string", description: "DNS search domains to write in /etc/resolv.conf" },
  "dns-opt": { type: "string", description: "DNS options to write in /etc/resolv.conf" },
  "dns-domain": { type: "string", description: "DNS domain to write in /etc/resolv.conf" },
  "hosts-entry": { type: "string", description: "entries to add to the pod-wide /etc/hosts: IP=HOSTNAME or host" },
  interactive: { type: "boolean", description: "run pod interactively; if true, only one image may be supplied" },
  "mds-register": { type: "boolean", description: "register pod with metadata service; needs network connectivity to the host" },
  hostname: { type: "string", description: "pod's hostname (default rkt-$PODUUID)" },
  ipc: { type: "string", description: "IPC namespace of the pod: auto, private or parent", default: "auto" },
} as const satisfies ArgsDef;

const REPEATABLE = new Set(["volume", "mount", "port", "set-env", "dns", "dns-search", "dns-opt", "hosts-entry"]);

type Values = Record<string, string | boolean | string[]>;
const list = (v: Values[string] | undefined): string[] => (Array.isArray(v) ? v : v === undefined || typeof v === "boolean" ? [] : [v]);
const str = (v: Values[string] | undefined): string | undefined => (typeof v === "string" ? v : undefined);

function keyValueRecord(values: string[], flag: string): Record<string, string> {
  return Object.fromEntries(parseEnvFlags(values, flag));
}

function appOptions(a: AppArgs): AppOptions {
  const f = a.flags;
  const gids = str(f["supplementary-gids"]);
  return {
    image: a.image,
    signature: str(f.signature),
    exec: str(f.exec),
    args: a.args,
    name: str(f.name),
    user: str(f.user),
    group: str(f.group),
    supplementaryGIDs: gids === undefined ? undefined : gids.split(",").map((g) => {
      if (!/^\d+$/.test(g.trim())) throw new UsageError(`invalid --supplementary-gids "${gids}": expected comma-separated numbers`);
      return Number(g);
    }),
    workingDir: str(f["working-dir"]),
    readOnlyRootFS: f["readonly-rootfs"] === true,
    environment: parseEnvFlags(list(f.environment), "environment"),
    mounts: list(f.mount).map(parseMountFlag),
    annotations: Object.entries(keyValueRecord(list(f.annotation), "annotation")).map(([name, value]) => ({ name, value })),
    userAnnotations: keyValueRecord(list(f["user-annotation"]), "user-annotation"),
    userLabels: keyValueRecord(list(f["user-label"]), "user-label"),
    isolators: isolatorOverrides({
      memory: str(f.memory), cpu: str(f.cpu), cpuShares: str(f["cpu-shares"]), oomScoreAdj: str(f["oom-score-adj"]), seccomp: str(f.seccomp),
      // --cap-retain / --cap-remove: rkt's deprecated spellings
      capsRetain: str(f["caps-retain"]) ?? str(f["cap-retain"]), capsRemove: str(f["caps-remove"]) ?? str(f["cap-remove"]),
    }),
  };
}

/** The --dns* and --hosts-entry values of run and run-prepared. */
export function dnsOptions(flags: Values): DnsOptions {
  return {
    servers: list(flags.dns),
    search: list(flags["dns-search"]),
    options: list(flags["dns-opt"]),
    domain: str(flags["dns-domain"]),
    hostsEntries: list(flags["hosts-entry"]),
  };
}

/** Parses run/prepare argv into prepare options (and, for run, runtime options). */
export function parsePodArgs(argv: readonly string[], withRuntime: boolean): { prepare: PrepareOptions; run: RunOptions; quiet: boolean } {
  const flags: ArgsDef = withRuntime ? { ...PREPARE_FLAGS, ...RUNTIME_FLAGS } : { ...PREPARE_FLAGS, quiet: { type: "boolean" } };
  const { pod, apps } = parseApps(argv, flags, REPEATABLE, true, withRuntime ? { net: "default" } : {});
  const stage1 = chooseStage1({
    url: str(pod["stage1-url"]), path: str(pod["stage1-path"]), name: str(pod["stage1-name"]), hash: str(pod["stage1-hash"]), fromDir: str(pod["stage1-from-dir"]),
  });
  // rkt's run/prepare choose the range; its module loads only with the flag
  const userns = pod["private-users"] ? (require("../core/stage0/userns.ts") as typeof import("../core/stage0/userns.ts")) : undefined;
  const privateUsers = userns?.choosePrivateUsers();
  const net = parseNetworks(str(pod.net) ?? "default");
  if (withRuntime) checkPortsNetwork(networkMode(net), list(pod.port).length);
  if (pod["mds-register"] && net.some((n) => n.name === "none")) {
    throw new UsageError("--mds-register flag does not work with --net=none. Please use 'host', 'default' or an equivalent network");
  }
  const podManifest = str(pod["pod-manifest"]);
  if (podManifest && (apps.length || pod.volume || pod.mount || pod["set-env"] || pod["set-env-file"] || pod["inherit-env"])) {
    throw new UsageError("conflicting flags set with --pod-manifest (see --help)");
  }
  if (!podManifest && apps.length === 0) throw new UsageError("must provide at least one image");
  if (pod.interactive && apps.length > 1) throw new UsageError("interactive option only supports one image");
  const envFile = str(pod["set-env-file"]);
  const pullPolicy = pod["store-only"] ? "never" : pod["no-store"] ? "update" : parsePullPolicy(str(pod["pull-policy"]) ?? "new");
  const ipc = str(pod.ipc);
  if (ipc && !["auto", "private", "parent"].includes(ipc)) throw new UsageError(`invalid --ipc "${ipc}": expected auto, private or parent`);
  return {
    quiet: pod.quiet === true,
    prepare: {
      apps: apps.map(appOptions),
      podManifest,
      volumes: list(pod.volume).map(parseVolumeFlag),
      mounts: list(pod.mount).map(parseMountFlag),
      ports: list(pod.port).map(parsePortFlag),
      setEnv: [...(envFile ? parseEnvFile(readGivenFile(envFile, "--set-env-file")) : []), ...parseEnvFlags(list(pod["set-env"]), "set-env")],
      inheritEnv: pod["inherit-env"] === true,
      noOverlay: pod["no-overlay"] === true,
      privateUsers,
      pullPolicy,
      uuidFileSave: str(pod["uuid-file-save"]),
      stage1,
    },
    run: {
      net,
      interactive: pod.interactive === true,
      hostname: str(pod.hostname),
      ipc: ipc && ipc !== "auto" ? ipc : undefined,
      privateUsers: privateUsers && formatUidRange(privateUsers),
      dns: dnsOptions(pod),
      mdsRegister: pod["mds-register"] === true,
    },
  };
}

/** Every flag run accepts, for --help. */
export const RUN_HELP_ARGS = { ...PREPARE_FLAGS, ...RUNTIME_FLAGS, ...APP_FLAGS } as const satisfies ArgsDef;
