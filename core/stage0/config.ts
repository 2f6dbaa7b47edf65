// `rkt config`: the stage0 configuration in effect, merged from the system, local and user config
// directories as rkt/config/config.go prints it: one entry per auth domain and Docker registry (the
// winning file's credentials), then paths and the default stage1.
import { loadAuthConfig } from "../config/auth.ts";
import { readConfigFiles } from "../config/config-files.ts";
import type { GlobalOptions } from "../config/options.ts";
import { rktVersion } from "../version.ts";
import { DEFAULT_IMAGE_NAME } from "./stage1-image.ts";
import { configuredStage1ImagesDir, loadStage1Config } from "./stage1-config.ts";
import { DEFAULT_STAGE1_IMAGES_DIR } from "./stage1-select.ts";

type Entry = Record<string, unknown>;

/** Every entry of the merged configuration, in rkt's order. */
export function stage0Config(g: GlobalOptions): Entry[] {
  loadAuthConfig(g); // refuses invalid auth.d files with rkt's messages before anything is printed
  const auth = new Map<string, Entry>();
  const docker = new Map<string, Entry>();
  for (const files of readConfigFiles(g, "auth.d", ["auth", "dockerAuth"])) {
    for (const { kind, body } of files) {
      const [names, into, field] = kind === "auth" ? [body.domains, auth, "domains"] : [body.registries, docker, "registries"];
      for (const name of (names as string[]).map((n) => n.toLowerCase())) {
        const { domains: _d, registries: _r, ...rest } = body;
        into.set(name, { ...rest, [field]: [name] });
      }
    }
  }
  const stage1 = loadStage1Config(g);
  return [
    ...auth.values(),
    ...docker.values(),
    { rktVersion: "v1", rktKind: "paths", data: g.dir, "stage1-images": configuredStage1ImagesDir(g) ?? DEFAULT_STAGE1_IMAGES_DIR },
    {
      rktVersion: "v1",
      rktKind: "stage1",
      name: stage1.name ?? DEFAULT_IMAGE_NAME,
      version: stage1.version ?? rktVersion(),
      ...(stage1.location ? { location: stage1.location } : {}),
    },
  ];
}
