// `rkt list`: one row per app of every pod (rkt's list.go), or rkt's JSON pods.
import { defineCommand } from "citty";
import { listAllPods, podJson } from "../core/stage0/status.ts";
import { formatNetInfo } from "../core/networks.ts";
import { stateName } from "../core/pods/state.ts";
import { fullTime, humanTime, json, table } from "./_output.ts";
import { formatArg, fullArg, getGlobals, noLegendArg, outputFormat } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "list", description: "List pods" },
  args: { ...fullArg, ...noLegendArg, ...formatArg },
  run({ args }) {
    const format = outputFormat(args.format);
    const pods = listAllPods(getGlobals());
    if (format) return void writeStdout(json(pods.map(podJson), format));
    const when = (d?: Date) => (d ? (args.full ? fullTime(d) : humanTime(d)) : "");
    const rows = pods.flatMap((p) =>
      (p.manifest?.apps ?? [{ name: "-", image: { id: "", name: "" } }]).map((a) => {
        const version = a.image.labels?.find((l) => l.name === "version")?.value;
        const image = `${a.image.name ?? ""}${version ? `:${version}` : ""}`;
        const id = args.full ? [a.image.id] : [];
        return [args.full ? p.uuid : p.uuid.slice(0, 8), a.name, image, ...id, stateName(p.state), when(p.created), when(p.started), formatNetInfo(p.networks)];
      }),
    );
    const headers = ["UUID", "APP", "IMAGE NAME", ...(args.full ? ["IMAGE ID"] : []), "STATE", "CREATED", "STARTED", "NETWORKS"];
    writeStdout(table(headers, rows, args["no-legend"]));
  },
});
