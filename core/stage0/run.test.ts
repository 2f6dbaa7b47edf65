import { expect, test } from "bun:test";
import { parseInsecureOptions, type GlobalOptions } from "../config/options.ts";
import { stage1RunArgs, type RunOptions } from "./run.ts";

const g = (insecure = "none", debug = false): GlobalOptions => ({
  dir: "/var/lib/rkt", dirFromFlag: false, systemConfig: "/usr/lib/rkt", localConfig: "/etc/rkt", userConfig: "",
  debug, insecure: parseInsecureOptions(insecure), trustKeysFromHttps: false,
});
const opts = (o: Partial<RunOptions> = {}): RunOptions => ({
  net: [{ name: "default" }], interactive: false, dns: { servers: [], search: [], options: [], hostsEntries: [] }, ...o,
});
const U = "0b1c5d7e-0000-4000-8000-000000000001";

test("rkt's stage1 run arguments, in rkt's order, for interface version 6", () => {
  const all = opts({ net: [{ name: "host" }], interactive: true, hostname: "h", ipc: "private", dns: { servers: ["1.1.1.1"], search: [], options: [], hostsEntries: ["host"] } });
  expect(stage1RunArgs(g("all-run", true), U, all, 6)).toEqual([
    "--debug", "--net=host", "--interactive", "--local-config=/etc/rkt", "--hostname=h", "--dns-conf-mode=resolv=stage0,hosts=host",
    "--disable-capabilities-restriction", "--disable-paths", "--disable-seccomp", "--ipc=private", U,
  ]);
  // default DNS handling is not passed at all, as rkt
  expect(stage1RunArgs(g(), U, opts(), 6)).toEqual(["--net=default", "--local-config=/etc/rkt", U]);
});

test("options newer than the stage1's interface are left out (hostname v2, insecure options v3, DNS mode v4, ipc v6)", () => {
  const all = opts({ hostname: "h", ipc: "parent", dns: { servers: ["host"], search: [], options: [], hostsEntries: [] } });
  expect(stage1RunArgs(g("capabilities"), U, all, 1)).toEqual(["--net=default", "--local-config=/etc/rkt", U]);
  expect(stage1RunArgs(g("capabilities"), U, all, 3)).toEqual(["--net=default", "--local-config=/etc/rkt", "--hostname=h", "--disable-capabilities-restriction", U]);
  expect(stage1RunArgs(g("capabilities"), U, all, 5)).toEqual([
    "--net=default", "--local-config=/etc/rkt", "--hostname=h", "--dns-conf-mode=resolv=host,hosts=default", "--disable-capabilities-restriction", U,
  ]);
});

test("a registered pod's token follows --private-users, as rkt's stage0 (interface v1 already)", () => {
  expect(stage1RunArgs(g(), U, opts({ privateUsers: "65536:65536" }), 1, "0123abcd")).toEqual([
    "--net=default", "--private-users=65536:65536", "--mds-token=0123abcd", "--local-config=/etc/rkt", U,
  ]);
});
