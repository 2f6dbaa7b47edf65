// rkt refuses images whose manifest lacks os/arch labels or names an unknown pair, at fetch time
// (rkt_os_arch_test.go), with appc's messages.
import { VerificationError } from "../errors.ts";
import type { ImageManifest } from "../schema/image-manifest.ts";
import { VALID_OS_ARCH } from "../schema/types.ts";

/** Throws unless the manifest carries a valid os and arch label pair. */
export function checkOSArch(m: ImageManifest): void {
  const labels = new Map((m.labels ?? []).map((l) => [l.name, l.value]));
  const os = labels.get("os");
  const arch = labels.get("arch");
  if (!os) throw new VerificationError("missing os label in the image manifest");
  if (!arch) throw new VerificationError("missing arch label in the image manifest");
  const archs = VALID_OS_ARCH[os];
  if (!archs) throw new VerificationError(`bad os "${os}" (must be one of: ${Object.keys(VALID_OS_ARCH).join(", ")})`);
  if (!archs.includes(arch)) throw new VerificationError(`bad arch "${arch}" for ${os} (must be one of: ${archs.join(", ")})`);
}
