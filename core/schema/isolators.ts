// appc isolators (appc.md §6, schema/types/isolator*.go): `{ name, value }` kept as the JSON had
// it, checked against each known name's rules; `isolatorValue()` gives the typed view that stage1
// enforces. Unknown names pass through untouched: the executor reports them, it does not fail.
import { at, Fields, rebuild } from "./fields.ts";
import { QUANTITY_EXPECTED, quantityValue } from "./types.ts";

/** An isolator as in the manifest; `value` is the JSON value, validated for known names. */
export interface Isolator {
  name: string;
  value: unknown;
}

type ResourceName = "resource/cpu" | "resource/memory";
type BandwidthName = "resource/block-bandwidth" | "resource/block-iops" | "resource/network-bandwidth";
type CapabilitiesName = "os/linux/capabilities-retain-set" | "os/linux/capabilities-remove-set";
type SeccompName = "os/linux/seccomp-retain-set" | "os/linux/seccomp-remove-set";

/** The typed meaning of an isolator, discriminated by `kind` (the isolator name, or "unknown"). */
export type IsolatorValue =
  /** cpu in cores ("500m" → 0.5), memory in bytes; request defaults to limit */
  | { kind: ResourceName; request: number | undefined; limit: number | undefined }
  | { kind: BandwidthName; limit: number | undefined }
  | { kind: CapabilitiesName; set: string[] }
  /** errno "" means: kill with SIGSYS */
  | { kind: SeccompName; set: string[]; errno: string }
  | { kind: "os/linux/no-new-privileges"; enabled: boolean }
  | { kind: "os/linux/oom-score-adj"; score: number }
  | { kind: "os/linux/cpu-shares"; shares: number }
  | { kind: "os/linux/selinux-context"; user: string; role: string; type: string; level: string }
  | { kind: "os/unix/sysctl"; sysctls: Record<string, string> }
  | { kind: "unknown"; name: string; value: unknown };

/** Names that may appear only once in a list (appc's multipleAllowed() = false). */
const SINGLE = new Set([
  "os/linux/seccomp-retain-set",
  "os/linux/seccomp-remove-set",
  "os/linux/oom-score-adj",
  "os/linux/cpu-shares",
  "os/linux/selinux-context",
  "os/unix/sysctl",
]);

/** Pairs that exclude each other (appc's Conflicts(), plus the capability sets as appc.md §6 says). */
const CONFLICTS: Record<string, string> = {
  "os/linux/seccomp-retain-set": "os/linux/seccomp-remove-set",
  "os/linux/seccomp-remove-set": "os/linux/seccomp-retain-set",
  "os/linux/capabilities-retain-set": "os/linux/capabilities-remove-set",
  "os/linux/capabilities-remove-set": "os/linux/capabilities-retain-set",
};

function checkQuantity(f: Fields, v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const q = typeof v === "string" || typeof v === "number" ? quantityValue(v) : undefined;
  if (q === undefined || q < 0) f.fail(path, `a non-negative ${QUANTITY_EXPECTED}`, v);
  return q;
}

function resource(f: Fields, v: unknown, path: string, defaultMustBe: boolean) {
  const o = f.object(v, path);
  const isDefault = f.optional(o.default, at(path, "default"), f.bool) ?? false;
  if (isDefault !== defaultMustBe) f.fail(at(path, "default"), String(defaultMustBe), isDefault);
  return { request: checkQuantity(f, o.request, at(path, "request")), limit: checkQuantity(f, o.limit, at(path, "limit")) };
}

function nonEmptySet(f: Fields, o: Record<string, unknown>, path: string): string[] {
  const set = f.stringList(o.set, at(path, "set"));
  if (set.length === 0) f.fail(at(path, "set"), "a non-empty array", set);
  return set;
}

