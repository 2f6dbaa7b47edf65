// `rkt image gc`: tree stores no pod uses, and images unused for longer than the grace period.
import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { gcImages } from "../../core/image/remove.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals } from "../_shared.ts";
import { writeStdout } from "../../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "gc", description: "Garbage collect local store" },
  args: { "grace-period": { type: "string", description: "duration to wait since an image was last used before removing it", default: "24h0m0s" } },
  async run({ args }) {
    const grace = parseDuration(args["grace-period"], "grace-period");
    using store = ImageStore.open(getGlobals().dir);
    const r = await gcImages(store, grace);
    for (const id of r.removedTrees) writeStdout(`removed treestore "${id}"\n`);
    for (const key of r.removedImages) writeStdout(`successfully removed aci for image: "${key}"\n`);
    for (const layer of r.removedLayers) writeStdout(`removed docker layer "sha256:${layer}"\n`);
    for (const file of r.removedDownloads) writeStdout(`removed partial download "${file}"\n`);
  },
});
