// `rkt run-prepared [flags] UUID`: run a pod made by `rkt prepare`.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { UsageError } from "../core/errors.ts";
import { parseNetworks } from "../core/networks.ts";
import { runPrepared } from "../core/stage0/run.ts";
import { builtinStage1 } from "../stage1/entrypoints/table.ts";
import { dnsOptions, RUNTIME_FLAGS } from "./_pod-args.ts";
import { getGlobals, positionals } from "./_shared.ts";

export default defineCommand({
  meta: { name: "run-prepared", description: "Run a prepared application pod in rkt" },
  args: { ...RUNTIME_FLAGS, uuid: { type: "positional", required: true, valueHint: "UUID" } },
  async run({ args }) {
    ensureSuperuser();
    const [uuid, ...extra] = positionals(args);
    if (!uuid || extra.length) throw new UsageError("run-prepared needs exactly one pod UUID");
    const ipc = args.ipc && args.ipc !== "auto" ? args.ipc : undefined;
    // citty keeps one value per flag; rkt's repeatable DNS flags take comma lists here too
    const many = (v: string | undefined) => (v ? v.split(",") : []);
    const dns = dnsOptions({ dns: many(args.dns), "dns-search": many(args["dns-search"]), "dns-opt": many(args["dns-opt"]), "hosts-entry": many(args["hosts-entry"]), ...(args["dns-domain"] ? { "dns-domain": args["dns-domain"] } : {}) });
    const opts = { net: parseNetworks(args.net), interactive: !!args.interactive, hostname: args.hostname, ipc, dns, mdsRegister: !!args["mds-register"] };
    return runPrepared(getGlobals(), uuid, opts, (argv, dir) => builtinStage1("run", argv, dir));
  },
});
