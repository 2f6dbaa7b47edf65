// Version facts. RKT_VERSION is baked in by release/build.ts (--define); a source run says "dev".
declare const RKT_VERSION: string | undefined;

export const APPC_VERSION = "0.8.11";

/** rkt's own version: the release's, or package.json's plus "+dev" when run from source. */
export function rktVersion(): string {
  return typeof RKT_VERSION === "string" ? RKT_VERSION : `${require("../package.json").version}+dev`;
}

/** What `rkt version` prints. */
export function versionInfo() {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return { rkt: rktVersion(), appc: APPC_VERSION, bun: Bun.version, osArch: `${process.platform}/${arch}`, features: "-TPM -SDJOURNAL" };
}
