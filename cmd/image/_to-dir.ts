// `rkt image extract` and `rkt image render` take the same arguments and differ only in what they
// write: one command shape for both.
import { defineCommand } from "citty";
import { UsageError } from "../../core/errors.ts";
import { resolveStored } from "../../core/image/resolve.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals, overwriteArg, positionals } from "../_shared.ts";

type Writer = (store: ImageStore, key: string, dir: string, opts: { rootfsOnly: boolean; overwrite: boolean }) => void;

/** `rkt image <name> IMAGE DIR [--rootfs-only] [--overwrite]`, writing with `write`. */
export function imageToDirCommand(name: string, description: string, write: Writer) {
  return defineCommand({
    meta: { name, description },
    args: {
      image: { type: "positional", required: true, valueHint: "IMAGE OUTPUT_DIR" },
      "rootfs-only": { type: "boolean", description: `${name} only the rootfs`, default: false },
      ...overwriteArg,
    },
    run({ args }) {
      const [image, dir, ...extra] = positionals(args);
      if (!image || !dir || extra.length) throw new UsageError(`image ${name} takes an image and an output directory`);
      using store = ImageStore.open(getGlobals().dir);
      write(store, resolveStored(store, image), dir, { rootfsOnly: args["rootfs-only"], overwrite: args.overwrite });
    },
  });
}
