// Runs a network tool for stage1 (a CNI plugin, iptables) with its stdin, stdout and stderr in
// anonymous files, not pipes, and waits for it on the event loop. Bun closes a pipe it has read to
// its end on its thread pool, and spawnSync starts that pool too: its two threads would then stay
// beside the running pod (~0.2 MiB, measured).
import { closeSync, fstatSync, readSync, writeSync } from "node:fs";
import { memfd } from "../../ffi/fs.ts";

export interface Captured {
  /** the exit status, or 128 + the signal's number */
  code: number;
  /** the signal that ended it, if one did */
  signal?: string;
  stdout: string;
  stderr: string;
}

/** Runs `argv` with `stdin` as its input (none when undefined) and `env`; resolves once it has exited. */
export async function execCaptured(argv: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Captured> {
  const [input, out, err] = [memfd("stdin"), memfd("stdout"), memfd("stderr")];
  try {
    // at offset 0 (pwrite): the child, which shares the file's offset, reads it from the start
    if (opts.stdin !== undefined) writeSync(input, opts.stdin, 0);
    const p = Bun.spawn(argv, { stdin: input, stdout: out, stderr: err, env: opts.env });
    const code = await p.exited;
    return { code, signal: p.signalCode === null ? undefined : String(p.signalCode), stdout: contents(out), stderr: contents(err) };
  } finally {
    for (const fd of [input, out, err]) closeSync(fd);
  }
}

/** What an anonymous file holds, from its start. */
function contents(fd: number): string {
  const buf = Buffer.alloc(fstatSync(fd).size);
  readSync(fd, buf, 0, buf.length, 0);
  return buf.toString();
}
