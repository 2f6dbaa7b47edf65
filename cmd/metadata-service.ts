// `rkt metadata-service [--listen-port=PORT]`: serves the appc metadata API to pods registered with
// `rkt run --mds-register` until SIGINT or SIGTERM (rkt/metadata_service.go), logging as rkt's.
import { defineCommand } from "citty";
import { UsageError } from "../core/errors.ts";
import { stderr } from "../core/log.ts";
import { MDS_PORT, mdsListenHost, mdsSocketPath } from "../core/mds/endpoint.ts";
import { startMetadataService } from "../core/mds/server.ts";

export default defineCommand({
  // rkt's long description, which its --help showed
  meta: { name: "metadata-service", description: "Provides a means for running apps to introspect their execution environment and assert their identity." },
  args: {
    "listen-port": { type: "string", description: "listen port", default: String(MDS_PORT), valueHint: "PORT" },
  },
  async run({ args }) {
    const port = Number(args["listen-port"]);
    if (!/^\d+$/.test(args["listen-port"]) || port > 65535) throw new UsageError(`invalid --listen-port "${args["listen-port"]}": expected a port number`);
    stderr("metadata service starting...");
    const service = startMetadataService({ port, host: mdsListenHost(), socketPath: mdsSocketPath(), log: stderr });
    stderr("metadata service running...");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    stderr("metadata service exiting...");
    service.stop();
    return 0;
  },
});
