// `rkt image export IMAGE OUT.aci`: the stored, uncompressed ACI.
import { defineCommand } from "citty";
import { UsageError } from "../../core/errors.ts";
import { exportImage } from "../../core/image/files.ts";
import { resolveStored } from "../../core/image/resolve.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals, overwriteArg, positionals } from "../_shared.ts";

export default defineCommand({
  meta: { name: "export", description: "Export a stored image to an ACI file" },
  args: { image: { type: "positional", required: true, valueHint: "IMAGE OUTPUT_ACI_FILE" }, ...overwriteArg },
  run({ args }) {
    const [image, out, ...extra] = positionals(args);
    if (!image || !out || extra.length) throw new UsageError("image export takes an image and an output file");
    using store = ImageStore.open(getGlobals().dir);
    exportImage(store, resolveStored(store, image), out, args.overwrite);
  },
});
