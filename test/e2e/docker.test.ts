// `rkt fetch docker://…` through the compiled binary against the real Docker registry (images pushed
// by real skopeo from OCI layouts built here), plus local oci: layouts; zstd layers both ways.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxRootfs } from "../helpers/images.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry, startTokenServer, type TestRegistry } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";

describe.skipIf(!!requires("busybox", "skopeo", "docker-registry"))("rkt fetch of Docker images", () => {
  let ctx: RktContext;
  let reg: TestRegistry;
  let layout: string;

  beforeAll(async () => {
    ctx = rktContext("rkt-docker");
    const base = join(ctx.tmp, "l0");
    mkdirSync(base);
    busyboxRootfs(base);
    mkdirSync(join(ctx.tmp, "l1", "etc"), { recursive: true });
    writeFileSync(join(ctx.tmp, "l1", "etc", "motd"), "from docker\n");
    layout = join(ctx.tmp, "oci");
    writeOciLayout(layout, {
      layerDirs: [base, join(ctx.tmp, "l1")],
      config: { Entrypoint: ["/bin/sh"], Cmd: ["-c", "cat /etc/motd"], WorkingDir: "/etc" },
      tag: "1.0",
    });
    reg = await startRegistry(join(ctx.tmp, "registry"));
    await skopeoCopy(`oci:${layout}:1.0`, `docker://${reg.host}/tests/hello:1.0`);
  });
  afterAll(() => {
    reg?.stop();
    ctx?.[Symbol.dispose]();
  });

  test("needs --insecure-options=image, since Docker images are not signed", () => {
    const r = ctx.rkt(["fetch", `docker://${reg.host}/tests/hello:1.0`]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("--insecure-options=image");
  });

  test("fetches from the registry, converts, renders; a second fetch with policy new uses the store", () => {
    const ref = `docker://${reg.host}/tests/hello:1.0`;
    const r = ctx.rkt(["--insecure-options=image,http", "fetch", "--pull-policy=new", ref]);
    expect(r.stderr).not.toContain("rkt: cannot");
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^sha512-[0-9a-f]{32}$/);
    const m = JSON.parse(ctx.rkt(["image", "cat-manifest", id]).stdout);
    expect(m.app.exec).toEqual(["/bin/sh", "-c", "cat /etc/motd"]);
    expect(m.app.workingDirectory).toBe("/etc");
    expect(m.labels).toContainEqual({ name: "version", value: "1.0" });
    const tree = readdirSync(join(ctx.dir, "cas/tree"))[0]!;
    expect(readFileSync(join(ctx.dir, "cas/tree", tree, "rootfs/etc/motd"), "utf8")).toBe("from docker\n");
    reg.stop(); // from here on only the store can answer
    const again = ctx.rkt(["--insecure-options=image,http", "fetch", "--pull-policy=new", ref]);
    expect(again.stdout.trim()).toBe(id);
  });

  test("an oci: layout on disk imports like the registry's image", () => {
    const r = ctx.rkt(["--insecure-options=image", "fetch", `oci:${layout}:1.0`]);
    expect(r.code).toBe(0);
    const m = JSON.parse(ctx.rkt(["image", "cat-manifest", r.stdout.trim()]).stdout);
    expect(m.app.exec).toEqual(["/bin/sh", "-c", "cat /etc/motd"]);
  });

  test.skipIf(!!requires("root"))("a pod runs from a Docker image (its Entrypoint, Cmd and WorkingDir)", () => {
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", `oci:${layout}:1.0`]);
    expect(r.stdout).toBe("from docker\n");
    expect(r.code).toBe(0);
  });

  test.skipIf(!!requires("root"))("Docker volumes start with the image's files; an explicit volume replaces them (DockerVolumeSemantics)", () => {
    const vol = join(ctx.tmp, "vol-layout");
    mkdirSync(join(ctx.tmp, "l2", "data"), { recursive: true });
    writeFileSync(join(ctx.tmp, "l2", "data", "seed"), "seeded by the image\n");
    writeOciLayout(vol, {
      layerDirs: [join(ctx.tmp, "l0"), join(ctx.tmp, "l2")],
      config: { Entrypoint: ["/bin/sh", "-c"], Cmd: ["cat /data/seed 2>/dev/null || echo empty; echo more >> /data/seed"], Volumes: { "/data": {} } },
      tag: "1.0",
    });
    const run = (extra: string[]) => ctx.rkt(["--insecure-options=image", "run", "--net=host", ...extra, `oci:${vol}:1.0`]);
    const implicit = run([]);
    expect(implicit.stdout).toBe("seeded by the image\n");
    expect(implicit.code).toBe(0);
    const name = JSON.parse(ctx.rkt(["image", "cat-manifest", "--pretty-print=false", JSON.parse(ctx.rkt(["image", "list", "--format=json"]).stdout).at(-1).id]).stdout).app.mountPoints[0].name;
    const host = join(ctx.tmp, "hostvol");
    mkdirSync(host);
    const explicit = run([`--volume=${name},kind=host,source=${host}`]);
    expect(explicit.stdout).toBe("empty\n");
    expect(readFileSync(join(host, "seed"), "utf8")).toBe("more\n");
  });

  test("a registry with token auth: refused without credentials, fetched with auth.d dockerAuth", async () => {
    // The token server answers from this process, so rkt runs asynchronously here.
    const rkt = async (args: string[]) => {
      const p = Bun.spawn(ctx.argv(["--insecure-options=image,http", ...args]), { stdout: "pipe", stderr: "pipe" });
      const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
      return { code, stdout, stderr };
    };
    using token = startTokenServer(join(ctx.tmp, "token"), { users: { alice: "s3cret" }, anonymousPull: false });
    using secured = await startRegistry(join(ctx.tmp, "secured"), { token });
    await skopeoCopy(`oci:${layout}:1.0`, `docker://${secured.host}/private/hello:1.0`, { destCreds: "alice:s3cret" });
    const ref = `docker://${secured.host}/private/hello:1.0`;
    const denied = await rkt(["fetch", ref]);
    expect(denied.code).toBe(254);
    expect(denied.stderr).toMatch(/^rkt: .*(unauthorized|credentials|401)/im);
    mkdirSync(join(ctx.localConfig, "auth.d"), { recursive: true });
    writeFileSync(
      join(ctx.localConfig, "auth.d", "registry.json"),
      JSON.stringify({ rktKind: "dockerAuth", rktVersion: "v1", registries: [secured.host], credentials: { user: "alice", password: "s3cret" } }),
    );
    const ok = await rkt(["fetch", ref]);
    expect(ok.stderr).not.toContain("rkt: cannot");
    expect(ok.code).toBe(0);
    expect(token.requests.some((r) => r.user === "alice" && r.scope?.includes("private/hello:pull"))).toBe(true);
  });

  test("zstd layers (+zstd media type) fetch from an oci: layout and from the registry, with their files", async () => {
    mkdirSync(join(ctx.tmp, "lz", "etc"), { recursive: true });
    writeFileSync(join(ctx.tmp, "lz", "etc", "motd"), "from a zstd layer\n");
    const zlayout = join(ctx.tmp, "zstd-oci");
    const built = writeOciLayout(zlayout, {
      layerDirs: [join(ctx.tmp, "l0"), join(ctx.tmp, "lz")],
      compression: ["gzip", "zstd"], // a zstd layer on a gzip base, as rebuilt images have
      config: { Entrypoint: ["/bin/sh", "-c", "cat /etc/motd"] },
      tag: "1.0",
    });
    const manifest = JSON.parse(readFileSync(join(zlayout, "blobs/sha256", built.manifestDigest.slice(7)), "utf8"));
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
    ]);
    const motd = (c: RktContext, id: string) => {
      const out = join(c.tmp, `extract-${id}`);
      expect(c.rkt(["image", "extract", "--rootfs-only", id, out]).code).toBe(0);
      return readFileSync(join(out, "etc/motd"), "utf8");
    };
    const local = ctx.rkt(["--insecure-options=image", "fetch", `oci:${zlayout}:1.0`]);
    expect(local.stderr).not.toContain("rkt: cannot");
    expect(motd(ctx, local.stdout.trim())).toBe("from a zstd layer\n");

    // skopeo pushes the blobs as they are: the registry serves the zstd layer under its media type
    using zreg = await startRegistry(join(ctx.tmp, "zstd-registry"));
    await skopeoCopy(`oci:${zlayout}:1.0`, `docker://${zreg.host}/tests/zstd:1.0`);
    const served = await fetch(`http://${zreg.host}/v2/tests/zstd/manifests/1.0`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    expect(((await served.json()) as { layers: { mediaType: string }[] }).layers[1]!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
    // a store of its own, whose layer cache does not have the layers yet
    using fresh = rktContext("rkt-docker");
    const remote = fresh.rkt(["--insecure-options=image,http", "fetch", `docker://${zreg.host}/tests/zstd:1.0`]);
    expect(remote.stderr).not.toContain("rkt: cannot");
    expect(readdirSync(join(fresh.dir, "cas/docker-layers/sha256")).sort()).toEqual(built.diffIds.map((d) => d.slice(7)).sort());
    expect(motd(fresh, remote.stdout.trim())).toBe("from a zstd layer\n");
    if (!requires("root")) {
      const run = fresh.rkt(["--insecure-options=image", "run", "--net=host", remote.stdout.trim()]);
      expect([run.code, run.stdout]).toEqual([0, "from a zstd layer\n"]);
    }
  });

  test("image gc prunes cached Docker layers past the grace period", () => {
    const layers = join(ctx.dir, "cas/docker-layers/sha256");
    const cached = readdirSync(layers).length;
    expect(cached).toBeGreaterThan(1);
    expect(ctx.rkt(["image", "gc"]).code).toBe(0);
    expect(readdirSync(layers).length).toBe(cached);
    const r = ctx.rkt(["image", "gc", "--grace-period=0s"]);
    expect(r.stdout).toContain('removed docker layer "sha256:');
    expect(readdirSync(layers)).toEqual([]);
  });
});
