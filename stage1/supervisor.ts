// The pod's app policy, on top of the PID 1 shim (ffi/c/spawn.c does the forking and reaping):
// each app runs its pre-start handler, then its exec, then its post-stop handler; each app's exit
// code is recorded; the first app to fail stops the others (SIGTERM, SIGKILL after a grace period)
// and its code becomes the pod's (layout.md §5). Pure logic: I/O comes in through `Actions`.
import type { InitEvent } from "../ffi/spawn.ts";

/** Indexes into the PID 1 spec table for one app. */
export interface AppSpecs {
  name: string;
  main: number;
  preStart?: number;
  postStop?: number;
}

/** What the supervisor asks the outside world to do. */
export interface Actions {
  start(idx: number): void;
  signal(idx: number, signo: number): void;
  signalAll(signo: number): void;
  writeStatus(app: string, code: number): void;
  /** an app could not be started; `message` says why */
  report(message: string): void;
  /** call `fn` after `ms` (the SIGKILL grace period) */
  later(ms: number, fn: () => void): void;
  /** a better reason than `step: code` why spec `idx` could not start, when there is one */
  explain?(idx: number, step: string, code: string): string | undefined;
}

type Phase = "pre-start" | "main" | "post-stop" | "done";

const SIGTERM = 15;
const SIGKILL = 9;

/** Exit code of a raw wait(2) status: the code, or 128 + signal as a shell reports it. */
export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}

export class Supervisor {
  private readonly phase = new Map<string, Phase>();
  private firstFailure: number | undefined;
  private stopping = false;

  constructor(
    private readonly apps: readonly AppSpecs[],
    private readonly act: Actions,
    private readonly killGraceMs = 10_000,
  ) {}

  /** Starts every app (or its pre-start handler). */
  begin(): void {
    for (const app of this.apps) {
      if (app.preStart !== undefined) this.enter(app, "pre-start", app.preStart);
      else this.enter(app, "main", app.main);
    }
  }

  /** True once every app and its handlers have finished. */
  get done(): boolean {
    return this.apps.every((a) => this.phase.get(a.name) === "done");
  }

  /** The pod's exit code: the first failing app's, else 0. */
  get exitCode(): number {
    return this.firstFailure ?? 0;
  }

  /** Feeds one event from PID 1. */
  handle(ev: InitEvent): void {
    if (ev.kind === "start-failed") {
      const app = this.owner(ev.idx);
      const why = this.act.explain?.(ev.idx, ev.step, ev.code) ?? `${ev.step}: ${ev.code}`;
      this.act.report(`cannot start ${this.role(ev.idx)} of app "${app?.name}": ${why}`);
      // a failed fork produces no exit; every other step ends in an exit (127) of the child
      if (ev.step === "fork" && app) this.exited(app, ev.idx, 254);
      return;
    }
    if (ev.kind === "exited") {
      const app = this.owner(ev.idx);
      if (app) this.exited(app, ev.idx, exitCodeOf(ev.status));
    }
  }

  /** Asks every running app to stop (rkt stop, or the pod failing). */
  stopAll(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const app of this.apps) if (this.phase.get(app.name) === "main") this.act.signal(app.main, SIGTERM);
    this.act.later(this.killGraceMs, () => {
      if (!this.done) this.act.signalAll(SIGKILL);
    });
  }

  private enter(app: AppSpecs, phase: Phase, idx?: number): void {
    this.phase.set(app.name, phase);
    if (idx !== undefined) this.act.start(idx);
  }

  private exited(app: AppSpecs, idx: number, code: number): void {
    const phase = this.phase.get(app.name);
    if (phase === "pre-start" && idx === app.preStart) {
      if (code === 0 && !this.stopping) return this.enter(app, "main", app.main);
      this.finishMain(app, code);
    } else if (phase === "main" && idx === app.main) {
      this.finishMain(app, code);
    } else if (phase === "post-stop" && idx === app.postStop) {
      this.phase.set(app.name, "done");
    }
  }

  private finishMain(app: AppSpecs, code: number): void {
    this.act.writeStatus(app.name, code);
    if (app.postStop !== undefined) this.enter(app, "post-stop", app.postStop);
    else this.phase.set(app.name, "done");
    if (code !== 0 && this.firstFailure === undefined) {
      this.firstFailure = code;
      this.stopAll();
    }
  }

  private owner(idx: number): AppSpecs | undefined {
    return this.apps.find((a) => a.main === idx || a.preStart === idx || a.postStop === idx);
  }

  private role(idx: number): string {
    const app = this.owner(idx);
    return idx === app?.preStart ? "the pre-start handler" : idx === app?.postStop ? "the post-stop handler" : "the exec";
  }
}
