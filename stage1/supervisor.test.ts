import { describe, expect, test } from "bun:test";
import { exitCodeOf, Supervisor, type Actions } from "./supervisor.ts";

function recorder() {
  const log: string[] = [];
  const pending: (() => void)[] = [];
  const act: Actions = {
    start: (i) => log.push(`start ${i}`),
    signal: (i, s) => log.push(`signal ${i} ${s}`),
    signalAll: (s) => log.push(`signalAll ${s}`),
    writeStatus: (a, c) => log.push(`status ${a}=${c}`),
    report: (m) => log.push(`report ${m}`),
    later: (_ms, fn) => pending.push(fn),
  };
  return { log, pending, act };
}
const exited = (idx: number, code: number) => ({ kind: "exited" as const, idx, pid: 10 + idx, status: code << 8 });

describe("Supervisor", () => {
  test("runs pre-start, the app, then post-stop, and records the app's code", () => {
    const r = recorder();
    const s = new Supervisor([{ name: "a", preStart: 0, main: 1, postStop: 2 }], r.act);
    s.begin();
    s.handle(exited(0, 0));
    s.handle(exited(1, 0));
    expect(s.done).toBe(false);
    s.handle(exited(2, 0));
    expect(s.done).toBe(true);
    expect(s.exitCode).toBe(0);
    expect(r.log).toEqual(["start 0", "start 1", "status a=0", "start 2"]);
  });

  test("the first failing app stops the others and gives the pod its code", () => {
    const r = recorder();
    const s = new Supervisor([{ name: "a", main: 0 }, { name: "b", main: 1 }], r.act);
    s.begin();
    s.handle(exited(1, 5));
    expect(r.log).toEqual(["start 0", "start 1", "status b=5", "signal 0 15"]);
    r.pending.forEach((f) => f());
    expect(r.log.at(-1)).toBe("signalAll 9");
    s.handle({ kind: "exited", idx: 0, pid: 10, status: 15 });
    expect(s.done).toBe(true);
    expect(s.exitCode).toBe(5);
    expect(r.log).toContain("status a=143");
  });

  test("a failing pre-start handler fails its app without starting it", () => {
    const r = recorder();
    const s = new Supervisor([{ name: "a", preStart: 0, main: 1 }], r.act);
    s.begin();
    s.handle(exited(0, 2));
    expect(r.log).toEqual(["start 0", "status a=2"]);
    expect(s.exitCode).toBe(2);
    expect(s.done).toBe(true);
  });

  test("reports exec failures, then the child's exit 127 ends the app", () => {
    const r = recorder();
    const s = new Supervisor([{ name: "a", main: 0 }], r.act);
    s.begin();
    s.handle({ kind: "start-failed", idx: 0, step: "execve", errno: 2, code: "ENOENT" });
    s.handle(exited(0, 127));
    expect(r.log[1]).toBe('report cannot start the exec of app "a": execve: ENOENT');
    expect(s.exitCode).toBe(127);
  });
});

test("exitCodeOf decodes wait statuses", () => {
  expect(exitCodeOf(3 << 8)).toBe(3);
  expect(exitCodeOf(9)).toBe(137);
});
