// rkt's own output on its standard output and error: whole write(2)s, done when the call returns,
// so nothing waits in a buffer at exit and lines keep their order beside a pod's output on the same
// files. Bun's process.stdout and process.stderr are node streams made on first use, which loads
// node's stream modules: with them `rkt version` took 10.3 ms and `rkt image list` of 50 images
// 16.5, without 8.4 and 13.2 (the compiled binary, medians of 25 runs).
import { ptr } from "bun:ffi";
import { EAGAIN, EINTR, POLLOUT } from "./constants.ts";
import { errno, libc } from "./libc.ts";

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length; ) {
    const n = Number(libc.write(fd, ptr(bytes, off), bytes.length - off));
    if (n >= 0) {
      off += n;
      continue;
    }
    const e = errno();
    // a non-blocking file shared with the caller (its pipe or terminal): wait until it takes more
    if (e === EAGAIN) libc.poll(ptr(new Int32Array([fd, POLLOUT])), 1, -1);
    // closed or broken (EPIPE, EBADF): output nobody reads is dropped
    else if (e !== EINTR) return;
  }
}

/** Writes `text` to standard output. */
export function writeStdout(text: string): void {
  writeAll(1, text);
}

/** Writes `text` to standard error. */
export function writeStderr(text: string): void {
  writeAll(2, text);
}

/** Whether standard error is a terminal (progress lines are drawn only there). */
export function stderrIsTerminal(): boolean {
  return libc.isatty(2) === 1;
}
