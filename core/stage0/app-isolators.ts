// The per-app isolator flags of run and prepare (rkt's cli_apps.go flag types) and how they change
// an image's isolators in the pod manifest (rkt's stage0 prepareIsolators): --memory and --cpu are
// appended (the later one wins), --cpu-shares, --oom-score-adj and --seccomp replace the image's,
// --caps-retain / --caps-remove replace both capability sets. Pure.
import { UsageError } from "../errors.ts";
import { isolatorValue, resourceIsolator, type Isolator } from "../schema/isolators.ts";

/** The flag values of one app, as given on the command line. */
export interface IsolatorFlags {
  memory?: string;
  cpu?: string;
  cpuShares?: string;
  capsRetain?: string;
  capsRemove?: string;
  seccomp?: string;
  oomScoreAdj?: string;
}

/** The isolators the flags make, checked. */
export interface IsolatorOverrides {
  memory?: Isolator;
  cpu?: Isolator;
  cpuShares?: Isolator;
  oomScoreAdj?: Isolator;
  caps?: Isolator;
  seccomp?: Isolator;
}

const CAPS = ["os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set"];
const SECCOMP = ["os/linux/seccomp-retain-set", "os/linux/seccomp-remove-set"];

/** The isolator `make` builds, if it passes appc's rules; else a UsageError naming `--flag value`. */
function checked(flag: string, value: string, make: () => Isolator): Isolator {
  try {
    const isolator = make();
    isolatorValue(isolator);
    return isolator;
  } catch (e) {
    throw new UsageError(`invalid --${flag} "${value}"`, { cause: e });
  }
}

/** A number when `value` is an integer; else the text, for appc's check to report. */
function integer(value: string): number | string {
  return /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value;
}

/**
 * Parses `--seccomp [mode=retain|remove][,errno=ENAME],syscall|@group,…` (options first, as rkt's
 * SeccompOverride reads them) into a seccomp isolator.
 */
export function seccompFlagIsolator(value: string): Isolator {
  let mode: string | undefined;
  let errno = "";
  const set: string[] = [];
  for (const item of value.split(",")) {
    const kv = /^(mode|errno)=(.*)$/.exec(item);
    if (kv && set.length === 0) {
      if (kv[1] === "mode") mode = kv[2];
      else errno = kv[2]!;
    } else if (item) set.push(item);
  }
  if (mode !== "retain" && mode !== "remove") throw new UsageError(`invalid --seccomp "${value}": mode must be "retain" or "remove"`);
  return checked("seccomp", value, () => ({ name: `os/linux/seccomp-${mode}-set`, value: errno ? { set, errno } : { set } }));
}

/** Checks the isolator flags of one app and turns them into isolators. */
export function isolatorOverrides(f: IsolatorFlags): IsolatorOverrides {
  const o: IsolatorOverrides = {};
  if (f.memory !== undefined) {
    o.memory = checked("memory", f.memory, () => resourceIsolator("resource/memory", f.memory!));
    const bytes = (isolatorValue(o.memory) as { limit: number }).limit;
    // rkt: most likely --memory=16m (milli-bytes) meant 16M
    if (bytes < 4096) throw new UsageError(`memory limit of ${bytes} bytes too low. Try a reasonable value, such as --memory=16M`);
  }
  if (f.cpu !== undefined) o.cpu = checked("cpu", f.cpu, () => resourceIsolator("resource/cpu", f.cpu!));
  if (f.cpuShares !== undefined) o.cpuShares = checked("cpu-shares", f.cpuShares, () => ({ name: "os/linux/cpu-shares", value: integer(f.cpuShares!) }));
  if (f.oomScoreAdj !== undefined) {
    o.oomScoreAdj = checked("oom-score-adj", f.oomScoreAdj, () => ({ name: "os/linux/oom-score-adj", value: integer(f.oomScoreAdj!) }));
  }
  if (f.capsRetain !== undefined && f.capsRemove !== undefined) throw new UsageError("cannot use both --caps-retain and --caps-remove on the same image");
  const caps = f.capsRetain ?? f.capsRemove;
  if (caps !== undefined) {
    const flag = f.capsRetain !== undefined ? "caps-retain" : "caps-remove";
    o.caps = checked(flag, caps, () => ({ name: CAPS[f.capsRetain !== undefined ? 0 : 1]!, value: { set: caps.split(",").filter(Boolean) } }));
  }
  if (f.seccomp !== undefined) o.seccomp = seccompFlagIsolator(f.seccomp);
  return o;
}

/** An image's app isolators with the command line's overrides applied (rkt's prepareIsolators). */
export function applyIsolatorOverrides(isolators: readonly Isolator[], o: IsolatorOverrides): Isolator[] {
  const replace = (list: Isolator[], names: readonly string[], by: Isolator | undefined) => (by ? [...list.filter((i) => !names.includes(i.name)), by] : list);
  let out = [...isolators, ...(o.memory ? [o.memory] : []), ...(o.cpu ? [o.cpu] : [])];
  out = replace(out, ["os/linux/cpu-shares"], o.cpuShares);
  out = replace(out, ["os/linux/oom-score-adj"], o.oomScoreAdj);
  out = replace(out, CAPS, o.caps);
  return replace(out, SECCOMP, o.seccomp);
}
