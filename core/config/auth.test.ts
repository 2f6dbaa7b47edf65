import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorizationFor, loadAuthConfig } from "./auth.ts";

const root = mkdtempSync(join(tmpdir(), "rkt-auth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dirs = { systemConfig: join(root, "system"), localConfig: join(root, "local"), userConfig: join(root, "user") };
const put = (dir: string, name: string, body: object) => {
  mkdirSync(join(dir, "auth.d"), { recursive: true });
  writeFileSync(join(dir, "auth.d", name), JSON.stringify({ rktVersion: "v1", ...body }));
};

test("system < local < user per domain; dockerAuth per registry; headers only for https to the exact host", () => {
  put(dirs.systemConfig, "a.json", { rktKind: "auth", domains: ["a.example", "b.example"], type: "basic", credentials: { user: "s", password: "p" } });
  put(dirs.localConfig, "a.json", { rktKind: "auth", domains: ["B.example"], type: "oauth", credentials: { token: "local" } });
  put(dirs.userConfig, "d.json", { rktKind: "dockerAuth", registries: ["quay.io"], credentials: { user: "u", password: "p" } });
  symlinkSync(join(dirs.systemConfig, "auth.d", "a.json"), join(dirs.userConfig, "auth.d", "link.json"));
  const cfg = loadAuthConfig(dirs);
  expect(authorizationFor(cfg, new URL("https://a.example/x"))).toBe(`Basic ${btoa("s:p")}`);
  expect(authorizationFor(cfg, new URL("https://b.example/x"))).toBe("Bearer local");
  expect(authorizationFor(cfg, new URL("http://b.example/x"))).toBeUndefined();
  expect(authorizationFor(cfg, new URL("https://b.example:8443/x"))).toBeUndefined();
  expect(authorizationFor(cfg, new URL("https://c.example/x"))).toBeUndefined();
  expect(cfg.docker.get("quay.io")).toEqual({ user: "u", password: "p" });
  expect(loadAuthConfig({ ...dirs, userConfig: "" }).docker.size).toBe(0);
});
