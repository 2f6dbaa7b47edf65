// rkt refuses images whose manifest lacks os/arch labels at fetch time (rkt_os_arch_test.go); an
// unknown os/arch pair is already refused by the manifest's own validation.
import { VerificationError } from "../errors.ts";
import type { ImageManifest } from "../schema/image-manifest.ts";

/** Throws unless the manifest carries both an os and an arch label. */
export function checkOSArch(m: ImageManifest): void {
  const names = new Set((m.labels ?? []).map((l) => l.name));
  if (!names.has("os")) throw new VerificationError("missing os label in the image manifest");
  if (!names.has("arch")) throw new VerificationError("missing arch label in the image manifest");
}
