import { describe, expect, test } from "bun:test";
import { parseImageManifest, serializeImageManifest } from "./image-manifest.ts";
import { APPC_VERSION, hostOSArch, ManifestError } from "./types.ts";

// The two images of appc's ACE validator (ace/image_manifest_{main,sidekick}.json.in, appc.md §9),
// with the same template variables, filled in below as appc's build_aci does.
function aceTemplate(name: string, app: string, annotations = ""): string {
  return `{
  "acVersion": "@ACVERSION@",
  "acKind": "ImageManifest",
  "name": "coreos.com/ace-validator-${name}",
  "labels": [
    { "name": "version", "value": "@ACVERSION@" },
    { "name": "os", "value": "@GOOS@" },
    { "name": "arch", "value": "@GOARCH@" }
  ],
  "app": ${app}${annotations}
}`;
}

const ACE_MAIN_TEMPLATE = aceTemplate(
  "main",
  `{
    "exec": ["/ace-validator", "main"],
    "eventHandlers": [
      { "name": "pre-start", "exec": ["/ace-validator", "prestart"] },
      { "name": "post-stop", "exec": ["/ace-validator", "poststop"] }
    ],
    "user": "0",
    "group": "0",
    "workingDirectory": "/opt/acvalidator",
    "environment": [{ "name": "IN_ACE_VALIDATOR", "value": "correct" }],
    "mountPoints": [{ "name": "database", "path": "/db", "readOnly": false }],
    "ports": [{ "name": "www", "protocol": "tcp", "port": 80 }],
    "isolators": [{ "name": "resource/memory", "value": { "limit": "1G" } }]
  }`,
  `,
  "annotations": [
    { "name": "created", "value": "2014-10-27T19:32:27.67021798Z" },
    { "name": "authors", "value": "Carly Container <carly@example.com>, Nat Network <nat@example.com>" },
    { "name": "homepage", "value": "https://github.com/appc/spec" },
    { "name": "documentation", "value": "https://github.com/appc/spec/blob/master/README.md" },
    { "name": "lorem", "value": "ipsum" }
  ]`,
);

const ACE_SIDEKICK_TEMPLATE = aceTemplate(
  "sidekick",
  `{
    "exec": ["/ace-validator", "sidekick"],
    "user": "0",
    "group": "0",
    "mountPoints": [{ "name": "database", "path": "/db", "readOnly": false }]
  }`,
);

function fill(template: string): string {
  const { os, arch } = hostOSArch("linux", "x64");
  return template.replaceAll("@ACVERSION@", APPC_VERSION).replaceAll("@GOOS@", os).replaceAll("@GOARCH@", arch);
}

/** A minimal valid manifest to break one field at a time. */
function base(): Record<string, any> {
  return {
    acKind: "ImageManifest",
    acVersion: "0.8.11",
    name: "example.com/app",
    labels: [{ name: "version", value: "1.0.0" }],
    app: { exec: ["/bin/app"], user: "0", group: "0" },
  };
}

