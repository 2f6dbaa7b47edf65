// `rkt image verify IMAGE…`: checks each image's rendered tree; a changed tree is rendered again.
import { defineCommand } from "citty";
import { RktError } from "../../core/errors.ts";
import { resolveStored } from "../../core/image/resolve.ts";
import { verifyImage } from "../../core/image/verify.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals, positionals } from "../_shared.ts";
import { writeStdout } from "../../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "verify", description: "Verify the rendered tree store of one or more images, repairing it when changed" },
  args: { images: { type: "positional", required: true, valueHint: "IMAGE..." } },
  async run({ args }) {
    const images = positionals(args);
    if (images.length === 0) throw new RktError("image verify needs at least one image");
    using store = ImageStore.open(getGlobals().dir);
    for (const arg of images) {
      const r = await verifyImage(store, resolveStored(store, arg));
      if (r.problems.length === 0) {
        writeStdout(`image "${r.key}": tree store ${r.treeStoreID} verified\n`);
      } else {
        for (const p of r.problems) writeStdout(`image "${r.key}": ${p}\n`);
        writeStdout(`image "${r.key}": tree store ${r.treeStoreID} was changed (${r.problems.length} difference(s)); rendered it again\n`);
      }
    }
  },
});
