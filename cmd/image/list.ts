// `rkt image list`: a table (rkt's columns and humanized values) or JSON.
import { defineCommand } from "citty";
import { listImages, parseFields, type ImageRow } from "../../core/image/list.ts";
import { shortID } from "../../core/store/keys.ts";
import { ImageStore } from "../../core/store/store.ts";
import { fullTime, humanBytes, humanTime, json, table } from "../_output.ts";
import { formatArg, fullArg, getGlobals, noLegendArg, outputFormat } from "../_shared.ts";
import { writeStdout } from "../../ffi/stdio.ts";

const HEADERS: Record<string, string> = { id: "ID", name: "NAME", importtime: "IMPORT TIME", lastused: "LAST USED", size: "SIZE", latest: "LATEST" };

export default defineCommand({
  meta: { name: "list", description: "List images in the local store" },
  args: {
    fields: { type: "string", description: "comma-separated list of fields to display: id, name, importtime, lastused, size, latest", default: "id,name,size,importtime,lastused" },
    sort: { type: "string", description: "sort the output by fields: id, name, importtime, lastused, size", default: "importtime" },
    order: { type: "string", description: "choose the sorting order: asc or desc", default: "asc" },
    ...noLegendArg,
    ...fullArg,
    ...formatArg,
  },
  run({ args }) {
    const format = outputFormat(args.format);
    const fields = parseFields(args.fields);
    using store = ImageStore.open(getGlobals().dir);
    const rows = listImages(store, args.sort, args.order);
    if (format) {
      const out = rows.map((r) => ({ id: r.id, name: r.name, import_time: r.importTime.getTime() * 1e6, last_used: r.lastUsed.getTime() * 1e6, size: r.size }));
      writeStdout(json(out, format));
      return;
    }
    const cell = (r: ImageRow, f: string): string => {
      switch (f) {
        case "id": return shortID(r.id, args.full);
        case "name": return r.name;
        case "importtime": return args.full ? fullTime(r.importTime) : humanTime(r.importTime);
        case "lastused": return args.full ? fullTime(r.lastUsed) : humanTime(r.lastUsed);
        case "size": return args.full ? String(r.size) : humanBytes(r.size);
        default: return String(r.latest);
      }
    };
    writeStdout(table(fields.map((f) => HEADERS[f]!), rows.map((r) => fields.map((f) => cell(r, f))), args["no-legend"]));
  },
});
