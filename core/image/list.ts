// Rows of `rkt image list`: rkt's fields, sort keys and sizes (blob + rendered tree).
import { UsageError } from "../errors.ts";
import type { ImageStore } from "../store/store.ts";

export const IMAGE_FIELDS = ["id", "name", "importtime", "lastused", "size", "latest"] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];
const SORTABLE = ["id", "name", "importtime", "lastused", "size"] as const;

export interface ImageRow {
  id: string;
  /** name, with ":version" when the image has a version label */
  name: string;
  importTime: Date;
  lastUsed: Date;
  size: number;
  latest: boolean;
}

/** Parses `--fields` (comma list). */
export function parseFields(v: string): ImageField[] {
  const fields = v.split(",").map((f) => f.trim().toLowerCase()).filter(Boolean);
  for (const f of fields) {
    if (!(IMAGE_FIELDS as readonly string[]).includes(f)) throw new UsageError(`unknown field "${f}": expected one of ${IMAGE_FIELDS.join(", ")}`);
  }
  return fields as ImageField[];
}

/** Images as rows, sorted by `sort` (a comma list of fields) in `order`. */
export function listImages(store: ImageStore, sort: string, order: string): ImageRow[] {
  if (order !== "asc" && order !== "desc") throw new UsageError(`invalid --order "${order}": expected asc or desc`);
  const keys = sort.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const k of keys) {
    if (!(SORTABLE as readonly string[]).includes(k)) throw new UsageError(`invalid --sort "${k}": expected one of ${SORTABLE.join(", ")}`);
  }
  const rows = store.list().map((i): ImageRow => {
    const version = store.manifest(i.key).labels?.find((l) => l.name === "version")?.value;
    return {
      id: i.key,
      name: version ? `${i.name}:${version}` : i.name,
      importTime: i.importTime,
      lastUsed: i.lastUsed,
      size: i.size + i.treeStoreSize,
      latest: i.latest,
    };
  });
  const value = (r: ImageRow, k: string): string | number =>
    k === "id" ? r.id : k === "name" ? r.name : k === "importtime" ? r.importTime.getTime() : k === "lastused" ? r.lastUsed.getTime() : r.size;
  rows.sort((a, b) => {
    for (const k of keys) {
      const x = value(a, k);
      const y = value(b, k);
      if (x !== y) return (x < y ? -1 : 1) * (order === "desc" ? -1 : 1);
    }
    return 0;
  });
  return rows;
}
