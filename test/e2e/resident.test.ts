// The rkt process that stays beside a running pod (DESIGN.md §3: its memory is the pod's cost):
// none of Bun's I/O thread-pool threads (they would stay for the pod's lifetime), and no zombie
// child (the cgroup migration prime is reaped), on the host's network and on rkt's default one.
// For an image in the store: fetching one on the way reads files on that pool (Bun's file I/O).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";
import { startPod } from "./stage1-helpers.ts";

let dir: string;
let aci: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-resident-"));
  aci = join(dir, "busybox.aci");
  await busyboxAci(aci);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Names of the threads of process `pid`. */
function threads(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim());
}

/** The states of the children of process `pid` ("S", "Z", …). */
function childStates(pid: number): string[] {
  const kids = readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(" ").filter(Boolean));
  return kids.map((k) => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${k}/status`, "utf8"))?.[1] ?? "?");
}

describe.skipIf(!!requires("root", "busybox", "cni-plugins", "iptables"))("the process beside a running pod", () => {
  for (const net of ["host", "default"]) {
    test(`--net=${net}: no thread-pool threads, no zombie child`, async () => {
      using ctx = rktContext("rkt-e2e-resident");
      // by name, from the store: an image read during the run leaves the pool to the file reads
      expect(ctx.rkt(["--insecure-options=image", "fetch", aci]).code).toBe(0);
      const { proc } = await startPod(ctx, [`--net=${net}`, "example.com/busybox", "--exec=/bin/sleep", "--", "30"], { ready: true });
      try {
        // past stage1's first moment, 0.5 s after the apps started (when it reaps the cgroup prime
        // and shrinks its heap); a loaded host may delay that moment, so it gets 3 s
        const settled = () => [threads(proc.pid).filter((t) => t.startsWith("Bun Pool")), childStates(proc.pid)];
        for (let i = 0; i < 30 && JSON.stringify(settled()) !== JSON.stringify([[], ["S"]]); i++) await Bun.sleep(100);
        const [pool, children] = settled();
        expect(pool).toEqual([]);
        expect(children).toEqual(["S"]); // the pod's PID 1, waiting
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    });
  }
});
