import { describe, expect, test } from "bun:test";
import { VerificationError } from "../errors.ts";
import {
  appNameFromImageName,
  hostOSArch,
  isACIdentifier,
  isACName,
  isEnvName,
  isHttpURL,
  isImageID,
  isIPAddress,
  isTimestamp,
  ManifestError,
  parseAppString,
  parseQuantity,
  parseSemVer,
  quantityValue,
  sanitizeACName,
} from "./types.ts";

/** The message of what `fn` throws, after checking it is a ManifestError. */
function manifestErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toBeInstanceOf(VerificationError);
    return (err as Error).message;
  }
  throw new Error("expected a ManifestError, got none");
}

describe("AC identifiers and names (appc's acidentifier_test.go / acname_test.go)", () => {
  test.each([
    "asdf",
    "foo-bar-baz",
    "zab_rab_oof",
    "my~database",
    "example.com/~bob/database",
    "example.com/ourapp-1.0.0",
    "sub-domain.example.com/org/product/~alice/release-1.0.0",
    // appc checks characters and edges only, so inner runs of separators pass
    "a--b",
  ])("identifier %p is valid", (s) => expect(isACIdentifier(s)).toBe(true));

  test.each(["", "BAR", "foo#", "EXAMPLE.com", "foo.com/BAR", "/app", "app/", "-app", "app-", ".app", "app.", "_app", "app_", "~app", "app~"])(
    "identifier %p is invalid",
    (s) => expect(isACIdentifier(s)).toBe(false),
  );

  test.each(["asdf", "foo-bar-baz", "database"])("name %p is valid", (s) => expect(isACName(s)).toBe(true));

  test.each(["", "foo#", "example.com", "EXAMPLE.com", "example/database", "foo.com/BAR", "example.com/app_1", "/app", "app/", "-app", "app-", ".app", "app."])(
    "name %p is invalid",
    (s) => expect(isACName(s)).toBe(false),
  );

  test.each([
    ["foo#", "foo"],
    ["EXAMPLE.com", "example-com"],
    ["foo.com/BAR", "foo-com-bar"],
    ["example.com/app_1", "example-com-app-1"],
    ["app///", "app"],
    ["-/.app..", "app"],
    ["-/app.name-test/-/", "app-name-test"],
    ["sub-domain.example.com/org/product/release-1.0.0", "sub-domain-example-com-org-product-release-1-0-0"],
  ])("sanitizeACName(%p) = %p", (input, out) => expect(sanitizeACName(input)).toBe(out));

  test("sanitizeACName of nothing usable fails", () => {
    expect(manifestErrorOf(() => sanitizeACName(".//-"))).toBe('invalid app name: expected at least one of a-z, 0-9 in ".//-", got none');
  });

  test("app names come from the image name's last segment", () => {
    expect(appNameFromImageName("coreos.com/etcd")).toBe("etcd");
    expect(appNameFromImageName("registry-1.docker.io/library/nginx_v1.2")).toBe("nginx-v1-2");
    expect(appNameFromImageName("busybox")).toBe("busybox");
  });
});

describe("SemVer", () => {
  test("parses versions with pre-release and metadata", () => {
    expect(parseSemVer("0.8.11")).toEqual({ major: 0, minor: 8, patch: 11, preRelease: "", metadata: "" });
    expect(parseSemVer("1.2.3-alpha+git")).toEqual({ major: 1, minor: 2, patch: 3, preRelease: "alpha", metadata: "git" });
    expect(parseSemVer("1.30.0+git.abc")?.metadata).toBe("git.abc");
  });
  test.each(["1", "1.2.3.4", "v1.2.3", "", "0.0.0", "1.2.3-", "1.2.3-a..b"])("rejects %p", (s) => expect(parseSemVer(s)).toBeUndefined());
});

