// `rkt gc [--grace-period=30m0s] [--expire-prepared=24h0m0s] [--mark-only]`.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { parseDuration } from "../core/duration.ts";
import { stderr } from "../core/log.ts";
import { gcPods } from "../core/stage0/gc.ts";
import { builtinGc } from "../stage1/entrypoints/table.ts";
import { getGlobals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "gc", description: "Garbage collect rkt pods no longer in use" },
  args: {
    "grace-period": { type: "string", description: "duration to wait before discarding inactive pods from garbage", default: "30m0s" },
    "expire-prepared": { type: "string", description: "duration to wait before expiring prepared pods", default: "24h0m0s" },
    "mark-only": { type: "boolean", description: "if set to true, only the \"mark\" phase of the garbage collection process will be performed", default: false },
  },
  async run({ args }) {
    ensureSuperuser();
    const events = await gcPods(
      getGlobals(),
      {
        gracePeriodMs: parseDuration(args["grace-period"], "grace-period"),
        expirePreparedMs: parseDuration(args["expire-prepared"], "expire-prepared"),
        markOnly: args["mark-only"],
      },
      builtinGc(getGlobals().localConfig),
    );
    for (const e of events) {
      if (e.action === "marked") stderr(`moving pod "${e.uuid}" to garbage`);
      else if (e.action === "removed") stderr(`Garbage collecting pod "${e.uuid}"`);
      else stderr(`pod "${e.uuid}" not removed: ${e.reason} (${args["grace-period"]})`);
    }
  },
});
