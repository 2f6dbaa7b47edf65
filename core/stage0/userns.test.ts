import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseInsecureOptions } from "../config/options.ts";
import { stage1RunArgs } from "./run.ts";
import { formatUidRange, parseUidRange } from "../pods/uid-range.ts";
import { checkPrivateUsersOverlay, DEFAULT_RANGE_COUNT, randomUidRange, readUidRange, recordUidRange } from "./userns.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("private users range", () => {
  test("a random multiple of 65536 from 65536 to 0x7fff0000, 65536 IDs, as rkt's SetRandomUidRange", () => {
    expect(randomUidRange(() => 0)).toEqual({ shift: 0x10000, count: DEFAULT_RANGE_COUNT });
    expect(randomUidRange(() => 0.9999999)).toEqual({ shift: 0x7fff0000, count: 0x10000 });
    for (let i = 0; i < 100; i++) {
      const { shift } = randomUidRange();
      expect(shift % 0x10000).toBe(0);
      expect(shift).toBeGreaterThanOrEqual(0x10000);
      expect(shift).toBeLessThan(2 ** 31);
    }
  });

  test("is recorded in the pod as SHIFT:COUNT and read back; a pod without it has none", () => {
    const pod = mkdtempSync(join(tmpdir(), "rkt-userns-"));
    dirs.push(pod);
    expect(readUidRange(pod)).toBeUndefined();
    recordUidRange(pod, { shift: 0x20000, count: 0x10000 });
    expect(readUidRange(pod)).toBe("131072:65536");
    expect(formatUidRange({ shift: 65536, count: 10 })).toBe("65536:10");
    expect(parseUidRange(readUidRange(pod)!)).toEqual({ shift: 0x20000, count: 0x10000 });
    for (const bad of ["", "1:0", "-1:5", "4294967295:2", "1:2:3", "x:1"]) expect(parseUidRange(bad)).toBeUndefined();
  });

  test("overlay is refused with rkt's message", () => {
    expect(() => checkPrivateUsersOverlay(true)).toThrow("cannot use both overlay and user namespace: not implemented yet. (Try --no-overlay)");
    expect(() => checkPrivateUsersOverlay(false)).not.toThrow();
  });

  test("stage1 gets it as --private-users=SHIFT:COUNT after --interactive, at every interface version (rkt's stage0 Run)", () => {
    const g = { dir: "/d", dirFromFlag: false, systemConfig: "/s", localConfig: "/l", userConfig: "", debug: false, insecure: parseInsecureOptions("none"), trustKeysFromHttps: false };
    const run = { net: [{ name: "host" }], interactive: true, dns: { servers: [], search: [], options: [], hostsEntries: [] }, privateUsers: "131072:65536" };
    expect(stage1RunArgs(g, "U", run, 1)).toEqual(["--net=host", "--interactive", "--private-users=131072:65536", "--local-config=/l", "U"]);
  });
});
