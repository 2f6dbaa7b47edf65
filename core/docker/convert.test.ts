import { describe, expect, test } from "bun:test";
import { FetchError } from "../errors.ts";
import { appcOSArch, dockerMountPoints, dockerPorts, dockerToAppcManifest, dockerUser, sanitizeACIdentifier } from "./convert.ts";
import type { ImageConfig } from "./types.ts";

const config = (c: ImageConfig["config"], more: Partial<ImageConfig> = {}): ImageConfig => ({
  architecture: "amd64",
  os: "linux",
  config: c,
  rootfs: { type: "layers", diff_ids: [] },
  ...more,
});
const ids = { configDigest: `sha256:${"1".repeat(64)}` };

describe("docker config mapping", () => {
  test("users as docker2aci: empty is root, a lone user is also the group", () => {
    expect(dockerUser(undefined)).toEqual({ user: "0", group: "0" });
    expect(dockerUser("nobody")).toEqual({ user: "nobody", group: "nobody" });
    expect(dockerUser("1000:100")).toEqual({ user: "1000", group: "100" });
  });

  test("ports are named <port>-<proto>, default tcp, sorted; junk is refused", () => {
    expect(dockerPorts({ "8080": {}, "53/udp": {}, "443/tcp": {} }).map((p) => [p.name, p.protocol, p.port])).toEqual([
      ["443-tcp", "tcp", 443],
      ["53-udp", "udp", 53],
      ["8080", "tcp", 8080],
    ]);
    expect(() => dockerPorts({ "http/tcp": {} })).toThrow(FetchError);
  });

  test("volumes become mount points volume-<path>, repeats numbered, sorted", () => {
    expect(dockerMountPoints({ "/var/lib/x": {}, "/var/lib/x/": {}, "/data": {} })).toEqual([
      { name: "volume-data", path: "/data" },
      { name: "volume-var-lib-x", path: "/var/lib/x" },
      { name: "volume-var-lib-x-1", path: "/var/lib/x/" },
    ]);
  });

  test("names and platforms in appc terms", () => {
    expect(sanitizeACIdentifier("127.0.0.1:5000/Team/App")).toBe("127.0.0.1_5000/team/app");
    expect(appcOSArch("linux", "arm64")).toEqual({ os: "linux", arch: "aarch64" });
    expect(appcOSArch("linux", "arm", "v7")).toEqual({ os: "linux", arch: "armv7l" });
    expect(appcOSArch("linux", "386")).toEqual({ os: "linux", arch: "i386" });
    expect(() => appcOSArch("windows", "amd64")).toThrow("appc has no name for this platform");
  });

  test("an image without a container config has no app; by digest it has no version label", () => {
    const m = dockerToAppcManifest(config(null), { originalName: "busybox@sha256:x", registry: "registry-1.docker.io", repository: "library/busybox" }, ids);
    expect(m.name).toBe("registry-1.docker.io/library/busybox");
    expect(m.app).toBeUndefined();
    expect(m.labels?.map((l) => l.name)).toEqual(["arch", "os"]);
  });

  test("exec is Entrypoint then Cmd; env names appc refuses are skipped, later duplicates win", () => {
    const m = dockerToAppcManifest(
      config({ Entrypoint: ["/init"], Cmd: ["--flag"], Env: ["A=1", "BAD NAME=x", "A=2", "B="], WorkingDir: "relative" }),
      { originalName: "x", repository: "x", tag: "1" },
      ids,
    );
    expect(m.app?.exec).toEqual(["/init", "--flag"]);
    expect(m.app?.environment).toEqual([
      { name: "A", value: "2" },
      { name: "B", value: "" },
    ]);
    expect(m.app?.workingDirectory).toBeUndefined();
    expect(m.annotations?.find((a) => a.name === "appc.io/docker/registryurl")).toBeUndefined();
  });
});