describe("valid image manifests", () => {
  test("the ACE validator's main image", () => {
    const m = parseImageManifest(fill(ACE_MAIN_TEMPLATE));
    expect(m.name).toBe("coreos.com/ace-validator-main");
    expect(m.labels).toEqual([
      { name: "version", value: "0.8.11" },
      { name: "os", value: "linux" },
      { name: "arch", value: "amd64" },
    ]);
    expect(m.app?.eventHandlers?.map((h) => h.name)).toEqual(["pre-start", "post-stop"]);
    expect(m.app?.workingDirectory).toBe("/opt/acvalidator");
    // appc fills a port's count and socketActivated
    expect(m.app?.ports).toEqual([{ name: "www", protocol: "tcp", port: 80, count: 1, socketActivated: false }]);
    expect(m.annotations).toHaveLength(5);
  });

  test("the ACE validator's sidekick image, from bytes", () => {
    const m = parseImageManifest(new TextEncoder().encode(fill(ACE_SIDEKICK_TEMPLATE)));
    expect(m.app?.exec).toEqual(["/ace-validator", "sidekick"]);
    expect(m.app?.mountPoints).toEqual([{ name: "database", path: "/db", readOnly: false }]);
  });

  test("a manifest with no app, dependencies and a path whitelist", () => {
    const m = parseImageManifest({
      acKind: "ImageManifest",
      acVersion: "0.8.11",
      name: "example.com/files",
      dependencies: [
        { imageName: "example.com/base", imageID: `sha512-${"ab".repeat(64)}`, labels: [{ name: "os", value: "linux" }], size: 1234 },
        { imageName: "example.com/other" },
      ],
      pathWhitelist: ["/etc/hosts", "/bin"],
    });
    expect(m.app).toBeUndefined();
    expect(m.dependencies?.[0]?.size).toBe(1234);
  });

  test("appc's code accepts what its prose forbids: empty exec, env names with dots, empty workingDirectory", () => {
    const m = base();
    m.app = { user: "root", group: "root", environment: [{ name: "a.b-c", value: "" }], workingDirectory: "" };
    expect(parseImageManifest(m).app?.exec).toBeUndefined();
  });

  test("null optional fields count as absent, as for Go's decoder", () => {
    const m = { ...base(), labels: null, annotations: null, app: { ...base().app, ports: null } };
    const parsed = parseImageManifest(m);
    expect("labels" in parsed).toBe(false);
    expect("ports" in (parsed.app ?? {})).toBe(false);
  });
});

describe("round trips", () => {
  const withUnknown = {
    ...base(),
    futureField: { nested: [1, "two"] },
    labels: [{ name: "version", value: "1", note: "label extra" }],
    app: {
      ...base().app,
      appExtra: true,
      ports: [{ name: "http", protocol: "tcp", port: 8080, count: 2, socketActivated: true, portExtra: "x" }],
      isolators: [{ name: "vendor.example/quota", value: { whatever: 1 } }],
      userAnnotations: { "any key": "v" },
    },
    dependencies: [{ imageName: "example.com/dep", depExtra: null }],
  };

  test("unknown fields survive parse → serialize → parse", () => {
    const once = parseImageManifest(withUnknown);
    const text = serializeImageManifest(once);
    expect(JSON.parse(text)).toEqual(withUnknown);
    expect(parseImageManifest(text)).toEqual(once);
  });

  test("pretty output indents with tabs as rkt does", () => {
    const text = serializeImageManifest(parseImageManifest(base()), true);
    expect(text.split("\n")[1]).toBe('\t"acKind": "ImageManifest",');
  });

  test("serializing validates first", () => {
    const bad = { ...parseImageManifest(base()), name: "Not Valid" };
    expect(() => serializeImageManifest(bad)).toThrow(ManifestError);
  });
});

