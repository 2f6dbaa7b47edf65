// `rkt image cat-manifest IMAGE`: the image manifest, indented unless --pretty-print=false.
import { defineCommand } from "citty";
import { resolveStored } from "../../core/image/resolve.ts";
import { ImageStore } from "../../core/store/store.ts";
import { getGlobals, positionals, prettyPrintArg } from "../_shared.ts";
import { UsageError } from "../../core/errors.ts";
import { writeStdout } from "../../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "cat-manifest", description: "Inspect and print the image manifest" },
  args: { image: { type: "positional", required: true, valueHint: "IMAGE" }, ...prettyPrintArg },
  run({ args }) {
    const [image, ...extra] = positionals(args);
    if (!image || extra.length) throw new UsageError("image cat-manifest takes exactly one image");
    using store = ImageStore.open(getGlobals().dir);
    const raw = JSON.parse(store.manifestBytes(resolveStored(store, image)).toString("utf8"));
    writeStdout((args["pretty-print"] ? JSON.stringify(raw, null, "\t") : JSON.stringify(raw)) + "\n");
  },
});
