// Test images built on the spot from the host's static busybox (DESIGN.md §7): a rootfs with a
// shell and common applets plus root/nobody/user 1000 accounts, and a valid ACI around it.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAci } from "../../core/aci/builder.ts";
import type { Compression } from "../../core/aci/compression.ts";

export const BUSYBOX = "/bin/busybox";

export const APPLETS = [
  "sh", "echo", "cat", "ls", "sleep", "true", "false", "env", "id", "hostname", "mount", "ps", "touch",
  "mkdir", "rm", "test", "pwd",
] as const;

/** Fills `dir` with /bin/busybox, its applet symlinks and /etc/passwd, /etc/group. Returns `dir`. */
export function busyboxRootfs(dir: string): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "etc"), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, "bin", "busybox"));
  chmodSync(join(dir, "bin", "busybox"), 0o755);
  for (const a of APPLETS) symlinkSync("busybox", join(dir, "bin", a));
  writeFileSync(
    join(dir, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n",
  );
  writeFileSync(join(dir, "etc", "group"), "root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n");
  return dir;
}

/** The manifest busyboxAci writes, before overrides. */
export function busyboxManifest(): Record<string, unknown> {
  return {
    acKind: "ImageManifest",
    acVersion: "0.8.11",
    name: "example.com/busybox",
    labels: [
      { name: "version", value: "1.0.0" },
      { name: "os", value: "linux" },
      { name: "arch", value: "amd64" },
    ],
    app: { exec: ["/bin/sh"], user: "0", group: "0" },
  };
}

export interface BusyboxAciOptions {
  compression?: Compression;
  /** adds or changes files in the rootfs before it is packed */
  customize?: (rootfs: string) => void;
}

/**
 * Writes a valid busybox ACI at `path`. Top-level `overrides` replace the manifest's fields;
 * an `app` object is merged into the default app (`app: null` removes the app). Returns the manifest.
 */
export async function busyboxAci(
  path: string,
  overrides: Record<string, unknown> = {},
  opts: BusyboxAciOptions = {},
): Promise<Record<string, unknown>> {
  const base = busyboxManifest();
  const manifest: Record<string, unknown> = { ...base, ...overrides };
  if (overrides.app === null) delete manifest.app;
  else if (overrides.app) manifest.app = { ...(base.app as object), ...(overrides.app as object) };
  const tmp = mkdtempSync(join(tmpdir(), "rkt-busybox-"));
  try {
    const rootfs = busyboxRootfs(join(tmp, "rootfs"));
    opts.customize?.(rootfs);
    await buildAci({ manifest, rootfs, out: path, compression: opts.compression });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return manifest;
}
