// `rkt version`: rkt's lines, with Bun where rkt printed Go.
import { defineCommand } from "citty";
import { versionInfo } from "../core/version.ts";
import { writeStdout } from "../ffi/stdio.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the version and exit" },
  run() {
    const v = versionInfo();
    writeStdout(
      `rkt Version: ${v.rkt}\nappc Version: ${v.appc}\nBun Version: ${v.bun}\nOS/Arch: ${v.osArch}\nFeatures: ${v.features}\n`,
    );
  },
});
