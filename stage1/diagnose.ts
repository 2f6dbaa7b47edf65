// Why an app's execve(2) found nothing (rkt's diagexec, TestDiagnostic): ENOENT says neither whether
// the program itself is missing or the interpreter it names, the ELF one (PT_INTERP, the dynamic
// loader) or a script's #! line. Looked up as the app sees its rootfs, volumes included.
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { resolveInRoot } from "./plan/rootpath.ts";

const PT_INTERP = 3;

/** Reads `length` bytes of file `fd` at `offset` (fewer at its end). */
function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  return buf.subarray(0, readSync(fd, buf, 0, length, offset));
}

/** The interpreter a file asks the kernel for: its ELF PT_INTERP, or the program of its `#!` line. */
function interpreterOf(file: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const head = readAt(fd, 0, 256);
    if (head.subarray(0, 2).toString() === "#!") return head.toString("latin1", 2).split("\n")[0]!.trim().split(/[ \t]+/)[0];
    if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46 || head[5] !== 1 /* little-endian */) return undefined;
    const wide = head[4] === 2; // ELFCLASS64
    const phoff = wide ? Number(head.readBigUInt64LE(0x20)) : head.readUInt32LE(0x1c);
    const phentsize = head.readUInt16LE(wide ? 0x36 : 0x2a);
    const phnum = head.readUInt16LE(wide ? 0x38 : 0x2c);
    const phdrs = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; (i + 1) * phentsize <= phdrs.length; i++) {
      const p = phdrs.subarray(i * phentsize);
      if (p.readUInt32LE(0) !== PT_INTERP) continue;
      const [offset, size] = wide ? [Number(p.readBigUInt64LE(8)), Number(p.readBigUInt64LE(32))] : [p.readUInt32LE(4), p.readUInt32LE(16)];
      return readAt(fd, offset, Math.min(size, 4096)).toString("latin1").replace(/\0.*$/s, "");
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * rkt's diagnosis of an exec that execve(2) could not find in the rootfs `root` (a host path):
 * `Error: Unable to open "<path>": No such file or directory` for the program or the interpreter
 * that is missing; undefined when both are there (or cannot be read).
 */
export function explainMissingExec(root: string, path: string): string | undefined {
  const missing = (p: string) => `Error: Unable to open "${p}": No such file or directory`;
  try {
    const file = resolveInRoot(root, path);
    if (!existsSync(file)) return missing(path);
    const interpreter = interpreterOf(file);
    return interpreter && !existsSync(resolveInRoot(root, interpreter)) ? missing(interpreter) : undefined;
  } catch {
    return undefined;
  }
}