function selinuxPart(f: Fields, o: Record<string, unknown>, path: string, key: string, colonAllowed: boolean): string {
  const s = f.nonEmptyString(o[key], at(path, key));
  if (!colonAllowed && s.includes(":")) f.fail(at(path, key), 'a value without ":"', s);
  return s;
}

/** Checks `value` as the isolator `name` requires; `path` is the value's field path. */
function typedValue(f: Fields, name: string, value: unknown, path: string): IsolatorValue {
  switch (name) {
    case "resource/cpu":
    case "resource/memory": {
      const { request, limit } = resource(f, value, path, false);
      return { kind: name, request: request ?? limit, limit };
    }
    case "resource/block-bandwidth":
    case "resource/block-iops":
    case "resource/network-bandwidth": {
      const o = f.object(value, path);
      if (o.request !== undefined && o.request !== null) f.fail(at(path, "request"), "no request for this resource", o.request);
      return { kind: name, limit: resource(f, o, path, true).limit };
    }
    case "os/linux/capabilities-retain-set":
    case "os/linux/capabilities-remove-set":
      return { kind: name, set: nonEmptySet(f, f.object(value, path), path) };
    case "os/linux/seccomp-retain-set":
    case "os/linux/seccomp-remove-set": {
      const o = f.object(value, path);
      const set = nonEmptySet(f, o, path);
      const errno = f.optional(o.errno, at(path, "errno"), f.string) ?? "";
      if (errno !== "" && !/^E[A-Z0-9]*$/.test(errno)) f.fail(at(path, "errno"), 'an errno name like "EPERM" or ""', errno);
      return { kind: name, set, errno };
    }
    case "os/linux/no-new-privileges":
      return { kind: name, enabled: f.bool(value, path) };
    case "os/linux/oom-score-adj":
      return { kind: name, score: f.int(value, path, -1000, 1000) };
    case "os/linux/cpu-shares":
      return { kind: name, shares: f.int(value, path, 2, 262144) };
    case "os/linux/selinux-context": {
      const o = f.object(value, path);
      const part = (key: string, colonAllowed = false) => selinuxPart(f, o, path, key, colonAllowed);
      return { kind: name, user: part("user"), role: part("role"), type: part("type"), level: part("level", true) };
    }
    case "os/unix/sysctl":
      return { kind: name, sysctls: f.stringMap(value, path) };
    default:
      return { kind: "unknown", name, value };
  }
}

/**
 * Checks an isolator list (app or pod level): names are AC identifiers, known values follow their
 * rules, single-instance isolators appear once and conflicting ones not together.
 */
export function parseIsolators(f: Fields, v: unknown, path: string): Isolator[] {
  const seen = new Set<string>();
  return f.list(v, path, (item, p) => {
    const o = f.object(item, p);
    const name = f.acIdentifier(o.name, at(p, "name"));
    typedValue(f, name, o.value, at(p, "value"));
    if (SINGLE.has(name) && seen.has(name)) f.fail(at(p, "name"), `at most one "${name}" isolator`, name);
    const conflict = CONFLICTS[name];
    if (conflict && seen.has(conflict)) f.fail(at(p, "name"), `no "${name}" together with "${conflict}"`, name);
    seen.add(name);
    return rebuild<Isolator>(o, { name, value: o.value });
  });
}

/** The typed meaning of one isolator; throws ManifestError if its value breaks the rules. */
export function isolatorValue(isolator: Isolator): IsolatorValue {
  return typedValue(new Fields(`isolator "${isolator.name}"`), isolator.name, isolator.value, "value");
}

/**
 * A `resource/cpu` or `resource/memory` isolator with request = limit = `quantity`, as rkt's
 * `--cpu` / `--memory` make them (appc's NewResource{CPU,Memory}Isolator).
 */
export function resourceIsolator(name: ResourceName, quantity: string): Isolator {
  checkQuantity(new Fields(`${name} isolator`), quantity, "");
  return { name, value: { default: false, request: quantity, limit: quantity } };
}
