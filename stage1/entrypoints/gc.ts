// The built-in stage1 `gc` entrypoint (coreos.com/rkt/stage1/gc, `[--debug] [--local-config DIR]
// UUID`, cwd = pod directory): frees what a pod holds outside its directory. The built-in stage1
// keeps nothing outside it yet (host or no network, no cgroups of its own): its mounts live in the
// pod's mount namespace and die with it, so there is nothing to do.
// TODO(#3): network namespaces and cgroups, once stage1 creates them.

/** Always succeeds: nothing outside the pod directory to free. */
export function main(_argv: string[], _podDir = process.cwd()): number {
  return 0;
}
