// `rkt image extract IMAGE DIR`: see core/image/files.ts.
import { defineCommand } from "citty";
import { UsageError } from "../../core/errors.ts";
import { extractImage } from "../../core/image/files.ts";
import { resolveStored } from "../../core/image/resolve.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals, overwriteArg, positionals } from "../_shared.ts";

export default defineCommand({
  meta: { name: "extract", description: "Extract a stored image to a directory" },
  args: {
    image: { type: "positional", required: true, valueHint: "IMAGE OUTPUT_DIR" },
    "rootfs-only": { type: "boolean", description: "extract only the rootfs", default: false },
    ...overwriteArg,
  },
  run({ args }) {
    const [image, dir, ...extra] = positionals(args);
    if (!image || !dir || extra.length) throw new UsageError("image extract takes an image and an output directory");
    using store = ImageStore.open(getGlobals().dir);
    extractImage(store, resolveStored(store, image), dir, { rootfsOnly: args["rootfs-only"], overwrite: args.overwrite });
  },
});
