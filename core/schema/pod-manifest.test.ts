import { describe, expect, test } from "bun:test";
import { parsePodManifest, parseVolumeFlag, serializePodManifest } from "./pod-manifest.ts";

const ID = `sha512-${"c0ffee".repeat(10)}abcd`;

/** A pod manifest as rkt's stage0 writes one, to break one field at a time. */
function base(): Record<string, any> {
  return {
    acVersion: "1.30.0",
    acKind: "PodManifest",
    apps: [
      {
        name: "main",
        image: { name: "coreos.com/ace-validator-main", id: ID, labels: [{ name: "version", value: "0.8.11" }] },
        app: { exec: ["/ace-validator", "main"], user: "0", group: "0", mountPoints: [{ name: "database", path: "/db" }] },
        mounts: [{ volume: "database", path: "/db" }],
        annotations: [{ name: "coreos.com/rkt/stage1/mutable", value: "false" }],
      },
    ],
    volumes: [{ name: "database", kind: "empty" }],
    isolators: [],
    annotations: [{ name: "coreos.com/rkt/stage1/mutable", value: "false" }],
    ports: [],
  };
}

describe("valid pod manifests", () => {
  test("stage0's manifest parses, empty volumes get appc's defaults", () => {
    const m = parsePodManifest(JSON.stringify(base()));
    expect(m.apps[0]?.image.id).toBe(ID);
    expect(m.volumes).toEqual([{ name: "database", kind: "empty", mode: "0755", uid: 0, gid: 0 }]);
  });

  test("lists default to empty; ports, host volumes, inline app volumes, pod isolators", () => {
    const m = parsePodManifest({
      acVersion: "0.8.11",
      acKind: "PodManifest",
      apps: [
        {
          name: "web",
          image: { id: ID },
          readOnlyRootFS: true,
          mounts: [{ volume: "logs", path: "/var/log", appVolume: { name: "logs", kind: "host", source: "/srv/logs", readOnly: true, recursive: false } }],
        },
      ],
      volumes: [{ name: "data", kind: "host", source: "/srv/data", recursive: true }],
      isolators: [{ name: "os/unix/sysctl", value: { "net.ipv4.ip_forward": "0" } }],
      ports: [
        { name: "www", hostPort: 8080, hostIP: "127.0.0.1" },
        { name: "alt", hostPort: 8443, hostIP: "::1", podPort: { name: "alt", protocol: "tcp", port: 443 } },
      ],
      userAnnotations: { owner: "me" },
      userLabels: { tier: "web" },
    });
    expect(m.annotations).toEqual([]);
    expect(m.apps[0]?.mounts?.[0]?.appVolume?.source).toBe("/srv/logs");
    expect(m.ports[1]?.podPort).toEqual({ name: "alt", protocol: "tcp", port: 443, count: 1, socketActivated: false });
    const bare = parsePodManifest({ acVersion: "0.8.11", acKind: "PodManifest", apps: [] });
    expect([bare.volumes, bare.isolators, bare.annotations, bare.ports]).toEqual([[], [], [], []]);
  });

  test("unknown fields survive a round trip; pretty output uses tabs", () => {
    const m = base();
    m.stage1Extra = { x: 1 };
    m.apps[0].image.digest = "kept";
    m.apps[0].appExtra = [1];
    m.volumes[0].comment = "kept too";
    const text = serializePodManifest(parsePodManifest(m));
    const back = JSON.parse(text);
    expect(back.stage1Extra).toEqual({ x: 1 });
    expect(back.apps[0].image.digest).toBe("kept");
    expect(back.apps[0].appExtra).toEqual([1]);
    expect(back.volumes[0]).toEqual({ name: "database", kind: "empty", comment: "kept too", mode: "0755", uid: 0, gid: 0 });
    expect(parsePodManifest(text)).toEqual(parsePodManifest(m));
    expect(serializePodManifest(parsePodManifest(m), true)).toContain('\n\t"acKind": "PodManifest"');
  });
});

