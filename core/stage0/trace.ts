// Phase timings of the run path with RKT_TRACE set: each mark is the time since Bun started this
// process (performance.now()), printed by cmd/main.ts when the command ends. The run benchmark's
// tool for finding where `rkt run` spends its time (DESIGN.md §9); off, a mark is one branch.
const marks: [string, number][] | undefined = process.env.RKT_TRACE ? [] : undefined;

/** Records that `phase` ended now (no-op unless RKT_TRACE is set). */
export function mark(phase: string): void {
  marks?.push([phase, performance.now()]);
}

/** The recorded marks as `trace <ms> (+<delta>) <phase>` lines; empty when tracing is off. */
export function traceLines(): string[] {
  return (marks ?? []).map(([phase, t], i) => `trace ${t.toFixed(2).padStart(7)} (+${(t - (i ? marks![i - 1]![1] : 0)).toFixed(2)}) ${phase}`);
}
