// The image scenarios that involve pods (acceptance.md: rkt_image_rm_test, rkt_image_gc_test
// ImageGCTreeStore, rkt_image_list_test ShortHash and ImageSize): a prepared pod keeps running after
// its image is removed, tree stores live as long as a pod references them, short IDs work for run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

describe.skipIf(!!requires("root", "busybox"))("images and pods", () => {
  let ctx: RktContext;
  let aci: string;
  const rkt = (args: string[]) => ctx.rkt(["--insecure-options=image", ...args]);

  beforeAll(async () => {
    ctx = rktContext("rkt-image-pods");
    aci = join(ctx.tmp, "busybox.aci");
    await busyboxAci(aci, { name: "example.com/imgpod", app: { exec: ["/bin/sh", "-c", "echo from the pod"] } });
  });
  afterAll(() => ctx[Symbol.dispose]());

  const trees = () => readdirSync(join(ctx.dir, "cas/tree"));

  test("a short image ID works for run (ShortHash)", () => {
    const id = rkt(["fetch", aci]).stdout.trim();
    const short = id.slice(0, "sha512-".length + 12);
    const r = rkt(["run", "--net=host", short]);
    expect(r.stderr).not.toContain("rkt: cannot");
    expect(r.stdout).toBe("from the pod\n");
    expect(r.code).toBe(0);
  });

  test("image size is the blob plus its rendered tree (ImageSize)", () => {
    const [img] = JSON.parse(rkt(["image", "list", "--format=json"]).stdout);
    const blobDir = join(ctx.dir, "cas/blob/sha512", img.id.slice(7, 9));
    const blob = statSync(join(blobDir, img.id)).size;
    expect(img.size).toBeGreaterThan(blob + statSync("/bin/busybox").size - 1);
  });

  test("prepared pods run after their image is removed, by name or by ID (PrepareRmNameRun/IDRun)", () => {
    for (const rmArg of ["example.com/imgpod", "id"]) {
      const id = rkt(["fetch", "--full", aci]).stdout.trim();
      const uuid = rkt(["prepare", "--quiet", "example.com/imgpod"]).stdout.trim();
      expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
      const rm = rkt(["image", "rm", rmArg === "id" ? id : rmArg]);
      expect(rm.code).toBe(0);
      expect(rkt(["image", "list", "--format=json"]).stdout.trim()).toBe("[]");
      const r = rkt(["run-prepared", "--net=host", uuid]);
      expect(r.stdout).toBe("from the pod\n");
      expect(r.code).toBe(0);
    }
  });

  test("tree stores stay while pods reference them and go after pod gc + image gc (ImageGCTreeStore)", () => {
    rkt(["gc", "--grace-period=0s"]);
    rkt(["image", "gc"]);
    expect(trees()).toEqual([]);
    rkt(["fetch", aci]);
    expect(trees()).toHaveLength(1);
    expect(rkt(["run", "--net=host", "example.com/imgpod"]).code).toBe(0);
    rkt(["image", "gc"]);
    expect(trees()).toHaveLength(1); // the exited pod still references it
    expect(rkt(["gc", "--grace-period=0s"]).code).toBe(0);
    rkt(["image", "gc"]);
    expect(trees()).toEqual([]);
    // the image is still there and renders again when a pod needs it
    expect(rkt(["run", "--net=host", "example.com/imgpod"]).stdout).toBe("from the pod\n");
  });
});
