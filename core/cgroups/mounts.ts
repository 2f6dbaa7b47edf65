// A process's mounts, from its /proc/<pid>/mountinfo (proc(5)), and the host directory of a cgroup
// path in a cgroup mount. Pure.

/** One line of /proc/<pid>/mountinfo, split into the fields cgroup discovery needs. */
export interface MountInfo {
  /** the directory of the filesystem that is mounted (field 4) */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

const decode = (s: string) => (s.includes("\\") ? s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))) : s);

/** Parses one line of /proc/<pid>/mountinfo (octal escapes decoded). */
export function parseMountLine(line: string): MountInfo {
  const [pre, post = ""] = line.split(" - ");
  const f = pre!.split(" ");
  const [fsType = "", , opts = ""] = post.split(" ");
  return { root: decode(f[3] ?? ""), mountPoint: decode(f[4] ?? ""), fsType, superOptions: opts.split(",") };
}

/** The host directory of cgroup `path` in a hierarchy mounted at `m` (which may show only a subtree). */
export function cgroupDir(m: MountInfo, path: string): string {
  const rel = m.root === "/" ? path : path.startsWith(m.root) ? path.slice(m.root.length) : path;
  return (m.mountPoint + "/" + rel).replace(/\/+/g, "/").replace(/\/$/, "");
}
