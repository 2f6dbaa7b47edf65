import { describe, expect, test } from "bun:test";
import { Fields } from "./fields.ts";
import { type Isolator, isolatorValue, parseIsolators, resourceIsolator } from "./isolators.ts";
import { ManifestError } from "./types.ts";

const parse = (list: unknown) => parseIsolators(new Fields("image manifest"), list, "app.isolators");
const one = (name: string, value: unknown) => isolatorValue(parse([{ name, value }])[0] as Isolator);

describe("isolator values (appc's isolator_test.go)", () => {
  test.each([
    ["os/linux/cpu-shares", 2048, { kind: "os/linux/cpu-shares", shares: 2048 }],
    ["os/linux/oom-score-adj", 250, { kind: "os/linux/oom-score-adj", score: 250 }],
    ["os/linux/oom-score-adj", -250, { kind: "os/linux/oom-score-adj", score: -250 }],
    ["os/linux/no-new-privileges", true, { kind: "os/linux/no-new-privileges", enabled: true }],
    ["os/linux/no-new-privileges", false, { kind: "os/linux/no-new-privileges", enabled: false }],
    ["os/linux/capabilities-retain-set", { set: ["CAP_KILL"] }, { kind: "os/linux/capabilities-retain-set", set: ["CAP_KILL"] }],
    ["os/linux/capabilities-remove-set", { set: ["CAP_PONIES"] }, { kind: "os/linux/capabilities-remove-set", set: ["CAP_PONIES"] }],
    ["os/linux/seccomp-retain-set", { set: ["@appc.io/all", "-reboot"], errno: "EPERM" }, { kind: "os/linux/seccomp-retain-set", set: ["@appc.io/all", "-reboot"], errno: "EPERM" }],
    ["os/linux/seccomp-remove-set", { set: ["reboot"] }, { kind: "os/linux/seccomp-remove-set", set: ["reboot"], errno: "" }],
    ["resource/block-bandwidth", { default: true, limit: "1G" }, { kind: "resource/block-bandwidth", limit: 1e9 }],
    ["resource/block-iops", { default: true, limit: "1G" }, { kind: "resource/block-iops", limit: 1e9 }],
    ["resource/network-bandwidth", { default: true }, { kind: "resource/network-bandwidth", limit: undefined }],
    ["resource/cpu", { request: "30m", limit: "1m" }, { kind: "resource/cpu", request: 0.03, limit: 0.001 }],
    ["resource/cpu", { limit: "500m" }, { kind: "resource/cpu", request: 0.5, limit: 0.5 }],
    ["resource/memory", { request: "1G", limit: "2Gi" }, { kind: "resource/memory", request: 1e9, limit: 2 * 2 ** 30 }],
    ["resource/memory", { limit: 1048576 }, { kind: "resource/memory", request: 1048576, limit: 1048576 }],
    ["os/unix/sysctl", { "net.ipv4.tcp_rfc1337": "1" }, { kind: "os/unix/sysctl", sysctls: { "net.ipv4.tcp_rfc1337": "1" } }],
    [
      "os/linux/selinux-context",
      { user: "user_u", role: "role_r", type: "type_r", level: "s0-s0:c0" },
      { kind: "os/linux/selinux-context", user: "user_u", role: "role_r", type: "type_r", level: "s0-s0:c0" },
    ],
    ["example.com/ponies", { any: ["thing"] }, { kind: "unknown", name: "example.com/ponies", value: { any: ["thing"] } }],
    ["resource/network-ponies", undefined, { kind: "unknown", name: "resource/network-ponies", value: undefined }],
  ])("%p %j", (name, value, typed) => expect(one(name, value)).toEqual(typed as never));

  const at = "invalid image manifest: app.isolators[0].value";
  test.each([
    ["os/linux/cpu-shares", 1, `${at}: expected an integer from 2 to 262144, got 1`],
    ["os/linux/cpu-shares", "pants", `${at}: expected an integer from 2 to 262144, got "pants"`],
    ["os/linux/cpu-shares", "262145", `${at}: expected an integer from 2 to 262144, got "262145"`],
    ["os/linux/cpu-shares", 262145, `${at}: expected an integer from 2 to 262144, got 262145`],
    ["os/linux/oom-score-adj", -2500, `${at}: expected an integer from -1000 to 1000, got -2500`],
    ["os/linux/oom-score-adj", 1.5, `${at}: expected an integer from -1000 to 1000, got 1.5`],
    ["os/linux/no-new-privileges", 123, `${at}: expected true or false, got 123`],
    ["os/linux/no-new-privileges", { set: ["CAP_KILL"] }, `${at}: expected true or false, got an object`],
    ["os/linux/capabilities-retain-set", { set: [] }, `${at}.set: expected a non-empty array, got an array`],
    ["os/linux/capabilities-retain-set", { set: "CAP_PONIES" }, `${at}.set: expected an array, got "CAP_PONIES"`],
    ["os/linux/capabilities-remove-set", { set: [1] }, `${at}.set[0]: expected a string, got 1`],
    ["os/linux/capabilities-remove-set", undefined, `${at}: expected an object, got nothing`],
    ["os/linux/seccomp-retain-set", { set: [] }, `${at}.set: expected a non-empty array, got an array`],
    ["os/linux/seccomp-retain-set", { set: ["reboot"], errno: "eperm" }, `${at}.errno: expected an errno name like "EPERM" or "", got "eperm"`],
    ["os/linux/seccomp-remove-set", { set: ["reboot"], errno: "EPERM!" }, `${at}.errno: expected an errno name like "EPERM" or "", got "EPERM!"`],
    ["resource/block-bandwidth", { default: false, limit: "1G" }, `${at}.default: expected true, got false`],
    ["resource/block-bandwidth", { request: "30G", limit: "1G" }, `${at}.request: expected no request for this resource, got "30G"`],
    ["resource/block-iops", { default: false, limit: "1G" }, `${at}.default: expected true, got false`],
    ["resource/network-bandwidth", { default: true, request: "30G" }, `${at}.request: expected no request for this resource, got "30G"`],
    ["resource/memory", { default: true, request: "1G", limit: "2G" }, `${at}.default: expected false, got true`],
    ["resource/memory", { limit: "lots" }, `${at}.limit: expected a non-negative number with an optional suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exp>), got "lots"`],
    ["resource/cpu", { limit: "-1" }, `${at}.limit: expected a non-negative number with an optional suffix`],
    ["resource/cpu", { request: true }, `${at}.request: expected a non-negative number with an optional suffix`],
    ["resource/cpu", "1", `${at}: expected an object, got "1"`],
    ["os/unix/sysctl", { "net.ipv4.tcp_rfc1337": 1 }, `${at}.net.ipv4.tcp_rfc1337: expected a string, got 1`],
    ["os/unix/sysctl", ["net.ipv4.tcp_rfc1337"], `${at}: expected an object, got an array`],
    ["os/linux/selinux-context", { user: "user_u", role: "role_r:type_t", type: "type_r", level: "s0-s0" }, `${at}.role: expected a value without ":", got "role_r:type_t"`],
    ["os/linux/selinux-context", { user: "user_u", role: "", type: "type_r", level: "s0-s0" }, `${at}.role: expected a non-empty string, got ""`],
    ["os/linux/selinux-context", { user: "user_u", role: "r", type: "t" }, `${at}.level: expected a non-empty string, got nothing`],
  ])("%p %j fails", (name, value, message) => expect(() => parse([{ name, value }])).toThrow(message));
});

