// `rkt run-prepared [flags] UUID`: run a pod made by `rkt prepare`.
import { defineCommand } from "citty";
import { UsageError } from "../core/errors.ts";
import { parseNetworks } from "../core/networks.ts";
import { runPrepared } from "../core/stage0/run.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { RUNTIME_FLAGS } from "./_pod-args.ts";
import { getGlobals, positionals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "run-prepared", description: "Run a prepared application pod in rkt" },
  args: { ...RUNTIME_FLAGS, uuid: { type: "positional", required: true, valueHint: "UUID" } },
  async run({ args }) {
    const [uuid, ...extra] = positionals(args);
    if (!uuid || extra.length) throw new UsageError("run-prepared needs exactly one pod UUID");
    for (const k of ["dns", "dns-search", "dns-opt", "dns-domain", "hosts-entry"] as const) {
      if (args[k] !== undefined) throw new UsageError(`--${k} is not supported yet`);
    }
    const ipc = args.ipc && args.ipc !== "auto" ? args.ipc : undefined;
    const opts = { net: parseNetworks(args.net), interactive: !!args.interactive, hostname: args.hostname, ipc };
    return runPrepared(getGlobals(), uuid, opts, (argv, dir) => builtinStage1("run", argv, dir));
  },
});
