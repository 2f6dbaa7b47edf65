// Output helpers shared by listing commands: aligned tables (rkt's tabwriter), JSON, sizes and times
// as rkt's humanize printed them.

/** Columns aligned with spaces (rkt's tabwriter output); `noLegend` drops the header row. */
export function table(headers: string[], rows: string[][], noLegend = false): string {
  const all = noLegend ? rows : [headers, ...rows];
  if (all.length === 0) return "";
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

/** JSON for --format=json (compact) and json-pretty (indented). */
export function json(value: unknown, format: "json" | "json-pretty"): string {
  return (format === "json-pretty" ? JSON.stringify(value, null, "\t") : JSON.stringify(value)) + "\n";
}

/** go-humanize IBytes: "12 MiB". */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** go-humanize Time: "3 minutes ago", "now". */
export function humanTime(t: Date, now = Date.now()): string {
  const s = Math.round((now - t.getTime()) / 1000);
  if (s < 1) return "now";
  const steps: [number, string][] = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [7, "day"],
    [52, "week"],
    [Infinity, "year"],
  ];
  let v = s;
  for (const [div, unit] of steps) {
    if (v < div) return `${v} ${unit}${v === 1 ? "" : "s"} ago`;
    v = Math.floor(v / div);
  }
  return `${v} years ago`;
}

/** rkt's absolute time format with --full: 2006-01-02 15:04:05.999 -0700 MST. */
export function fullTime(t: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const off = -t.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const tz = Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(t).find((p) => p.type === "timeZoneName")?.value ?? "";
  const ms = String(t.getMilliseconds()).padStart(3, "0").replace(/0+$/, "");
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}${ms ? "." + ms : ""} ${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)} ${tz}`;
}
