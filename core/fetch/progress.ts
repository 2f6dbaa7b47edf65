// A download progress line on a TTY (seed README: fetch shows progress): bytes, total, rate, ETA.
// Silent when stderr is not a terminal or the input is small, so logs and tests stay clean.
import { stderrIsTerminal, writeStderr } from "../../ffi/stdio.ts";

const MIN_BYTES = 4 * 2 ** 20;
const INTERVAL_MS = 100;

function human(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Wraps a byte stream so that reading it draws progress for `label` on stderr. */
export async function* withProgress(src: AsyncIterable<Uint8Array>, label: string, total?: number): AsyncIterable<Uint8Array> {
  const tty = stderrIsTerminal() && (total === undefined || total >= MIN_BYTES);
  const start = performance.now();
  let done = 0;
  let last = 0;
  const draw = (final: boolean) => {
    const secs = (performance.now() - start) / 1000;
    const rate = done / Math.max(secs, 0.001);
    let line = `${label}: ${human(done)}`;
    if (total) {
      const frac = Math.min(1, done / total);
      const width = 30;
      const bar = "=".repeat(Math.round(frac * width)).padEnd(width);
      const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
      line = `${label}: [${bar}] ${human(done)}/${human(total)} ${human(rate)}/s${final ? "" : ` ETA ${eta.toFixed(0)}s`}`;
    } else {
      line += ` ${human(rate)}/s`;
    }
    writeStderr(`\r\x1b[K${line}${final ? "\n" : ""}`);
  };
  for await (const chunk of src) {
    done += chunk.length;
    if (tty && performance.now() - last > INTERVAL_MS) {
      last = performance.now();
      draw(false);
    }
    yield chunk;
  }
  if (tty && done >= MIN_BYTES) draw(true);
}
