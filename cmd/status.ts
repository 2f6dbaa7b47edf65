// `rkt status [--wait[=DURATION]] [--wait-ready[=DURATION]] [--format=json] (UUID | --uuid-file=F)`.
import { defineCommand } from "citty";
import { parseDuration } from "../core/duration.ts";
import { readGivenFile, UsageError } from "../core/errors.ts";
import { formatNetInfo } from "../core/networks.ts";
import { isExited, stateName } from "../core/pods/state.ts";
import { podJson, podStatus, waitPod } from "../core/stage0/status.ts";
import { fullTime, json } from "./_output.ts";
import { formatArg, getGlobals, outputFormat, parseBool, positionals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

/** `--wait` values: a bool or a Go duration; undefined = do not wait, 0 = forever. */
function waitFor(v: unknown, flag: string): number | undefined {
  if (v === undefined || v === false || v === "false") return undefined;
  if (v === true || v === "") return 0;
  const s = String(v);
  if (/^(1|t|T|true|TRUE|True|0|f|F|FALSE|False)$/.test(s)) return parseBool(flag, s) ? 0 : undefined;
  return parseDuration(s, flag);
}

export default defineCommand({
  meta: { name: "status", description: "Check the status of a rkt pod" },
  args: {
    wait: { type: "string", description: "toggles waiting for the pod to exit; accepts a duration (e.g. 10s)", valueHint: "[=DURATION]" },
    "wait-ready": { type: "string", description: "toggles waiting until the pod is ready; accepts a duration", valueHint: "[=DURATION]" },
    "uuid-file": { type: "string", description: "read pod UUID from file instead of argument" },
    ...formatArg,
    uuid: { type: "positional", required: false, valueHint: "UUID" },
  },
  async run({ args }) {
    const format = outputFormat(args.format);
    const pos = positionals(args);
    const uuid = args["uuid-file"] ? readGivenFile(args["uuid-file"], "--uuid-file").trim() : pos[0];
    if (!uuid || pos.length > (args["uuid-file"] ? 0 : 1)) throw new UsageError("status needs exactly one pod UUID (or --uuid-file)");
    const g = getGlobals();
    const wait = waitFor(args.wait, "wait");
    const ready = waitFor(args["wait-ready"], "wait-ready");
    const p = wait !== undefined ? await waitPod(g, uuid, "exited", wait) : ready !== undefined ? await waitPod(g, uuid, "ready", ready) : podStatus(g, uuid);
    if (format) return void writeStdout(json(podJson(p), format));
    const lines = [`state=${stateName(p.state)}`];
    if (p.created) lines.push(`created=${fullTime(p.created)}`);
    if (p.started) lines.push(`started=${fullTime(p.started)}`);
    if (p.state === "running" || p.state === "exited") lines.push(`networks=${formatNetInfo(p.networks)}`);
    if (p.state === "running") lines.push(`pid=${p.pid ?? -1}`, "exited=false");
    if (isExited(p.state)) {
      lines.push("exited=true");
      for (const [app, code] of Object.entries(p.appExitCodes)) lines.push(`app-${app}=${code}`);
    }
    writeStdout(lines.join("\n") + "\n");
  },
});