describe("invalid image manifests", () => {
  test("not JSON, or not an object", () => {
    expect(() => parseImageManifest("{ nope")).toThrow(/^invalid image manifest: expected JSON, got /);
    expect(() => parseImageManifest("[]")).toThrow("invalid image manifest: expected an object, got an array");
  });

  test("errors carry the subject and field path", () => {
    try {
      parseImageManifest({ ...base(), app: { ...base().app, workingDirectory: "tmp" } });
      throw new Error("no error");
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      const e = err as ManifestError;
      expect([e.subject, e.field, e.problem]).toEqual(["image manifest", "app.workingDirectory", 'expected an absolute path, got "tmp"']);
      expect(e.message).toBe('invalid image manifest: app.workingDirectory: expected an absolute path, got "tmp"');
    }
  });

  const sha = `sha512-${"0".repeat(64)}`;
  const cases: [string, (m: Record<string, any>) => unknown, string][] = [
    ["wrong kind", (m) => (m.acKind = "PodManifest"), 'acKind: expected "ImageManifest", got "PodManifest"'],
    ["no kind", (m) => delete m.acKind, 'acKind: expected "ImageManifest", got nothing'],
    ["zero version", (m) => (m.acVersion = "0.0.0"), 'acVersion: expected a SemVer version other than 0.0.0, got "0.0.0"'],
    ["bad version", (m) => (m.acVersion = "v1"), 'acVersion: expected a SemVer version other than 0.0.0, got "v1"'],
    ["no name", (m) => delete m.name, "name: expected an AC identifier"],
    ["bad name", (m) => (m.name = "Example.com/App"), 'name: expected an AC identifier (lowercase a-z, 0-9 and "-._~/", alphanumeric at both ends), got "Example.com/App"'],
    ["labels not a list", (m) => (m.labels = { version: "1" }), "labels: expected an array, got an object"],
    ["label called name", (m) => m.labels.push({ name: "name", value: "x" }), 'labels[1].name: expected a label name other than "name", got "name"'],
    ["duplicate label", (m) => m.labels.push({ name: "version", value: "2" }), 'labels[1].name: expected each label name once, got "version"'],
    ["bad label name", (m) => m.labels.push({ name: "OS", value: "linux" }), 'labels[1].name: expected an AC identifier'],
    ["label value not a string", (m) => m.labels.push({ name: "x", value: 1 }), "labels[1].value: expected a string, got 1"],
    ["unknown os", (m) => m.labels.push({ name: "os", value: "plan9" }), 'labels[1].value: expected an os of darwin, freebsd, linux, got "plan9"'],
    [
      "arch not for os",
      (m) => m.labels.push({ name: "arch", value: "x86_64" }, { name: "os", value: "linux" }),
      'labels[1].value: expected an arch for linux of amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x, got "x86_64"',
    ],
    ["app not an object", (m) => (m.app = ["/bin/sh"]), "app: expected an object, got an array"],
    ["no user", (m) => delete m.app.user, "app.user: expected a non-empty string, got nothing"],
    ["empty group", (m) => (m.app.group = ""), 'app.group: expected a non-empty string, got ""'],
    ["exec not a list", (m) => (m.app.exec = "/bin/sh -c x"), 'app.exec: expected an array, got "/bin/sh -c x"'],
    ["exec item not a string", (m) => (m.app.exec = ["/bin/sh", 1]), "app.exec[1]: expected a string, got 1"],
    ["relative workingDirectory", (m) => (m.app.workingDirectory = "tmp"), 'app.workingDirectory: expected an absolute path, got "tmp"'],
    ["negative gid", (m) => (m.app.supplementaryGIDs = [10, -1]), "app.supplementaryGIDs[1]: expected an integer >= 0, got -1"],
    ["gid as string", (m) => (m.app.supplementaryGIDs = ["10"]), 'app.supplementaryGIDs[0]: expected an integer >= 0, got "10"'],
    ["bad env name", (m) => (m.app.environment = [{ name: "1X", value: "" }]), 'app.environment[0].name: expected an environment variable name ([A-Za-z_][A-Za-z_0-9.-]*), got "1X"'],
    [
      "duplicate env",
      (m) => (m.app.environment = [{ name: "A", value: "1" }, { name: "A", value: "2" }]),
      'app.environment[1].name: expected each variable once, got "A"',
    ],
    ["env value not a string", (m) => (m.app.environment = [{ name: "A", value: 1 }]), "app.environment[0].value: expected a string, got 1"],
    ["bad event handler", (m) => (m.app.eventHandlers = [{ name: "on-boot", exec: [] }]), 'app.eventHandlers[0].name: expected "pre-start" or "post-stop", got "on-boot"'],
    [
      "two pre-start handlers",
      (m) => (m.app.eventHandlers = [{ name: "pre-start", exec: ["/a"] }, { name: "pre-start", exec: ["/b"] }]),
      'app.eventHandlers[1].name: expected one event handler "pre-start" at most, got "pre-start"',
    ],
    ["handler exec", (m) => (m.app.eventHandlers = [{ name: "post-stop" }]), "app.eventHandlers[0].exec: expected an array, got nothing"],
    ["mount point name", (m) => (m.app.mountPoints = [{ name: "my.db", path: "/db" }]), 'app.mountPoints[0].name: expected an AC name (lowercase a-z, 0-9 and "-", alphanumeric at both ends), got "my.db"'],
    ["mount point path", (m) => (m.app.mountPoints = [{ name: "db", path: "" }]), 'app.mountPoints[0].path: expected a non-empty string, got ""'],
    ["mount point readOnly", (m) => (m.app.mountPoints = [{ name: "db", path: "/db", readOnly: "yes" }]), 'app.mountPoints[0].readOnly: expected true or false, got "yes"'],
    ["port zero", (m) => (m.app.ports = [{ name: "p", protocol: "tcp", port: 0 }]), "app.ports[0].port: expected an integer from 1 to 65535, got 0"],
    ["port too high", (m) => (m.app.ports = [{ name: "p", protocol: "tcp", port: 65536 }]), "app.ports[0].port: expected an integer from 1 to 65535, got 65536"],
    ["port range too long", (m) => (m.app.ports = [{ name: "p", protocol: "tcp", port: 65530, count: 7 }]), "app.ports[0].count: expected a range ending at or below 65535 (count <= 6), got 7"],
    ["port protocol", (m) => (m.app.ports = [{ name: "p", port: 80 }]), "app.ports[0].protocol: expected a string, got nothing"],
    ["port name", (m) => (m.app.ports = [{ name: "HTTP", protocol: "tcp", port: 80 }]), 'app.ports[0].name: expected an AC name'],
    ["socketActivated", (m) => (m.app.ports = [{ name: "p", protocol: "tcp", port: 80, socketActivated: 1 }]), "app.ports[0].socketActivated: expected true or false, got 1"],
    ["isolator", (m) => (m.app.isolators = [{ name: "os/linux/cpu-shares", value: 1 }]), "app.isolators[0].value: expected an integer from 2 to 262144, got 1"],
    ["user annotations", (m) => (m.app.userAnnotations = { a: 1 }), "app.userAnnotations.a: expected a string, got 1"],
    ["user labels", (m) => (m.app.userLabels = ["a"]), "app.userLabels: expected an object, got an array"],
    ["duplicate annotation", (m) => (m.annotations = [{ name: "a", value: "1" }, { name: "a", value: "2" }]), 'annotations[1].name: expected each annotation name once, got "a"'],
    ["created", (m) => (m.annotations = [{ name: "created", value: "last tuesday" }]), 'annotations[0].value: expected an RFC3339 timestamp, got "last tuesday"'],
    ["homepage", (m) => (m.annotations = [{ name: "homepage", value: "ftp://example.com" }]), 'annotations[0].value: expected an http or https URL, got "ftp://example.com"'],
    ["documentation", (m) => (m.annotations = [{ name: "documentation", value: "README" }]), 'annotations[0].value: expected an http or https URL, got "README"'],
    ["dependency name", (m) => (m.dependencies = [{ imageID: sha }]), "dependencies[0].imageName: expected an AC identifier"],
    ["dependency id", (m) => (m.dependencies = [{ imageName: "a", imageID: "sha256-00" }]), 'dependencies[0].imageID: expected an image ID (sha512-<hex>), got "sha256-00"'],
    ["dependency size", (m) => (m.dependencies = [{ imageName: "a", size: -1 }]), "dependencies[0].size: expected an integer >= 0, got -1"],
    ["dependency labels", (m) => (m.dependencies = [{ imageName: "a", labels: [{ name: "os", value: "beos" }] }]), 'dependencies[0].labels[0].value: expected an os of darwin, freebsd, linux, got "beos"'],
    ["relative whitelist", (m) => (m.pathWhitelist = ["/ok", "etc/passwd"]), 'pathWhitelist[1]: expected an absolute path, got "etc/passwd"'],
  ];

  test.each(cases)("%s", (_, mutate, message) => {
    const m = base();
    mutate(m);
    expect(() => parseImageManifest(m)).toThrow(`invalid image manifest: ${message}`);
  });
});
