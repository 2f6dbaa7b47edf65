import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { parseApps } from "./_apps.ts";

const POD: ArgsDef = {
  net: { type: "string" },
  volume: { type: "string" },
  mount: { type: "string" },
  "inherit-env": { type: "boolean" },
};
const REPEAT = new Set(["volume", "mount"]);

describe("parseApps (rkt's cli_apps.go)", () => {
  test("per-app flags bind to the image before them; -- and --- delimit app arguments", () => {
    const p = parseApps(["--net=host", "img1", "--exec", "/bin/sh", "--", "-c", "echo hi", "---", "img2", "--name=two", "--", "x"], POD, REPEAT);
    expect(p.pod).toEqual({ net: "host" });
    expect(p.apps).toEqual([
      { image: "img1", flags: { exec: "/bin/sh" }, args: ["-c", "echo hi"] },
      { image: "img2", flags: { name: "two" }, args: ["x"] },
    ]);
  });

  test("--mount is pod-wide before the first image and per-app after it; pod flags anywhere", () => {
    const p = parseApps(["--mount=volume=a,target=/a", "img", "--mount", "volume=b,target=/b", "--inherit-env", "--volume=v,kind=empty", "--environment=A=1", "--environment=B=2"], POD, REPEAT);
    expect(p.pod).toEqual({ mount: ["volume=a,target=/a"], "inherit-env": true, volume: ["v,kind=empty"] });
    expect(p.apps[0]!.flags).toEqual({ mount: ["volume=b,target=/b"], environment: ["A=1", "B=2"] });
  });

  test("rkt's errors", () => {
    expect(() => parseApps(["--exec=/x", "img"], POD, REPEAT)).toThrow("--exec must follow an image");
    expect(() => parseApps(["--", "a"], POD, REPEAT)).toThrow("an image is required before any app arguments");
    expect(() => parseApps(["img", "--", "a", "---", "--", "b"], POD, REPEAT)).toThrow("only one set of app arguments allowed per image");
    expect(() => parseApps(["img", "--bogus"], POD, REPEAT)).toThrow("unknown flag: --bogus");
    expect(() => parseApps(["img", "--", "a"], POD, REPEAT, false)).toThrow("app arguments unsupported");
    expect(() => parseApps(["img", "--exec"], POD, REPEAT)).toThrow("flag needs an argument: --exec");
  });

  test("a stray --- is ignored, as rkt's parseApps ignores it", () => {
    expect(parseApps(["img", "---", "other", "---"], POD, REPEAT).apps.map((a) => a.image)).toEqual(["img", "other"]);
  });

  test("app arguments may hold flags and images are not taken from them", () => {
    const p = parseApps(["img", "--", "--exec", "notanimage"], POD, REPEAT);
    expect(p.apps).toEqual([{ image: "img", flags: {}, args: ["--exec", "notanimage"] }]);
  });
});

test("flags with an optional value do not swallow the image after them", () => {
  const p = parseApps(["--net", "img"], POD, REPEAT, true, { net: "default" });
  expect(p).toEqual({ pod: { net: "default" }, apps: [{ image: "img", flags: {}, args: [] }] });
});
