// rkt's --net value (rkt/cli/net.go): a comma-separated list of networks, each `name[:K=V;K2=V2]`,
// with the special names host, none, all, default and default-restricted. Only host and none can
// run until CNI networking exists (DESIGN.md §5); the check lives here so stage0 refuses early.
import { RktError, UsageError } from "./errors.ts";

export interface NetworkRequest {
  name: string;
  /** CNI_ARGS as given after the colon */
  args?: string;
}

/** Parses a --net value (bare `--net` means `default`). */
export function parseNetworks(value: string | boolean | undefined): NetworkRequest[] {
  const s = value === undefined || value === true || value === "" ? "default" : String(value);
  const seen = new Set<string>();
  return s.split(",").map((part) => {
    const colon = part.indexOf(":");
    const name = colon < 0 ? part : part.slice(0, colon);
    const args = colon < 0 ? undefined : part.slice(colon + 1);
    if (!name) throw new UsageError(`invalid --net "${s}": empty network name`);
    if (seen.has(name)) throw new UsageError(`invalid --net "${s}": network "${name}" given twice`);
    if (args !== undefined && (name === "host" || name === "all")) throw new UsageError(`invalid --net "${s}": network "${name}" takes no arguments`);
    seen.add(name);
    return { name, args };
  });
}

/** The --net value as stage1 receives it. */
export function formatNetworks(nets: readonly NetworkRequest[]): string {
  return nets.map((n) => (n.args === undefined ? n.name : `${n.name}:${n.args}`)).join(",");
}

/** `host` or `none`; anything else fails clearly until CNI networking is implemented. */
export function supportedNetworkMode(nets: readonly NetworkRequest[]): "host" | "none" {
  const only = nets.length === 1 ? nets[0]!.name : undefined;
  if (only === "host" || only === "none") return only;
  throw new RktError(`cannot set up network "${formatNetworks(nets)}": only --net=host and --net=none are supported so far (CNI networks are not implemented yet)`);
}
