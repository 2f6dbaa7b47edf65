// `rkt image rm IMAGE…`: by ID prefix or name (every image of that name); goes on past failures.
import { defineCommand } from "citty";
import { RktError, messageOf } from "../../core/errors.ts";
import { removeImage } from "../../core/image/remove.ts";
import { resolveStoredAll } from "../../core/image/resolve.ts";
import { ImageStore } from "../../core/store/store.ts";
import { stderr } from "../../core/log.ts";
import { getGlobals, positionals } from "../_shared.ts";
import { writeStdout } from "../../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "rm", description: "Remove one or more images with the given IDs or image names from the local store" },
  args: { images: { type: "positional", required: true, valueHint: "IMAGE..." } },
  async run({ args }) {
    const images = positionals(args);
    if (images.length === 0) throw new RktError("image rm needs at least one image ID or name");
    using store = ImageStore.open(getGlobals().dir);
    let failed = 0;
    // Everything named is resolved first, so naming an image twice (by ID and by name) removes it once.
    const keys = new Set<string>();
    for (const arg of images) {
      try {
        for (const key of resolveStoredAll(store, arg)) keys.add(key);
      } catch (e) {
        failed++;
        stderr(`cannot remove image "${arg}": ${messageOf(e)}`);
      }
    }
    for (const key of keys) {
      try {
        await removeImage(store, key);
        writeStdout(`successfully removed aci for image: "${key}"\n`);
      } catch (e) {
        failed++;
        stderr(`cannot remove image "${key}": ${messageOf(e)}`);
      }
    }
    if (failed > 0) throw new RktError(`${failed} image(s) cannot be removed`);
  },
});
