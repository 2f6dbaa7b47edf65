import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configuredStage1ImagesDir, loadStage1Config } from "./stage1-config.ts";

const root = mkdtempSync(join(tmpdir(), "rkt-stage1-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** Fresh config dirs with the given files: `[dir, sub, file, body]`. */
function dirs(files: [("systemConfig" | "localConfig" | "userConfig"), string, string, object][]) {
  const base = join(root, String(n++));
  const d = { systemConfig: join(base, "system"), localConfig: join(base, "local"), userConfig: join(base, "user") };
  for (const [which, sub, name, body] of files) {
    mkdirSync(join(d[which], sub), { recursive: true });
    writeFileSync(join(d[which], sub, name), JSON.stringify({ rktVersion: "v1", ...body }));
  }
  return d;
}
const stage1 = (body: object) => ({ rktKind: "stage1", ...body });

test("name+version and location override separately, later directories winning", () => {
  const d = dirs([
    ["systemConfig", "stage1.d", "a.json", stage1({ name: "example.com/s1", version: "1", location: "/usr/lib/s1.aci" })],
    ["localConfig", "stage1.d", "a.json", stage1({ location: "https://example.com/s1.aci" })],
    ["userConfig", "stage1.d", "a.json", stage1({ name: "example.com/s2", version: "2" })],
  ]);
  expect(loadStage1Config(d)).toEqual({ name: "example.com/s2", version: "2", location: "https://example.com/s1.aci" });
  expect(loadStage1Config(dirs([]))).toEqual({});
});

test("rkt's validation: pairs, absolute paths or URLs of known schemes, no repeats within a directory", () => {
  const bad = (body: object, files: object[] = []) =>
    () => loadStage1Config(dirs([["localConfig", "stage1.d", "a.json", stage1(body)], ...files.map((f, i) => ["localConfig", "stage1.d", `b${i}.json`, f] as ["localConfig", string, string, object])]));
  expect(bad({ version: "1" })).toThrow("default stage1 image version specified, but name is missing");
  expect(bad({ name: "example.com/s1" })).toThrow("default stage1 image name specified, but version is missing");
  expect(bad({ location: "stage1.aci" })).toThrow("default stage1 image location is either a relative path or a URL without scheme");
  expect(bad({ location: "ftp://example.com/s1.aci" })).toThrow('default stage1 image location URL has invalid scheme "ftp", allowed schemes are "docker", "file", "http", "https"');
  expect(bad({ location: "/a.aci" }, [stage1({ location: "/b.aci" })])).toThrow("location of a default stage1 image is already specified");
  expect(bad({ name: "a.com/x", version: "1" }, [stage1({ name: "b.com/x", version: "1" })])).toThrow("name and version of a default stage1 image are already specified");
  expect(loadStage1Config(dirs([["localConfig", "stage1.d", "a.json", stage1({ location: "docker://example.com/s1" })]])).location).toBe("docker://example.com/s1");
});

test("paths.d stage1-images: the last directory that sets it; twice in one directory is an error", () => {
  const paths = (v: string) => ({ rktKind: "paths", "stage1-images": v });
  expect(configuredStage1ImagesDir(dirs([["systemConfig", "paths.d", "p.json", paths("/sys")], ["localConfig", "paths.d", "p.json", paths("/local")]]))).toBe("/local");
  expect(configuredStage1ImagesDir(dirs([["systemConfig", "paths.d", "p.json", { rktKind: "paths", data: "/var/x" }]]))).toBeUndefined();
  expect(() => configuredStage1ImagesDir(dirs([["localConfig", "paths.d", "a.json", paths("/a")], ["localConfig", "paths.d", "b.json", paths("/b")]]))).toThrow(
    "stage1 images directory is already specified",
  );
});
