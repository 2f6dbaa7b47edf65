// `rkt fetch docker://…` through the compiled binary against the real Docker registry (images pushed
// by real skopeo from OCI layouts built here), plus local oci: layouts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxRootfs } from "../helpers/images.ts";
import { writeOciLayout } from "../helpers/oci-image.ts";
import { skopeoCopy, startRegistry, type TestRegistry } from "../helpers/registry.ts";
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

  test("image gc prunes cached Docker layers past the grace period", () => {
    const layers = join(ctx.dir, "cas/docker-layers/sha256");
    expect(readdirSync(layers).length).toBe(2);
    expect(ctx.rkt(["image", "gc"]).code).toBe(0);
    expect(readdirSync(layers).length).toBe(2);
    const r = ctx.rkt(["image", "gc", "--grace-period=0s"]);
    expect(r.stdout).toContain('removed docker layer "sha256:');
    expect(readdirSync(layers)).toEqual([]);
  });
});
