// `rkt fetch IMAGE…`: prints each image's ID as rkt does (sha512- + 32 hex, or the key with --full).
import { defineCommand } from "citty";
import { fetchImages } from "../core/fetch/fetch.ts";
import { parsePullPolicy } from "../core/fetch/finder.ts";
import { fetchID } from "../core/store/keys.ts";
import { fullArg, getGlobals, positionals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "fetch", description: "Fetch image(s) and store them in the local store" },
  args: {
    images: { type: "positional", required: true, valueHint: "IMAGE..." },
    signature: { type: "string", description: "local signature file to use in validating the preceding image", valueHint: "FILE" },
    "pull-policy": { type: "string", description: "when to pull an image: new, update or never", default: "update" },
    "store-only": { type: "boolean", description: "deprecated, use --pull-policy=never" },
    "no-store": { type: "boolean", description: "deprecated, use --pull-policy=update" },
    ...fullArg,
  },
  async run({ args }) {
    const pullPolicy = args["store-only"] ? "never" : args["no-store"] ? "update" : parsePullPolicy(args["pull-policy"]);
    const keys = await fetchImages(getGlobals(), { images: positionals(args), signature: args.signature, pullPolicy });
    for (const k of keys) writeStdout(fetchID(k, args.full) + "\n");
  },
});
