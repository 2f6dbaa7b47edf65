// flock(2)-based locks as rkt's pkg/lock: on a file or directory fd, exclusive or shared, and always
// Disposable. Waiting never blocks the event loop: LOCK_NB plus a short poll (STYLE.md §9).
import { closeFd, flock, LOCK, O, openFd } from "../ffi/fs.ts";
import { mkdirSync, openSync, closeSync } from "../ffi/sync-fs.ts";
import { dirname } from "./posix-path.ts";

export interface FileLock extends Disposable {
  readonly fd: number;
  readonly path: string;
  release(): void;
}

function wrap(fd: number, path: string): FileLock {
  let open = true;
  const release = () => {
    if (open) {
      open = false;
      closeFd(fd);
    }
  };
  return { fd, path, release, [Symbol.dispose]: release };
}

function openForLock(path: string, create: boolean): number {
  if (create) {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, "a"));
  }
  // O_RDONLY works for both files and directories (rkt locks pod directories this way).
  return openFd(path, O.O_RDONLY | O.O_CLOEXEC);
}

/** Tries to take the lock at once; undefined when someone else holds it. */
export function tryLock(path: string, opts: { shared?: boolean; create?: boolean } = {}): FileLock | undefined {
  const fd = openForLock(path, opts.create ?? false);
  if (flock(fd, (opts.shared ? LOCK.LOCK_SH : LOCK.LOCK_EX) | LOCK.LOCK_NB, path)) return wrap(fd, path);
  closeFd(fd);
  return undefined;
}

/** Takes the lock, polling every `pollMs` while another process holds it. */
export async function lock(path: string, opts: { shared?: boolean; create?: boolean; pollMs?: number } = {}): Promise<FileLock> {
  const fd = openForLock(path, opts.create ?? false);
  const op = (opts.shared ? LOCK.LOCK_SH : LOCK.LOCK_EX) | LOCK.LOCK_NB;
  try {
    while (!flock(fd, op, path)) await Bun.sleep(opts.pollMs ?? 20);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  return wrap(fd, path);
}
