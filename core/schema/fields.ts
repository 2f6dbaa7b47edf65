// Walks decoded JSON for the manifest parsers: each check takes a value and its field path,
// returns it typed or throws a ManifestError "<path>: expected …, got …". Objects are rebuilt
// with their unknown fields kept, so a manifest prints back what it had.
// Also the composite values both manifests share: labels, annotations, string maps.
import {
  AC_IDENTIFIER_EXPECTED,
  AC_NAME_EXPECTED,
  isACIdentifier,
  isACName,
  isHttpURL,
  isImageID,
  isTimestamp,
  type Label,
  ManifestError,
  parseSemVer,
  VALID_OS_ARCH,
} from "./types.ts";

/** Path of a member: `at("app", "exec")` → "app.exec", `at("labels", 2)` → "labels[2]". */
export function at(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** A short description of a found value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}

/** `obj` with `known` fields set over it; fields set to undefined are dropped, the rest stay in place. */
export function rebuild<T>(obj: Record<string, unknown>, known: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...obj, ...known };
  for (const [k, v] of Object.entries(known)) if (v === undefined) delete out[k];
  return out as T;
}

/** Decodes JSON text or bytes; any other input is taken as already decoded. */
export function decodeJSON(input: unknown, subject: string): unknown {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) return input;
  const text = typeof input === "string" ? input : new TextDecoder().decode(input);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ManifestError(subject, "", `expected JSON, got ${(err as Error).message}`, { cause: err });
  }
}

/** The checks for one document; `subject` names it in errors ("image manifest"). */
export class Fields {
  constructor(readonly subject: string) {}

  /** Throws `<path>: <problem>`. */
  reject(path: string, problem: string): never {
    throw new ManifestError(this.subject, path, problem);
  }

  /** Throws `<path>: expected <expected>, got <found>`. */
  fail(path: string, expected: string, found: unknown): never {
    return this.reject(path, `expected ${expected}, got ${describe(found)}`);
  }

  object = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object", v);
    return v as Record<string, unknown>;
  };

  string = (v: unknown, path: string): string => {
    if (typeof v !== "string") this.fail(path, "a string", v);
    return v as string;
  };

  nonEmptyString = (v: unknown, path: string): string => {
    if (typeof v !== "string" || v === "") this.fail(path, "a non-empty string", v);
    return v as string;
  };

  bool = (v: unknown, path: string): boolean => {
    if (typeof v !== "boolean") this.fail(path, "true or false", v);
    return v as boolean;
  };

  /** An integer in [min, max]. */
  int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, v);
    }
    return v as number;
  }

  uint = (v: unknown, path: string): number => this.int(v, path, 0);

  absPath = (v: unknown, path: string): string => {
    if (typeof v !== "string" || !v.startsWith("/")) this.fail(path, "an absolute path", v);
    return v as string;
  };

  acIdentifier = (v: unknown, path: string): string => {
    if (typeof v !== "string" || !isACIdentifier(v)) this.fail(path, AC_IDENTIFIER_EXPECTED, v);
    return v as string;
  };

  acName = (v: unknown, path: string): string => {
    if (typeof v !== "string" || !isACName(v)) this.fail(path, AC_NAME_EXPECTED, v);
    return v as string;
  };

  imageID = (v: unknown, path: string): string => {
    if (typeof v !== "string" || !isImageID(v)) this.fail(path, "an image ID (sha512-<hex>)", v);
    return v as string;
  };

  /** A manifest's acKind (must be `kind`) and acVersion (SemVer, not 0.0.0). */
  kind<K extends string>(o: Record<string, unknown>, kind: K): { acKind: K; acVersion: string } {
    if (o.acKind !== kind) this.fail("acKind", JSON.stringify(kind), o.acKind);
    if (typeof o.acVersion !== "string" || !parseSemVer(o.acVersion)) this.fail("acVersion", "a SemVer version other than 0.0.0", o.acVersion);
    return { acKind: kind, acVersion: o.acVersion as string };
  }

  /** An array, each item checked by `each`. */
  list<T>(v: unknown, path: string, each: (item: unknown, path: string) => T): T[] {
    if (!Array.isArray(v)) this.fail(path, "an array", v);
    return (v as unknown[]).map((item, i) => each(item, at(path, i)));
  }

  stringList = (v: unknown, path: string): string[] => this.list(v, path, this.string);

  /** `check(v)` unless v is absent or null (Go's decoder treats null as absent). */
  optional<T>(v: unknown, path: string, check: (v: unknown, path: string) => T): T | undefined {
    return v === undefined || v === null ? undefined : check(v, path);
  }

  /** A string → string map (userAnnotations, userLabels, sysctls). */
  stringMap = (v: unknown, path: string): Record<string, string> => {
    const o = this.object(v, path);
    for (const [k, s] of Object.entries(o)) this.string(s, at(path, k));
    return { ...(o as Record<string, string>) };
  };

  /** `{name, value}` pairs with AC identifier names, each name once. */
  private pairs(v: unknown, path: string, what: string): Label[] {
    const seen = new Set<string>();
    return this.list(v, path, (item, p) => {
      const o = this.object(item, p);
      const name = this.acIdentifier(o.name, at(p, "name"));
      if (seen.has(name)) this.fail(at(p, "name"), `each ${what} name once`, name);
      seen.add(name);
      return rebuild<Label>(o, { name, value: this.string(o.value, at(p, "value")) });
    });
  }

  /** Labels: unique names, never "name", os and arch among appc's ValidOSArch. */
  labels = (v: unknown, path: string): Label[] => {
    const labels = this.pairs(v, path, "label");
    const index = (name: string) => labels.findIndex((l) => l.name === name);
    if (index("name") >= 0) this.fail(at(at(path, index("name")), "name"), 'a label name other than "name"', "name");
    const os = labels[index("os")]?.value;
    if (os === undefined) return labels;
    const archs = VALID_OS_ARCH[os];
    if (!archs) this.fail(at(at(path, index("os")), "value"), `an os of ${Object.keys(VALID_OS_ARCH).sort().join(", ")}`, os);
    const arch = labels[index("arch")]?.value;
    if (arch !== undefined && !archs.includes(arch)) {
      this.fail(at(at(path, index("arch")), "value"), `an arch for ${os} of ${archs.join(", ")}`, arch);
    }
    return labels;
  };

  /** Annotations: unique names; `created` a timestamp, `homepage`/`documentation` http(s) URLs. */
  annotations = (v: unknown, path: string): Label[] => {
    const annotations = this.pairs(v, path, "annotation");
    annotations.forEach((a, i) => {
      const p = at(at(path, i), "value");
      if (a.name === "created" && !isTimestamp(a.value)) this.fail(p, "an RFC3339 timestamp", a.value);
      if ((a.name === "homepage" || a.name === "documentation") && !isHttpURL(a.value)) this.fail(p, "an http or https URL", a.value);
    });
    return annotations;
  };
}
