// Help text in rkt's (cobra's) shape: description, usage line, flags, global flags. Plain text, no
// colors, so it reads the same in a terminal, a pipe and a test.
import type { ArgsDef, CommandDef } from "citty";
import { GLOBAL_FLAGS } from "./_globals.ts";

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>);
async function resolve<T>(v: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

/** The subcommand `name` of `cmd`, loaded; undefined when `cmd` has none of that name. */
export async function subCommand(cmd: CommandDef<any>, name: string): Promise<CommandDef<any> | undefined> {
  const sub = (await resolve(cmd.subCommands))?.[name];
  return sub === undefined ? undefined : resolve(sub as Resolvable<CommandDef<any>>);
}

/** `Usage: rkt image rm [flags] IMAGE...` — what a usage error prints. */
export async function usageLine(path: string[], cmd: CommandDef<any>): Promise<string> {
  const args = ((await resolve(cmd.args)) ?? {}) as ArgsDef;
  const pos = Object.entries(args)
    .filter(([, d]) => d.type === "positional")
    .map(([name, d]) => d.valueHint ?? name.toUpperCase());
  const subs = await resolve(cmd.subCommands);
  const tail = subs ? ["[command]"] : ["[flags]", ...pos];
  return `rkt ${[...path, ...tail].join(" ")}`.trim();
}

function flagRows(args: ArgsDef): string[][] {
  const rows: string[][] = [];
  for (const [name, d] of Object.entries(args)) {
    if (d.type === "positional") continue;
    const hint = d.type === "boolean" ? "" : `=${d.valueHint ?? (d.type === "enum" ? (d as { options?: string[] }).options?.join("|") : "string")}`;
    const def = d.default !== undefined && d.default !== false && d.default !== "" ? ` (default ${String(d.default)})` : "";
    rows.push([`      --${name}${hint}`, `${d.description ?? ""}${def}`]);
  }
  return rows;
}

function table(rows: string[][]): string {
  const w = Math.max(0, ...rows.map((r) => r[0]!.length));
  return rows.map(([a, b]) => `${a!.padEnd(w)}   ${b}`).join("\n");
}

/** The whole `--help` text of a command (or of rkt itself when `path` is empty). */
export async function renderHelp(path: string[], cmd: CommandDef<any>, summaries?: Record<string, string>): Promise<string> {
  const meta = (await resolve(cmd.meta)) ?? {};
  const args = ((await resolve(cmd.args)) ?? {}) as ArgsDef;
  const out: string[] = [];
  if (meta.description) out.push(meta.description, "");
  out.push("Usage:", `  ${await usageLine(path, cmd)}`, "");
  const subs = await resolve(cmd.subCommands);
  if (subs || summaries) {
    const rows: string[][] = [];
    const names = summaries ? Object.keys(summaries) : Object.keys(subs ?? {});
    for (const name of names) {
      let text = summaries?.[name];
      if (text === undefined) {
        const sub = await resolve(subs![name] as Resolvable<CommandDef<any>>);
        const m = await resolve(sub?.meta);
        if (m?.hidden) continue;
        text = m?.description ?? "";
      }
      rows.push([`  ${name}`, text]);
    }
    out.push("Available Commands:", table(rows), "");
  }
  const own = flagRows(args);
  if (own.length) out.push("Flags:", table(own), "");
  out.push("Global Flags:", table(flagRows(GLOBAL_FLAGS)), "");
  if (subs || summaries) out.push(`Use "rkt ${[...path, "[command]"].join(" ")} --help" for more information about a command.`);
  return out.join("\n").trimEnd() + "\n";
}
