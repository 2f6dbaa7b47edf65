// Go's time.ParseDuration syntax ("24h0m0s", "30m", "1.5h", "0s"), which rkt's flags take.
import { UsageError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go duration string; a usage error naming `flag` otherwise. */
export function parseDuration(v: string, flag: string): number {
  const s = v.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += parseFloat(m[1]!) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new UsageError(`invalid duration "${v}" for --${flag}: expected e.g. 30m, 24h0m0s`);
  return total;
}
