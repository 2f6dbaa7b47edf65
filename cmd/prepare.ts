// `rkt prepare [flags] IMAGE…`: prepare a pod for run-prepared and print its UUID.
import { defineCommand } from "citty";
import { ensureSuperuser } from "../core/stage0/root.ts";
import { dataPaths } from "../core/paths.ts";
import { movePod } from "../core/pods/lifecycle.ts";
import { preparePod } from "../core/stage0/prepare.ts";
import { APP_FLAGS } from "./_apps.ts";
import { parsePodArgs, PREPARE_FLAGS } from "./_pod-args.ts";
import { getGlobals } from "./_shared.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "prepare", description: "Prepare to run image(s) in a pod in rkt" },
  args: {
    ...PREPARE_FLAGS,
    ...APP_FLAGS,
    quiet: { type: "boolean", description: "suppress superfluous output on stdout, print only the UUID on success" },
    image: { type: "positional", required: false, valueHint: "IMAGE [-- image-args...[---]]..." },
  },
  async run({ rawArgs }) {
    ensureSuperuser();
    const g = getGlobals();
    const { prepare } = parsePodArgs(rawArgs, false);
    const pod = await preparePod(g, prepare);
    movePod(dataPaths(g.dir), pod, "prepared").lock.release();
    writeStdout(pod.uuid + "\n");
  },
});
