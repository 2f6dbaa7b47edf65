// rkt run as a systemd Type=notify service (using-rkt-with-systemd.md, "Notifications"): with
// NOTIFY_SOCKET set, the pod says READY=1 once its apps have started, and, for an image annotated
// appc.io/executor/supports-systemd-notify, once that app has said READY=1 itself. systemd's side is
// socat receiving datagrams; the app's is a static sd_notify client built here with gcc.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { requires } from "../helpers/requires.ts";

const CLIENT = `#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv) {
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (!path || argc < 2) return 2;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  return sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&a, sizeof a) < 0;
}
`;

let dir: string;
let plain: string;
let notifying: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-notify-"));
  writeFileSync(join(dir, "sd-notify.c"), CLIENT);
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", join(dir, "sd-notify"), join(dir, "sd-notify.c")], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`gcc: ${cc.stderr}`);
  plain = join(dir, "plain.aci");
  notifying = join(dir, "notifying.aci");
  await busyboxAci(plain, { name: "example.com/plain" });
  await busyboxAci(
    notifying,
    { name: "example.com/notifying", annotations: [{ name: "appc.io/executor/supports-systemd-notify", value: "true" }] },
    { customize: (rootfs) => Bun.spawnSync(["cp", join(dir, "sd-notify"), join(rootfs, "bin", "sd-notify")]) },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** systemd's notify socket: socat printing each datagram it receives, one per line. */
function systemdSocket(ctx: RktContext) {
  const path = join(ctx.tmp, "notify");
  const socat = Bun.spawn(["socat", "-u", `UNIX-RECV:${path}`, "STDOUT"], { stdout: "pipe", stderr: "inherit" });
  let got = "";
  const reader = (async () => {
    for await (const chunk of socat.stdout) got += new TextDecoder().decode(chunk);
  })();
  return {
    path,
    received: () => got,
    async waitFor(text: string, ms = 10_000) {
      for (let t = 0; t < ms && !got.includes(text); t += 25) await Bun.sleep(25);
      return got;
    },
    async [Symbol.asyncDispose]() {
      socat.kill();
      await reader;
    },
  };
}

/** `rkt run` of `script` in `image` in the background, with an `out` volume at /out; NOTIFY_SOCKET when given. */
function startPod(ctx: RktContext, image: string, script: string, notifySocket?: string) {
  return Bun.spawn(
    ctx.argv(["--insecure-options=image", "run", "--net=host", `--volume=out,kind=host,source=${ctx.tmp}`, image, "--mount=volume=out,target=/out", "--exec=/bin/sh", "--", "-c", script]),
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...(notifySocket ? { NOTIFY_SOCKET: notifySocket } : {}) } },
  );
}

async function waitForFile(path: string) {
  for (let i = 0; i < 400 && !existsSync(path); i++) await Bun.sleep(25);
  expect(existsSync(path)).toBe(true);
}

describe.skipIf(!!requires("root", "busybox", "gcc", "socat"))("rkt run under systemd (sd_notify)", () => {
  test("a pod of apps without the annotation is ready once they have started", async () => {
    using ctx = rktContext("rkt-notify");
    await using systemd = systemdSocket(ctx);
    await waitForFile(systemd.path);
    const pod = startPod(ctx, plain, "env > /out/env; sleep 30", systemd.path);
    try {
      expect(await systemd.waitFor("READY=1")).toContain("READY=1\n");
      await waitForFile(join(ctx.tmp, "env"));
      // only apps that say they speak the protocol get a socket
      expect(await Bun.file(join(ctx.tmp, "env")).text()).not.toContain("NOTIFY_SOCKET");
    } finally {
      pod.kill("SIGTERM");
      await pod.exited;
    }
  });

  test("an app whose image supports sd_notify makes the pod ready when it says READY=1", async () => {
    using ctx = rktContext("rkt-notify");
    await using systemd = systemdSocket(ctx);
    await waitForFile(systemd.path);
    const go = join(ctx.tmp, "go");
    const pod = startPod(ctx, notifying, `env > /out/env; until [ -e /out/go ]; do sleep 0.05; done; sd-notify READY=1 && touch /out/sent; sleep 30`, systemd.path);
    try {
      await waitForFile(join(ctx.tmp, "env"));
      expect(await Bun.file(join(ctx.tmp, "env")).text()).toContain("NOTIFY_SOCKET=/run/systemd/notify\n");
      // started, but not ready: nothing reaches systemd yet
      await Bun.sleep(500);
      expect(systemd.received()).toBe("");
      writeFileSync(go, "");
      await waitForFile(join(ctx.tmp, "sent"));
      expect(await systemd.waitFor("READY=1")).toContain("READY=1\n");
    } finally {
      pod.kill("SIGTERM");
      await pod.exited;
    }
  });

  test("without NOTIFY_SOCKET no app gets one, annotated or not", async () => {
    using ctx = rktContext("rkt-notify");
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", notifying, "--exec=/bin/sh", "--", "-c", "env; ls /run/systemd/notify 2>&1"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("NOTIFY_SOCKET");
    expect(r.stdout).toContain("No such file or directory");
  });
});
