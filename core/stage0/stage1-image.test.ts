import { expect, test } from "bun:test";
import { rktVersion } from "../version.ts";
import { builtinFlavor, builtinFlavorFile, builtinStage1Manifest, chooseStage1, DEFAULT_IMAGE_NAME, FLY_IMAGE_NAME } from "./stage1-image.ts";

test("at most one --stage1-* flag", () => {
  expect(chooseStage1({})).toBeUndefined();
  expect(chooseStage1({ fromDir: "stage1-fly.aci" })).toEqual({ kind: "from-dir", location: "stage1-fly.aci" });
  expect(() => chooseStage1({ path: "/a.aci", hash: "sha512-aa" })).toThrow("flags --stage1-hash and --stage1-path are mutually exclusive");
  expect(() => chooseStage1({ url: "" })).toThrow("--stage1-url needs a value");
});

test("the built-in flavors answer to rkt's names at rkt 1.30.0's version or ours, and to rkt's file names", () => {
  expect(builtinFlavor(FLY_IMAGE_NAME)).toBe(FLY_IMAGE_NAME);
  expect(builtinFlavor(FLY_IMAGE_NAME, "1.30.0")).toBe(FLY_IMAGE_NAME);
  expect(builtinFlavor(DEFAULT_IMAGE_NAME, rktVersion())).toBe(DEFAULT_IMAGE_NAME);
  expect(builtinFlavor(DEFAULT_IMAGE_NAME, "1.29.0")).toBeUndefined();
  expect(builtinFlavor("example.com/stage1", rktVersion())).toBeUndefined();
  expect(builtinFlavorFile("stage1-fly.aci")).toBe(FLY_IMAGE_NAME);
  expect(builtinFlavorFile("stage1-kvm.aci")).toBeUndefined();
});

test("the built-in manifests: rkt's entrypoint annotations, interface 6 (fly: 5)", () => {
  const m = builtinStage1Manifest(FLY_IMAGE_NAME, "9.9.9");
  expect(m.labels).toContainEqual({ name: "version", value: "9.9.9" });
  expect(m.annotations).toEqual([
    { name: "coreos.com/rkt/stage1/run", value: "/run" },
    { name: "coreos.com/rkt/stage1/enter", value: "/enter" },
    { name: "coreos.com/rkt/stage1/gc", value: "/gc" },
    { name: "coreos.com/rkt/stage1/stop", value: "/stop" },
    { name: "coreos.com/rkt/stage1/interface-version", value: "5" },
  ]);
  expect(builtinStage1Manifest(DEFAULT_IMAGE_NAME).annotations.at(-1)!.value).toBe("6");
});
