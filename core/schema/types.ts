// The scalar types of appc 0.8.11 (spec/types.md, schema/types/*.go, discovery/parse.go): names,
// versions, labels' os/arch, image IDs, timestamps, app strings and resource quantities.
// Where appc's prose and its Go code disagree, the code wins (as rkt ran it): AC identifiers are
// checked by allowed characters and edges only, env names may hold "." and "-".
// Every failure here is a ManifestError naming what was expected and what was found.
import { VerificationError } from "../errors.ts";

/** The appc spec version this schema implements. */
export const APPC_VERSION = "0.8.11";

/** A manifest, name or value that does not follow the appc schema. */
export class ManifestError extends VerificationError {
  /**
   * @param subject what was being read ("image manifest", `volume "x"`)
   * @param field path of the bad field inside it ("app.workingDirectory"), or "" for the whole
   * @param problem what was wrong, usually `expected …, got …`
   */
  constructor(
    readonly subject: string,
    readonly field: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid ${subject}: ${field ? `${field}: ` : ""}${problem}`, options);
  }
}

/** A label or annotation: `{ name, value }`. */
export interface Label {
  name: string;
  value: string;
}

const AC_IDENTIFIER_CHARS = /^[a-z0-9._~/-]*$/;
const AC_IDENTIFIER_EDGES = /^[-._~/]|[-._~/]$/;
const AC_NAME_CHARS = /^[a-z0-9-]*$/;
const AC_NAME_EDGES = /^-|-$/;

/**
 * An IPv4 or IPv6 address. Checked with the URL parser rather than node:net, whose load alone costs
 * `rkt run` about 2 ms.
 */
export function isIPAddress(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  if (!s.includes(":") || /[^0-9a-fA-F:.]/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Image, label, isolator and annotation names: lowercase alphanumerics and "-._~/", alphanumeric at both ends. */
export function isACIdentifier(s: string): boolean {
  return s !== "" && AC_IDENTIFIER_CHARS.test(s) && !AC_IDENTIFIER_EDGES.test(s);
}

/** App, volume, mount point and port names: lowercase alphanumerics and "-", alphanumeric at both ends. */
export function isACName(s: string): boolean {
  return s !== "" && AC_NAME_CHARS.test(s) && !AC_NAME_EDGES.test(s);
}

export const AC_IDENTIFIER_EXPECTED = 'an AC identifier (lowercase a-z, 0-9 and "-._~/", alphanumeric at both ends)';
export const AC_NAME_EXPECTED = 'an AC name (lowercase a-z, 0-9 and "-", alphanumeric at both ends)';

/** appc's SanitizeACName: lowercase, other characters → "-", dashes at the edges dropped. */
export function sanitizeACName(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "");
  if (out === "") throw new ManifestError("app name", "", `expected at least one of a-z, 0-9 in ${JSON.stringify(s)}, got none`);
  return out;
}

/** rkt's default app name for an image: its name's last path segment, sanitized. */
export function appNameFromImageName(imageName: string): string {
  return sanitizeACName(imageName.slice(imageName.lastIndexOf("/") + 1));
}

/** A parsed SemVer 2.0 version. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  preRelease: string;
  metadata: string;
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** A SemVer ("1.2.3-rc.1+build"), or undefined when `s` is not one or is 0.0.0 (appc rejects the zero version). */
export function parseSemVer(s: string): SemVer | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  const v = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), preRelease: m[4] ?? "", metadata: m[5] ?? "" };
  const zero = v.major === 0 && v.minor === 0 && v.patch === 0 && v.preRelease === "" && v.metadata === "";
  return zero ? undefined : v;
}

/** appc's ValidOSArch: the os label values and, per os, the arch label values an image may carry. */
export const VALID_OS_ARCH: Readonly<Record<string, readonly string[]>> = {
  linux: ["amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"],
  freebsd: ["amd64", "i386", "arm"],
  darwin: ["x86_64", "i386"],
};

/** Node's arch names → appc's (appc ToAppcOSArch, whose plain "arm" is armv6l); darwin calls amd64 x86_64. */
const APPC_ARCH: Record<string, string> = { x64: "amd64", ia32: "i386", arm64: "aarch64", arm: "armv6l" };

/** The host's os and arch as appc label values (rkt defaults image lookups to them). */
export function hostOSArch(platform: string = process.platform, arch: string = process.arch): { os: string; arch: string } {
  const appcArch = platform === "darwin" && arch === "x64" ? "x86_64" : (APPC_ARCH[arch] ?? arch);
  return { os: platform, arch: appcArch };
}

/** An appc Image ID: "sha512-" and lowercase hex (a full digest or rkt's shortened key). */
export function isImageID(s: string): boolean {
  return /^sha512-[0-9a-f]{1,128}$/.test(s);
}

/** Environment variable names as appc's Go code accepts them. */
export function isEnvName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z_0-9.-]*$/.test(s);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** An RFC3339 timestamp with "T", with real calendar values (as Go's time.Parse checks them). */
export function isTimestamp(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** A URL with an http or https scheme, as the homepage/documentation annotations require. */
export function isHttpURL(s: string): boolean {
  // Go's url.Parse is lenient: it refuses only control characters, spaces in the host and bad escapes.
  return /^https?:/i.test(s) && !/[\x00-\x1f\x7f]/.test(s) && !/%(?![0-9A-Fa-f]{2})/.test(s);
}

/** An image reference from the command line: name plus labels (version included). */
export interface AppString {
  name: string;
  labels: Record<string, string>;
}

/**
 * Parses "name[:version][,label=value…]" as appc's discovery.NewAppFromString: the one colon
 * must come before any comma and becomes the "version" label; each label appears once.
 */
export function parseAppString(s: string): AppString {
  const bad = (problem: string): never => {
    throw new ManifestError(`app string ${JSON.stringify(s)}`, "", problem);
  };
  const comma = s.indexOf(",");
  const colon = s.indexOf(":");
  if (colon > comma && comma > -1) bad('expected ":" only right after the name, got it after a label');
  const colons = s.split(":").length - 1;
  if (colons > 1) bad(`expected at most one ":", got ${colons}`);
  const pairs = keyValues(`name=${s.replace(":", ",version=")}`, bad);
  const name = pairs.get("name") ?? "";
  if (!isACIdentifier(name)) bad(`expected the name to be ${AC_IDENTIFIER_EXPECTED}, got ${JSON.stringify(name)}`);
  const labels: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key === "name") continue;
    if (!isACIdentifier(key)) bad(`expected a label name to be ${AC_IDENTIFIER_EXPECTED}, got ${JSON.stringify(key)}`);
    labels[key] = value;
  }
  return { name, labels };
}

/**
 * Splits "k=v,k=v" as appc's MakeQueryString + url.ParseQuery: every part needs "=", the value
 * is taken literally (it may hold "="), and a key given twice is an error.
 */
export function keyValues(s: string, bad: (problem: string) => never): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) bad(`expected key=value, got ${JSON.stringify(part)} without a value`);
    const key = part.slice(0, eq);
    if (out.has(key)) bad(`expected ${JSON.stringify(key)} once, got it twice`);
    out.set(key, part.slice(eq + 1));
  }
  return out;
}

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[+-]?\d*)$/;
const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export const QUANTITY_EXPECTED = "number with an optional suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exp>)";

/** The value of a Kubernetes-style quantity ("500m" → 0.5, "1G" → 1e9, "123Mi"), or undefined if malformed. */
export function quantityValue(s: string | number): number | undefined {
  if (typeof s === "number") return Number.isFinite(s) ? s : undefined;
  const m = QUANTITY.exec(s);
  if (!m) return undefined;
  const [, sign, int = "", frac = "", suffix = ""] = m;
  if (int === "" && frac === "") return undefined;
  const mantissa = `${sign}${int || "0"}.${frac || "0"}`;
  const dec = DECIMAL_SUFFIX[suffix] ?? (/^[eE][+-]?\d+$/.test(suffix) ? Number(suffix.slice(1)) : undefined);
  if (dec !== undefined) return Number(`${mantissa}e${dec}`);
  const bin = BINARY_SUFFIX[suffix];
  return bin === undefined ? undefined : Number(mantissa) * 2 ** bin;
}

/** Parses a quantity (used by resource isolators, `--memory` and `--cpu`); throws ManifestError when malformed. */
export function parseQuantity(s: string): number {
  const v = quantityValue(s);
  if (v === undefined) throw new ManifestError("quantity", "", `expected a ${QUANTITY_EXPECTED}, got ${JSON.stringify(s)}`);
  return v;
}
