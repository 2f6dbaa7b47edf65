// The `app` section (appc.md §3, schema/types/app.go): what an image runs by default, and what a
// pod manifest's app entry overrides it with. Shared by the image and pod manifest parsers.
// As appc's code (not its prose), `exec` may be absent or empty: rkt then needs `--exec`.
import { at, type Fields, rebuild } from "./fields.ts";
import { type Isolator, parseIsolators } from "./isolators.ts";
import { isEnvName } from "./types.ts";

export interface EnvironmentVariable {
  name: string;
  value: string;
}

export interface EventHandler {
  name: "pre-start" | "post-stop";
  exec: string[];
}

export interface MountPoint {
  name: string;
  path: string;
  readOnly?: boolean;
}

/** A port the app listens on; `count` (default 1) makes it a range. */
export interface Port {
  name: string;
  protocol: string;
  port: number;
  count: number;
  socketActivated: boolean;
}

export interface App {
  exec?: string[];
  eventHandlers?: EventHandler[];
  user: string;
  group: string;
  supplementaryGIDs?: number[];
  workingDirectory?: string;
  environment?: EnvironmentVariable[];
  mountPoints?: MountPoint[];
  ports?: Port[];
  isolators?: Isolator[];
  userAnnotations?: Record<string, string>;
  userLabels?: Record<string, string>;
}

function eventHandlers(f: Fields, v: unknown, path: string): EventHandler[] {
  const seen = new Set<string>();
  return f.list(v, path, (item, p) => {
    const o = f.object(item, p);
    const name = o.name;
    if (name !== "pre-start" && name !== "post-stop") f.fail(at(p, "name"), '"pre-start" or "post-stop"', name);
    if (seen.has(name)) f.fail(at(p, "name"), `one event handler "${name}" at most`, name);
    seen.add(name);
    return rebuild<EventHandler>(o, { name, exec: f.stringList(o.exec, at(p, "exec")) });
  });
}

function environment(f: Fields, v: unknown, path: string): EnvironmentVariable[] {
  const seen = new Set<string>();
  return f.list(v, path, (item, p) => {
    const o = f.object(item, p);
    const name = f.string(o.name, at(p, "name"));
    if (!isEnvName(name)) f.fail(at(p, "name"), "an environment variable name ([A-Za-z_][A-Za-z_0-9.-]*)", name);
    if (seen.has(name)) f.fail(at(p, "name"), "each variable once", name);
    seen.add(name);
    return rebuild<EnvironmentVariable>(o, { name, value: f.string(o.value, at(p, "value")) });
  });
}

function mountPoint(f: Fields, v: unknown, path: string): MountPoint {
  const o = f.object(v, path);
  return rebuild<MountPoint>(o, {
    name: f.acName(o.name, at(path, "name")),
    path: f.nonEmptyString(o.path, at(path, "path")),
    readOnly: f.optional(o.readOnly, at(path, "readOnly"), f.bool),
  });
}

/** Checks a port: 1–65535, the range inside it too; fills count = 1 and socketActivated = false. */
export function parsePort(f: Fields, v: unknown, path: string): Port {
  const o = f.object(v, path);
  const port = f.int(o.port, at(path, "port"), 1, 65535);
  const count = f.optional(o.count, at(path, "count"), f.uint) || 1;
  if (port + count > 65536) f.fail(at(path, "count"), `a range ending at or below 65535 (count <= ${65536 - port})`, count);
  return rebuild<Port>(o, {
    name: f.acName(o.name, at(path, "name")),
    protocol: f.string(o.protocol, at(path, "protocol")),
    port,
    count,
    socketActivated: f.optional(o.socketActivated, at(path, "socketActivated"), f.bool) ?? false,
  });
}

/** Checks an app section: user and group required, workingDirectory absolute, lists as appc requires. */
export function parseApp(f: Fields, v: unknown, path: string): App {
  const o = f.object(v, path);
  const p = (key: string) => at(path, key);
  return rebuild<App>(o, {
    exec: f.optional(o.exec, p("exec"), f.stringList),
    eventHandlers: f.optional(o.eventHandlers, p("eventHandlers"), (x, q) => eventHandlers(f, x, q)),
    user: f.nonEmptyString(o.user, p("user")),
    group: f.nonEmptyString(o.group, p("group")),
    supplementaryGIDs: f.optional(o.supplementaryGIDs, p("supplementaryGIDs"), (x, q) => f.list(x, q, f.uint)),
    workingDirectory: o.workingDirectory === "" ? "" : f.optional(o.workingDirectory, p("workingDirectory"), f.absPath),
    environment: f.optional(o.environment, p("environment"), (x, q) => environment(f, x, q)),
    mountPoints: f.optional(o.mountPoints, p("mountPoints"), (x, q) => f.list(x, q, (m, mq) => mountPoint(f, m, mq))),
    ports: f.optional(o.ports, p("ports"), (x, q) => f.list(x, q, (m, mq) => parsePort(f, m, mq))),
    isolators: f.optional(o.isolators, p("isolators"), (x, q) => parseIsolators(f, x, q)),
    userAnnotations: f.optional(o.userAnnotations, p("userAnnotations"), f.stringMap),
    userLabels: f.optional(o.userLabels, p("userLabels"), f.stringMap),
  });
}