describe("invalid pod manifests", () => {
  const cases: [string, (m: Record<string, any>) => unknown, string][] = [
    ["wrong kind", (m) => (m.acKind = "ImageManifest"), 'acKind: expected "PodManifest", got "ImageManifest"'],
    ["no version", (m) => delete m.acVersion, "acVersion: expected a SemVer version other than 0.0.0, got nothing"],
    ["no apps", (m) => delete m.apps, "apps: expected an array, got nothing"],
    ["app name", (m) => (m.apps[0].name = "Main"), 'apps[0].name: expected an AC name (lowercase a-z, 0-9 and "-", alphanumeric at both ends), got "Main"'],
    ["duplicate app", (m) => m.apps.push(structuredClone(m.apps[0])), 'apps[1].name: expected each app name once, got "main"'],
    ["no image", (m) => delete m.apps[0].image, "apps[0].image: expected an object, got nothing"],
    ["image id", (m) => (m.apps[0].image.id = "sha512-XYZ"), 'apps[0].image.id: expected an image ID (sha512-<hex>), got "sha512-XYZ"'],
    ["image id missing", (m) => delete m.apps[0].image.id, "apps[0].image.id: expected an image ID (sha512-<hex>), got nothing"],
    ["image name", (m) => (m.apps[0].image.name = "/abs"), 'apps[0].image.name: expected an AC identifier'],
    ["image labels", (m) => m.apps[0].image.labels.push({ name: "version", value: "2" }), 'apps[0].image.labels[1].name: expected each label name once, got "version"'],
    ["app override", (m) => delete m.apps[0].app.user, "apps[0].app.user: expected a non-empty string, got nothing"],
    ["readOnlyRootFS", (m) => (m.apps[0].readOnlyRootFS = "true"), 'apps[0].readOnlyRootFS: expected true or false, got "true"'],
    ["mount volume", (m) => (m.apps[0].mounts = [{ path: "/db" }]), "apps[0].mounts[0].volume: expected an AC name"],
    ["mount path", (m) => (m.apps[0].mounts = [{ volume: "database" }]), "apps[0].mounts[0].path: expected a non-empty string, got nothing"],
    ["app volume", (m) => (m.apps[0].mounts[0].appVolume = { name: "x", kind: "host", source: "rel" }), 'apps[0].mounts[0].appVolume.source: expected an absolute path, got "rel"'],
    ["app annotations", (m) => (m.apps[0].annotations = [{ name: "created", value: "2014" }]), 'apps[0].annotations[0].value: expected an RFC3339 timestamp, got "2014"'],
    ["volume kind", (m) => (m.volumes[0].kind = "tmpfs"), 'volumes[0].kind: expected "host" or "empty", got "tmpfs"'],
    ["volume name", (m) => (m.volumes[0].name = "my_db"), 'volumes[0].name: expected an AC name'],
    ["duplicate volume", (m) => m.volumes.push({ name: "database", kind: "host", source: "/x" }), 'volumes[1].name: expected each volume name once, got "database"'],
    ["host without source", (m) => (m.volumes[0] = { name: "d", kind: "host" }), "volumes[0].source: expected an absolute path, got nothing"],
    ["host relative source", (m) => (m.volumes[0] = { name: "d", kind: "host", source: "srv" }), 'volumes[0].source: expected an absolute path, got "srv"'],
    ["host with mode", (m) => (m.volumes[0] = { name: "d", kind: "host", source: "/srv", mode: "0700" }), 'volumes[0].mode: expected no mode for a host volume, got "0700"'],
    ["host with uid", (m) => (m.volumes[0] = { name: "d", kind: "host", source: "/srv", uid: 0 }), "volumes[0].uid: expected no uid for a host volume, got 0"],
    ["host with gid", (m) => (m.volumes[0] = { name: "d", kind: "host", source: "/srv", gid: 5 }), "volumes[0].gid: expected no gid for a host volume, got 5"],
    ["empty with source", (m) => (m.volumes[0].source = "/srv"), 'volumes[0].source: expected no source for an empty volume, got "/srv"'],
    ["empty bad mode", (m) => (m.volumes[0].mode = "rwx"), 'volumes[0].mode: expected an octal mode like "0755", got "rwx"'],
    ["empty bad uid", (m) => (m.volumes[0].uid = -1), "volumes[0].uid: expected an integer >= 0, got -1"],
    ["readOnly", (m) => (m.volumes[0].readOnly = 0), "volumes[0].readOnly: expected true or false, got 0"],
    ["pod isolators", (m) => (m.isolators = [{ name: "os/unix/sysctl", value: { a: 1 } }]), "isolators[0].value.a: expected a string, got 1"],
    ["pod annotations", (m) => (m.annotations = [{ name: "Bad", value: "" }]), 'annotations[0].name: expected an AC identifier'],
    ["port name", (m) => (m.ports = [{ name: "web_1", hostPort: 80 }]), 'ports[0].name: expected an AC name'],
    ["host port", (m) => (m.ports = [{ name: "web", hostPort: 0 }]), "ports[0].hostPort: expected an integer from 1 to 65535, got 0"],
    ["host ip", (m) => (m.ports = [{ name: "web", hostPort: 80, hostIP: "localhost" }]), 'ports[0].hostIP: expected an IP address, got "localhost"'],
    ["pod port", (m) => (m.ports = [{ name: "web", hostPort: 80, podPort: { name: "web", protocol: "tcp", port: 0 } }]), "ports[0].podPort.port: expected an integer from 1 to 65535, got 0"],
    ["user labels", (m) => (m.userLabels = { a: null }), "userLabels.a: expected a string, got null"],
  ];

  test.each(cases)("%s", (_, mutate, message) => {
    const m = base();
    mutate(m);
    expect(() => parsePodManifest(m)).toThrow(`invalid pod manifest: ${message}`);
  });
});

