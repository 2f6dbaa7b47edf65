// The stage1 parts of rkt's configuration (rkt/config/config.go, layout.md §3): `stage1.d` (the
// default stage1's name+version and location) and `paths.d`'s `stage1-images` directory. Later
// config directories override earlier ones field group by field group; one directory defining a
// field twice is an error, as in rkt.
import { isAbsolute } from "../posix-path.ts";
import { ConfigError, readConfigFiles, type ConfigDirs, type ConfigFile } from "../config/config-files.ts";

/** The merged `stage1.d` entries; each field is unset when no file sets it. */
export interface Stage1Config {
  name?: string;
  version?: string;
  location?: string;
}

const LOCATION_SCHEMES = ["docker", "file", "http", "https"];

function field(file: ConfigFile, key: string): string | undefined {
  const v = file.body[key];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw new ConfigError(`cannot read configuration "${file.path}": expected "${key}" to be a string`);
  return v;
}

/** rkt's validateStage1V1: name and version come in pairs; a location is absolute or a URL of a known scheme. */
function parseStage1File(file: ConfigFile): Stage1Config {
  const bad = (why: string) => new ConfigError(`cannot read configuration "${file.path}": ${why}`);
  const name = field(file, "name");
  const version = field(file, "version");
  const location = field(file, "location");
  if (!name && version) throw bad("default stage1 image version specified, but name is missing");
  if (name && !version) throw bad("default stage1 image name specified, but version is missing");
  if (location && !isAbsolute(location)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1]?.toLowerCase();
    if (!scheme) throw bad("default stage1 image location is either a relative path or a URL without scheme");
    if (!LOCATION_SCHEMES.includes(scheme)) {
      throw bad(`default stage1 image location URL has invalid scheme "${scheme}", allowed schemes are ${LOCATION_SCHEMES.map((s) => `"${s}"`).join(", ")}`);
    }
  }
  return { name, version, location };
}

/** The stage1 configuration of every config directory, merged (system < local < user). */
export function loadStage1Config(dirs: ConfigDirs): Stage1Config {
  const merged: Stage1Config = {};
  for (const files of readConfigFiles(dirs, "stage1.d", ["stage1"])) {
    const dir: Stage1Config = {};
    for (const file of files) {
      const c = parseStage1File(file);
      if (c.name && dir.name) throw new ConfigError(`cannot read configuration "${file.path}": name and version of a default stage1 image are already specified`);
      if (c.location && dir.location) throw new ConfigError(`cannot read configuration "${file.path}": location of a default stage1 image is already specified`);
      if (c.name) Object.assign(dir, { name: c.name, version: c.version });
      if (c.location) dir.location = c.location;
    }
    if (dir.name) Object.assign(merged, { name: dir.name, version: dir.version });
    if (dir.location) merged.location = dir.location;
  }
  return merged;
}

/** `paths.d`'s `stage1-images` directory, if any config directory sets it. */
export function configuredStage1ImagesDir(dirs: ConfigDirs): string | undefined {
  let found: string | undefined;
  for (const files of readConfigFiles(dirs, "paths.d", ["paths"])) {
    let dir: string | undefined;
    for (const file of files) {
      const v = field(file, "stage1-images");
      if (v === undefined) continue;
      if (dir !== undefined) throw new ConfigError(`cannot read configuration "${file.path}": stage1 images directory is already specified`);
      dir = v;
    }
    found = dir ?? found;
  }
  return found;
}
