import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authHeaders, loadAuthConfig, type AuthConfig } from "./auth.ts";

const root = mkdtempSync(join(tmpdir(), "rkt-auth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dirs = { systemConfig: join(root, "system"), localConfig: join(root, "local"), userConfig: join(root, "user") };
const authorizationFor = (cfg: AuthConfig, url: URL) => authHeaders(cfg, { method: "GET", url, headers: {} }).authorization;
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

test("aws: credentials sign requests to their domains over https, region from awsRegion or the host", () => {
  const d = { systemConfig: join(root, "aws-system"), localConfig: join(root, "aws-local"), userConfig: "" };
  const creds = { accessKeyID: "AKID", secretAccessKey: "secret" };
  put(d.localConfig, "aws.json", { rktKind: "auth", type: "aws", domains: ["bucket.s3-eu-west-1.amazonaws.com"], credentials: creds });
  put(d.localConfig, "region.json", { rktKind: "auth", type: "aws", domains: ["images.example"], credentials: { ...creds, awsRegion: "ap-south-1" } });
  const cfg = loadAuthConfig(d);
  const now = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
  const sign = (url: string) => authHeaders(cfg, { method: "GET", url: new URL(url), headers: { range: "bytes=5-" } }, now);
  const guessed = sign("https://bucket.s3-eu-west-1.amazonaws.com/a.aci");
  expect(guessed["x-amz-date"]).toBe("20200102T030405Z");
  expect(guessed.authorization).toStartWith(
    "AWS4-HMAC-SHA256 Credential=AKID/20200102/eu-west-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=",
  );
  expect(sign("https://images.example/a.aci").authorization).toContain("Credential=AKID/20200102/ap-south-1/s3/aws4_request");
  expect(sign("http://images.example/a.aci")).toEqual({});
  expect(sign("https://other.example/a.aci")).toEqual({});

  for (const [credentials, message] of [
    [{ secretAccessKey: "s" }, "no AWS Access Key ID specified"],
    [{ accessKeyID: "a" }, "no AWS Secret Access Key specified"],
    [{ ...creds, awsRegion: 1 }, `expected "awsRegion" to be a string`],
  ] as const) {
    put(d.systemConfig, "bad.json", { rktKind: "auth", type: "aws", domains: ["x.example"], credentials });
    expect(() => loadAuthConfig(d)).toThrow(message);
  }
});