describe("parseVolumeFlag (rkt --volume)", () => {
  test.each([
    ["data,kind=host,source=/tmp", { name: "data", kind: "host", source: "/tmp" }],
    ["data,kind=host,source=/tmp/a=b,readOnly=true,recursive=F", { name: "data", kind: "host", source: "/tmp/a=b", readOnly: true, recursive: false }],
    ["data,kind=empty", { name: "data", kind: "empty", mode: "0755", uid: 0, gid: 0 }],
    ["data,kind=empty,mode=0700,uid=1000,gid=100,readOnly=1", { name: "data", kind: "empty", mode: "0700", uid: 1000, gid: 100, readOnly: true }],
  ])("%p", (flag, volume) => expect(parseVolumeFlag(flag)).toEqual(volume as never));

  test.each([
    ["data", 'kind: expected "host" or "empty", got nothing'],
    ["data,kind=host", "source: expected an absolute path, got nothing"],
    ["data,kind=host,source=tmp", 'source: expected an absolute path, got "tmp"'],
    ["data,kind=host,source=/tmp,mode=0755", 'mode: expected no mode for a host volume, got "0755"'],
    ["data,kind=empty,source=/tmp", 'source: expected no source for an empty volume, got "/tmp"'],
    ["data,kind=host,source=/tmp,readOnly=maybe", 'readOnly: expected true or false, got "maybe"'],
    ["data,kind=empty,uid=abc", 'uid: expected an integer, got "abc"'],
    ["data,kind=empty,gid=-5", "gid: expected an integer >= 0, got -5"],
    ["data,kind=host,source=/tmp,foo=bar", 'expected a parameter among kind, source, readOnly, recursive, mode, uid, gid, got "foo"'],
    ["data,kind=host,kind=empty", 'expected "kind" once, got it twice'],
    ["data,kind=empty,name=x", 'expected "name" once, got it twice'],
    ["data,kind", 'expected key=value, got "kind" without a value'],
    ["Data,kind=empty", 'name: expected an AC name (lowercase a-z, 0-9 and "-", alphanumeric at both ends), got "Data"'],
  ])("%p fails", (flag, message) => {
    expect(() => parseVolumeFlag(flag)).toThrow(`invalid volume ${JSON.stringify(flag)}: ${message}`);
  });
});
