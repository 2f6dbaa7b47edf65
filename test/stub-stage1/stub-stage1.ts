// Builds the stub stage1 image (rkt's tests/stub-stage1): rkt's stage1 annotations pointing at the
// shell scripts beside this file, which run on the host (/bin/sh) with the pod directory as cwd.
// It lets tests drive stage0's side of the stage1 interface without namespaces or apps.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAci } from "../../core/aci/builder.ts";

export const STUB_NAME = "localhost/rkt-stub-stage1";
export const STUB_VERSION = "0.0.1";
/** What the stub's `run` prints last, as rkt's stub does. */
export const STUB_OUTPUT = "success, stub stage1 would at this point switch to stage2";

export interface StubOptions {
  /** the `coreos.com/rkt/stage1/interface-version` annotation; none (interface 1) by default */
  interfaceVersion?: number;
  /** entrypoints left out of the manifest */
  without?: ("enter" | "gc" | "stop")[];
}

/** Writes the stub stage1 ACI (uncompressed) at `out`; returns `out`. */
export async function stubStage1Aci(out: string, opts: StubOptions = {}): Promise<string> {
  const entrypoints = ["run", "enter", "gc", "stop"].filter((e) => !opts.without?.includes(e as never));
  const manifest = {
    acKind: "ImageManifest",
    acVersion: "0.8.11",
    name: STUB_NAME,
    labels: [
      { name: "version", value: STUB_VERSION },
      { name: "arch", value: "amd64" },
      { name: "os", value: "linux" },
    ],
    annotations: [
      ...entrypoints.map((e) => ({ name: `coreos.com/rkt/stage1/${e}`, value: `/${e}` })),
      ...(opts.interfaceVersion ? [{ name: "coreos.com/rkt/stage1/interface-version", value: String(opts.interfaceVersion) }] : []),
    ],
  };
  const rootfs = mkdtempSync(join(tmpdir(), "rkt-stub-stage1-"));
  chmodSync(rootfs, 0o755);
  try {
    for (const e of entrypoints) {
      copyFileSync(join(import.meta.dir, e), join(rootfs, e));
      chmodSync(join(rootfs, e), 0o755);
    }
    await buildAci({ manifest, rootfs, out, compression: "none" });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return out;
}