describe("isolator lists", () => {
  test("names must be AC identifiers", () => {
    expect(() => parse([{ name: "Bad Name", value: 1 }])).toThrow(
      'invalid image manifest: app.isolators[0].name: expected an AC identifier (lowercase a-z, 0-9 and "-._~/", alphanumeric at both ends), got "Bad Name"',
    );
    expect(() => parse({})).toThrow("invalid image manifest: app.isolators: expected an array, got an object");
  });

  test("single-instance isolators appear once; others may repeat", () => {
    expect(() => parse([{ name: "os/linux/cpu-shares", value: 2 }, { name: "os/linux/cpu-shares", value: 3 }])).toThrow(
      'invalid image manifest: app.isolators[1].name: expected at most one "os/linux/cpu-shares" isolator, got "os/linux/cpu-shares"',
    );
    const caps = [
      { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_KILL"] } },
      { name: "os/linux/capabilities-retain-set", value: { set: ["CAP_CHOWN"] } },
      { name: "resource/memory", value: { limit: "1G" } },
      { name: "resource/memory", value: { limit: "2G" } },
    ];
    expect(parse(caps)).toHaveLength(4);
  });

  test.each([
    ["os/linux/seccomp-retain-set", "os/linux/seccomp-remove-set"],
    ["os/linux/capabilities-remove-set", "os/linux/capabilities-retain-set"],
  ])("%p and %p exclude each other", (first, second) => {
    expect(() => parse([{ name: first, value: { set: ["x"] } }, { name: second, value: { set: ["y"] } }])).toThrow(
      `invalid image manifest: app.isolators[1].name: expected no "${second}" together with "${first}", got "${second}"`,
    );
  });

  test("values are kept as the JSON had them, unknown fields included", () => {
    const list = [
      { name: "resource/memory", value: { limit: "1G", comment: "kept" }, extra: 1 },
      { name: "vendor.example/x", value: [1, 2] },
    ];
    expect(parse(list)).toEqual(list);
  });

  test("isolatorValue rejects a hand-made bad isolator", () => {
    expect(() => isolatorValue({ name: "os/linux/oom-score-adj", value: 5000 })).toThrow(
      new ManifestError('isolator "os/linux/oom-score-adj"', "value", "expected an integer from -1000 to 1000, got 5000"),
    );
  });
});

describe("resourceIsolator (--memory / --cpu)", () => {
  test("sets request and limit to the quantity as given", () => {
    const iso = resourceIsolator("resource/memory", "512Mi");
    expect(iso).toEqual({ name: "resource/memory", value: { default: false, request: "512Mi", limit: "512Mi" } });
    expect(isolatorValue(iso)).toEqual({ kind: "resource/memory", request: 512 * 2 ** 20, limit: 512 * 2 ** 20 });
    expect(isolatorValue(resourceIsolator("resource/cpu", "250m"))).toEqual({ kind: "resource/cpu", request: 0.25, limit: 0.25 });
  });

  test("rejects a bad quantity", () => {
    expect(() => resourceIsolator("resource/memory", "1 GB")).toThrow(
      'invalid resource/memory isolator: expected a non-negative number with an optional suffix (m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exp>), got "1 GB"',
    );
  });
});
