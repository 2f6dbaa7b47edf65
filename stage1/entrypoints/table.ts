// Hidden entrypoints of the rkt binary that implement the stage1 interface (rkt's
// Documentation/devel/stage1-implementors-guide.md). cmd/main.ts dispatches `_stage1-<name>` here
// before citty or any command module loads, so the stage1 start-up path stays minimal.

type Entrypoint = (argv: string[]) => number | Promise<number>;

const entrypoints: Record<string, () => Promise<Entrypoint>> = {
  run: () => import("./run.ts").then((m) => (argv: string[]) => m.main(argv)),
};

/** Runs `_stage1-<name> args…`; an unknown name is an internal error (exit 254). */
export async function dispatch(argv: string[]): Promise<number> {
  const name = argv[0]!.slice("_stage1-".length);
  const load = entrypoints[name];
  if (!load) {
    process.stderr.write(`rkt: unknown stage1 entrypoint "${name}"\n`);
    return 254;
  }
  return (await load())(argv.slice(1));
}
