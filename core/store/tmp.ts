// Temporary import work areas in cas/tmp. Each holds a flock on its `.lock` file while alive, so a
// later import can tell an abandoned area (its importer was killed) from a live one and sweep it.
import { closeSync, openSync, readdirSync, renameSync, rmSync } from "../../ffi/sync-fs.ts";
import { join } from "../posix-path.ts";
import { tryLock, type FileLock } from "../lock.ts";

export interface TmpArea extends Disposable {
  /** where the uncompressed tar is written */
  blob: string;
  /** a directory for a tree rendered during the import */
  tree: string;
}

/** A fresh, locked work area in `casTmp`. Disposal removes all of it. */
export function createTmpArea(casTmp: string): TmpArea {
  const id = `${process.pid}-${crypto.randomUUID()}`;
  const base = join(casTmp, id);
  // Locked before it gets the name the sweeper looks for, so no sweeper can take it for abandoned.
  closeSync(openSync(`${base}.locking`, "wx", 0o600));
  const held: FileLock = tryLock(`${base}.locking`)!;
  renameSync(`${base}.locking`, `${base}.lock`);
  return {
    blob: `${base}.blob`,
    tree: `${base}.tree`,
    [Symbol.dispose]() {
      rmSync(`${base}.blob`, { force: true });
      rmSync(`${base}.tree`, { recursive: true, force: true });
      rmSync(`${base}.lock`, { force: true });
      held.release();
    },
  };
}

/** Removes work areas whose importer is gone (their lock is free). */
export function sweepTmp(casTmp: string): void {
  let names: string[];
  try {
    names = readdirSync(casTmp);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith(".lock")) continue;
    const base = join(casTmp, name.slice(0, -".lock".length));
    const l = tryLock(`${base}.lock`);
    if (!l) continue;
    try {
      rmSync(`${base}.blob`, { force: true });
      rmSync(`${base}.tree`, { recursive: true, force: true });
      rmSync(`${base}.lock`, { force: true });
    } finally {
      l.release();
    }
  }
}
