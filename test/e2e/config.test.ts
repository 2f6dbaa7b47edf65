// `rkt config` (rkt_config_test.go): the merged stage0 configuration, local over system.
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rktContext } from "../helpers/context.ts";

function put(dir: string, sub: string, name: string, body: object): void {
  mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, sub, name), JSON.stringify({ rktVersion: "v1", ...body }));
}

test("rkt config prints auth, dockerAuth, paths and stage1, local config winning per domain", () => {
  using ctx = rktContext("rkt-config");
  put(ctx.systemConfig, "auth.d", "a.json", { rktKind: "auth", domains: ["example.com", "other.org"], type: "basic", credentials: { user: "sys", password: "p" } });
  put(ctx.localConfig, "auth.d", "a.json", { rktKind: "auth", domains: ["example.com"], type: "oauth", credentials: { token: "t0k" } });
  put(ctx.localConfig, "auth.d", "d.json", { rktKind: "dockerAuth", registries: ["registry.example.com"], credentials: { user: "u", password: "p" } });
  put(ctx.localConfig, "stage1.d", "s.json", { rktKind: "stage1", name: "example.com/stage1", version: "1.0", location: "/opt/stage1.aci" });
  put(ctx.localConfig, "paths.d", "p.json", { rktKind: "paths", "stage1-images": "/opt/stage1-images" });
  const r = ctx.rkt(["config"]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    stage0: [
      { rktVersion: "v1", rktKind: "auth", domains: ["example.com"], type: "oauth", credentials: { token: "t0k" } },
      { rktVersion: "v1", rktKind: "auth", domains: ["other.org"], type: "basic", credentials: { user: "sys", password: "p" } },
      { rktVersion: "v1", rktKind: "dockerAuth", registries: ["registry.example.com"], credentials: { user: "u", password: "p" } },
      { rktVersion: "v1", rktKind: "paths", data: ctx.dir, "stage1-images": "/opt/stage1-images" },
      { rktVersion: "v1", rktKind: "stage1", name: "example.com/stage1", version: "1.0", location: "/opt/stage1.aci" },
    ],
  });
  expect(ctx.rkt(["config", "--pretty-print=false"]).stdout.trim().split("\n")).toHaveLength(1);
  put(ctx.localConfig, "auth.d", "bad.json", { rktKind: "auth", domains: ["x.org"], type: "nope", credentials: {} });
  const bad = ctx.rkt(["config"]);
  expect(bad.code).toBe(254);
  expect(bad.stderr).toContain('unknown auth type "nope"');
});