describe("scalars", () => {
  test("image IDs are sha512-<lowercase hex>", () => {
    expect(isImageID(`sha512-${"a".repeat(128)}`)).toBe(true);
    expect(isImageID(`sha512-${"0".repeat(64)}`)).toBe(true);
    for (const bad of ["sha512-", "sha256-abcd", "sha512-XYZ", "sha512-ab-cd", `sha512-${"a".repeat(129)}`]) expect(isImageID(bad)).toBe(false);
  });

  test("env names follow appc's Go pattern", () => {
    for (const ok of ["PATH", "_x", "a.b-c", "A1"]) expect(isEnvName(ok)).toBe(true);
    for (const bad of ["", "1A", "A B", "A=B", "-a"]) expect(isEnvName(bad)).toBe(false);
  });

  test("timestamps are RFC3339 with real dates", () => {
    for (const ok of ["2014-10-27T19:32:27.67021798Z", "2016-02-29T00:00:00+01:00", "1999-12-31T23:59:59-08:00"]) expect(isTimestamp(ok)).toBe(true);
    for (const bad of ["2014-10-27 19:32:27Z", "2014-10-27T19:32:27", "2015-02-29T00:00:00Z", "2014-13-01T00:00:00Z", "2014-10-27T24:00:00Z", "yesterday"]) {
      expect(isTimestamp(bad)).toBe(false);
    }
  });

  test("homepage URLs need http or https", () => {
    for (const ok of ["https://github.com/appc/spec", "http://example.com/a%20b", "HTTP://x"]) expect(isHttpURL(ok)).toBe(true);
    for (const bad of ["ftp://example.com", "example.com", "http://a\nb", "http://x/%zz"]) expect(isHttpURL(bad)).toBe(false);
  });

  test("hostOSArch maps node's arch names to appc's", () => {
    expect(hostOSArch("linux", "x64")).toEqual({ os: "linux", arch: "amd64" });
    expect(hostOSArch("linux", "arm64")).toEqual({ os: "linux", arch: "aarch64" });
    expect(hostOSArch("linux", "ia32")).toEqual({ os: "linux", arch: "i386" });
    expect(hostOSArch("darwin", "x64")).toEqual({ os: "darwin", arch: "x86_64" });
    expect(hostOSArch().os).toBe(process.platform);
  });
});

describe("parseAppString (appc's discovery parse_test.go)", () => {
  test.each([
    ["example.com/reduce-worker:1.0.0", { name: "example.com/reduce-worker", labels: { version: "1.0.0" } }],
    ["example.com/reduce-worker,channel=alpha,label=value", { name: "example.com/reduce-worker", labels: { channel: "alpha", label: "value" } }],
    ["example.com/app:1.2.3,special=!*'();@&+$/?#[],channel=beta", { name: "example.com/app", labels: { version: "1.2.3", special: "!*'();@&+$/?#[]", channel: "beta" } }],
    ["busybox", { name: "busybox", labels: {} }],
    ["example.com/app,os=linux,eq=a=b", { name: "example.com/app", labels: { os: "linux", eq: "a=b" } }],
  ])("%p", (input, want) => expect(parseAppString(input)).toEqual(want));

  test.each([
    ["not an app name", 'invalid app string "not an app name": expected the name to be an AC identifier'],
    ["example.com/garbage%8 939", "expected the name to be an AC identifier"],
    ["foo.com/bar,channel=alpha,dog=woof,channel=beta", 'expected "channel" once, got it twice'],
    ["example.com/app,channel=beta:1.2.3", 'expected ":" only right after the name, got it after a label'],
    ["example.com/app:3.2.1,channel=beta:1.2.3", 'expected at most one ":", got 2'],
    ["example.com/app:1:2", 'expected at most one ":", got 2'],
    ["example.com/app:1,version=2", 'expected "version" once, got it twice'],
    ["example.com/app,channel", 'expected key=value, got "channel" without a value'],
    ["example.com/app,Bad=x", 'expected a label name to be an AC identifier (lowercase a-z, 0-9 and "-._~/", alphanumeric at both ends), got "Bad"'],
    ["", 'invalid app string "": expected the name to be an AC identifier'],
  ])("%p fails", (input, message) => expect(manifestErrorOf(() => parseAppString(input))).toContain(message));
});

describe("quantities (appc's resource/quantity_test.go)", () => {
  test.each([
    ["0", 0],
    ["500m", 0.5],
    ["1", 1],
    ["1.5", 1.5],
    [".5", 0.5],
    ["1G", 1e9],
    ["1k", 1000],
    ["50k", 50000],
    ["123Mi", 123 * 2 ** 20],
    ["1Ki", 1024],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["5n", 5e-9],
    ["4u", 4e-6],
    ["2P", 2e15],
    ["1E", 1e18],
    ["1e3", 1000],
    ["1E-3", 0.001],
    ["1.3E+6", 1.3e6],
    ["100.035k", 100035],
    ["-1", -1],
    ["+2M", 2e6],
  ])("%p = %p", (input, value) => expect(parseQuantity(input)).toBeCloseTo(value, 12));

  test("JSON numbers are quantities too", () => expect(quantityValue(2.5)).toBe(2.5));

  test.each(["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", "1K", "1e", "."])("rejects %p", (s) => {
    expect(manifestErrorOf(() => parseQuantity(s))).toBe(
      `invalid quantity: expected a number with an optional suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exp>), got ${JSON.stringify(s)}`,
    );
  });
});

describe("isIPAddress", () => {
  test("IPv4 and IPv6 addresses, and what is neither", () => {
    for (const ok of ["127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"]) expect(isIPAddress(ok)).toBe(true);
    for (const bad of ["256.1.1.1", "1.2.3", "01.2.3.4", "example.com", "", ":::", "1::2::3", "[::1]", "::1/64"]) expect(isIPAddress(bad)).toBe(false);
  });
});
