// rkt's entry point. Hidden stage1 entrypoints are dispatched before anything else loads (runc's
// `init`, rkt's multicall), then global flags, help, strict flag checks and the command itself.
// This is the one place that turns errors into output and exit codes (254 for rkt's own failures).
import type { CommandDef, ParsedArgs } from "citty";
import { RktError, UsageError } from "../core/errors.ts";
import { formatError, setDebug } from "../core/log.ts";
import { splitGlobals } from "./_globals.ts";
import { renderHelp, subCommand, usageLine } from "./_help.ts";
import { checkFlags, forCitty, setGlobals } from "./_shared.ts";
import { commands, summaries } from "./commands.ts";
import { mark, traceLines } from "../core/stage0/trace.ts";
import { writeStderr, writeStdout } from "../ffi/stdio.ts";

/**
 * Commands that parse their own argv, not through citty's flags: rkt's positional per-app flags
 * (run, prepare), and enter, whose arguments after the UUID are the command to run.
 */
const SELF_PARSED = new Set(["run", "prepare", "enter"]);

/**
 * Self-parsed commands whose run() reads nothing but rawArgs: called directly, since citty's
 * argument parsing of run's ~60 flags costs ~2.5 ms and loading citty ~1 ms, each about a
 * quarter of a whole `crun run` (the run benchmark, DESIGN.md §3).
 */
const RAW_ARGS_ONLY = new Set(["run", "prepare"]);

/**
 * Commands that run pods: the first cgroup migration's grace period starts before anything else
 * (stage1/cgroups/setup.ts), so that it has passed when the pod's cgroups are made.
 */
const POD_STARTERS = new Set(["run", "run-prepared"]);

/** Runs a resolved command with its argv; resolves to its result. */
async function runResolved(name: string, cmd: CommandDef<any>, rawArgs: string[]): Promise<unknown> {
  if (RAW_ARGS_ONLY.has(name)) return cmd.run?.({ rawArgs, args: { _: rawArgs } as ParsedArgs, cmd });
  const { runCommand } = await import("citty");
  try {
    return (await runCommand(cmd, { rawArgs })).result;
  } catch (e) {
    // citty's own argument errors ("Missing required positional argument: IMAGE"): a usage error
    if ((e as { code?: string }).code === "EARG") {
      const missing = /^Missing required positional argument: (\S+)$/.exec((e as Error).message)?.[1];
      throw new UsageError(missing ? `missing ${missing} argument` : (e as Error).message);
    }
    throw e;
  }
}

const root: CommandDef<any> = {
  meta: { description: "rkt, the application container runner.\n\nA CLI for running app containers on Linux." },
  subCommands: commands,
};

/** Finds the command a user typed: its path (["image","rm"]), definition and remaining argv. */
async function resolveCommand(argv: string[]) {
  const path: string[] = [];
  let cmd: CommandDef<any> = root;
  let rest = argv;
  for (;;) {
    if (!cmd.subCommands) break;
    const idx = rest.findIndex((a) => !a.startsWith("-"));
    if (idx < 0 || rest.slice(0, idx).includes("--")) break;
    const name = rest[idx]!;
    const sub = await subCommand(cmd, name);
    if (!sub) throw new UsageError(`unknown command "${name}" for "rkt${path.map((p) => " " + p).join("")}"`);
    path.push(name);
    cmd = sub;
    rest = [...rest.slice(0, idx), ...rest.slice(idx + 1)];
  }
  return { path, cmd, rest };
}

async function main(argv: string[]): Promise<number> {
  mark("main");
  if (argv[0]?.startsWith("_stage1-")) {
    const { dispatch } = await import("../stage1/entrypoints/table.ts");
    return dispatch(argv);
  }
  let path: string[] = [];
  let cmd: CommandDef<any> = root;
  try {
    const { globals, rest: afterGlobals } = splitGlobals(argv);
    setDebug(globals.debug);
    setGlobals(globals);
    if (POD_STARTERS.has(afterGlobals.find((a) => !a.startsWith("-")) ?? "")) {
      import("../stage1/cgroups/setup.ts").then((m) => m.primeCgroupMigration()).catch(() => {});
    }
    const resolved = await resolveCommand(afterGlobals);
    ({ path, cmd } = resolved);
    const rest = resolved.rest;
    const beforeDashes = rest.slice(0, rest.includes("--") ? rest.indexOf("--") : rest.length);
    if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
      writeStdout(await renderHelp(path, cmd, path.length === 0 ? summaries : undefined));
      return 0;
    }
    if (path.length === 0 || (cmd.subCommands && !cmd.run)) {
      writeStderr(await renderHelp(path, cmd, path.length === 0 ? summaries : undefined));
      return 2;
    }
    let rawArgs = rest;
    if (!SELF_PARSED.has(path[0]!)) {
      const args = (typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {};
      checkFlags(rest, args);
      rawArgs = forCitty(rest, args);
    }
    mark("command loaded");
    const result = await runResolved(path[0]!, cmd, rawArgs);
    return typeof result === "number" ? result : 0;
  } catch (err) {
    writeStderr(formatError(err) + "\n");
    if (err instanceof UsageError) writeStderr(`Usage: ${await usageLine(path, cmd)}\n`);
    return err instanceof RktError ? err.exitCode : 254;
  }
}

main(process.argv.slice(2)).then((code) => {
  mark("end");
  for (const l of traceLines()) writeStderr(l + "\n");
  process.exitCode = code;
});
