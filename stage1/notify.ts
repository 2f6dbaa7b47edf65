// sd_notify for pods that systemd runs as Type=notify services, as rkt's stage1 did it (nspawn's
// --notify-ready): with NOTIFY_SOCKET in rkt's environment, the pod tells systemd READY=1 once every
// app has started and each app whose image carries `appc.io/executor/supports-systemd-notify: true`
// has said READY=1 itself, on a socket of its own that stage1 binds into it at /run/systemd/notify.
import { closeSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageManifest } from "../core/schema/image-manifest.ts";
import { listenDgram, receiveDgram, sendDgram } from "../ffi/unix-dgram.ts";
import { notifySocketDir } from "./plan/mounts.ts";
import { writeStderr } from "../ffi/stdio.ts";

const ANNOTATION = "appc.io/executor/supports-systemd-notify";
/** how often stage1 reads the apps' sockets, until every app has said READY=1 */
const POLL_MS = 50;

/** Whether app `app`'s image (its manifest in pod `podDir`) says the app sends READY=1 (Go's ParseBool). */
export function supportsNotify(podDir: string, app: string): boolean {
  const manifest = JSON.parse(readFileSync(join(podDir, "stage1", "rootfs", "opt", "stage2", app, "manifest"), "utf8")) as ImageManifest;
  const value = manifest.annotations?.find((a) => a.name === ANNOTATION)?.value ?? "";
  return ["1", "t", "T", "true", "TRUE", "True"].includes(value);
}

/** Tells systemd (at `hostSocket`) READY=1 when the pod is up; see the file comment. */
export class PodNotifier {
  private appsStarted = false;
  /** app → its socket, until the app has said READY=1 */
  private readonly waiting = new Map<string, number>();
  private timer: Timer | undefined;
  private sent = false;

  /** `notifying`: the apps that say READY=1 themselves. */
  constructor(private readonly hostSocket: string, podDir: string, notifying: readonly string[]) {
    const dir = notifySocketDir(podDir);
    if (notifying.length) mkdirSync(dir, { recursive: true });
    for (const app of notifying) this.waiting.set(app, listenDgram(dir, app));
    if (this.waiting.size) this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** Every app's main process has started. */
  started(): void {
    this.appsStarted = true;
    this.guarded(() => this.maybeReady());
  }

  private poll(): void {
    this.guarded(() => {
      for (const [app, fd] of this.waiting) {
        for (let msg = receiveDgram(fd); msg !== undefined; msg = receiveDgram(fd)) {
          if (msg.split("\n").includes("READY=1")) {
            this.release(app);
            break;
          }
        }
      }
      this.maybeReady();
    });
  }

  /** Runs `fn`; a failure ends the notifications with a message, never the pod. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.stop();
      this.sent = true;
      writeStderr(`stage1: cannot tell systemd the pod is ready: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  private release(app: string): void {
    const fd = this.waiting.get(app);
    if (fd === undefined) return;
    this.waiting.delete(app);
    closeSync(fd);
  }

  private maybeReady(): void {
    if (this.sent || !this.appsStarted || this.waiting.size) return;
    this.sent = true;
    this.stop();
    sendDgram(this.hostSocket, "READY=1\nSTATUS=pod running\n");
  }

  /** Stops listening (the pod ended, or it is ready). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const app of [...this.waiting.keys()]) this.release(app);
  }
}
