// rkt run as a systemd service (using-rkt-with-systemd.md). Notifications: with NOTIFY_SOCKET set,
// the pod says READY=1 once its apps have started, and, for an image annotated
// appc.io/executor/supports-systemd-notify, once that app has said READY=1 itself; systemd's side is
// socat receiving datagrams, the app's a static sd_notify client built here with gcc. Socket
// activation: systemd-socket-activate (systemd's own tool) listens and starts rkt on a connection;
// an app with a socket-activated port accepts it on fd 3 (another static client, `accept-once`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktContext, type RktContext } from "../helpers/context.ts";
import { busyboxAci } from "../helpers/images.ts";
import { freePort } from "../helpers/registry.ts";
import { requires } from "../helpers/requires.ts";
import { staticProgram, withPrograms } from "../helpers/static-program.ts";

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

const ACCEPT_ONCE = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
int main(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"), *names = getenv("LISTEN_FDNAMES");
  char msg[200];
  int c;
  if (!pid || !fds || atoi(pid) != getpid()) { fprintf(stderr, "not activated: LISTEN_PID=%s pid=%d\\n", pid, getpid()); return 3; }
  if ((c = accept(3, 0, 0)) < 0) { perror("accept"); return 4; }
  snprintf(msg, sizeof msg, "%s socket(s) named %s, LISTEN_PID=%s\\n", fds, names ? names : "-", pid);
  return write(c, msg, strlen(msg)) < 0;
}
`;

let dir: string;
let plain: string;
let notifying: string;
let activated: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkt-e2e-systemd-"));
  plain = join(dir, "plain.aci");
  notifying = join(dir, "notifying.aci");
  activated = join(dir, "activated.aci");
  await busyboxAci(plain, { name: "example.com/plain" });
  await busyboxAci(
    notifying,
    { name: "example.com/notifying", annotations: [{ name: "appc.io/executor/supports-systemd-notify", value: "true" }] },
    withPrograms(staticProgram(dir, "sd-notify", CLIENT)),
  );
  await busyboxAci(
    activated,
    { name: "example.com/activated", app: { exec: ["/bin/accept-once"], ports: [{ name: "http", protocol: "tcp", port: 80, socketActivated: true }] } },
    withPrograms(staticProgram(dir, "accept-once", ACCEPT_ONCE)),
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

  test("a NOTIFY_SOCKET nobody listens on costs the pod nothing but a message", () => {
    using ctx = rktContext("rkt-notify");
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", plain, "--exec=/bin/sh", "--", "-c", "echo ran"], { env: { NOTIFY_SOCKET: join(ctx.tmp, "absent") } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ran\n");
    expect(r.stderr).toContain(`stage1: cannot tell systemd the pod is ready: sendto ${join(ctx.tmp, "absent")}: ENOENT`);
  });

  test("without NOTIFY_SOCKET no app gets one, annotated or not", async () => {
    using ctx = rktContext("rkt-notify");
    const r = ctx.rkt(["--insecure-options=image", "run", "--net=host", notifying, "--exec=/bin/sh", "--", "-c", "env; ls /run/systemd/notify 2>&1"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("NOTIFY_SOCKET");
    expect(r.stdout).toContain("No such file or directory");
  });
});

/** A connection to 127.0.0.1:`port`, retried until something listens there; resolves to what it read when the peer closed it. */
async function connectOnce(port: number): Promise<{ reply: Promise<string>; close(): void }> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise((ok, fail) => {
        let got = "";
        const c = connect(port, "127.0.0.1");
        const reply = new Promise<string>((done) => c.on("end", () => done(got)));
        c.on("data", (d) => (got += d.toString()));
        c.on("connect", () => ok({ reply, close: () => c.destroy() }));
        c.on("error", fail);
      });
    } catch (e) {
      if (i > 100) throw e;
      await Bun.sleep(50);
    }
  }
}

/** systemd-socket-activate on a free 127.0.0.1 port, starting `rkt run <args>` on the first connection. */
async function socketUnit(ctx: RktContext, args: string[], fdname?: string) {
  const port = freePort();
  const argv = ["systemd-socket-activate", `--listen=127.0.0.1:${port}`, ...(fdname ? [`--fdname=${fdname}`] : []), ...ctx.argv(["--insecure-options=image", "run", ...args])];
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  return { port, proc, [Symbol.dispose]: () => proc.kill() };
}

describe.skipIf(!!requires("root", "busybox", "gcc", "systemd-socket-activate"))("rkt run socket-activated by systemd", () => {
  test("an app with a socket-activated port accepts on the socket systemd passed rkt, with LISTEN_PID its own pid", async () => {
    using ctx = rktContext("rkt-activate");
    using unit = await socketUnit(ctx, ["--net=host", activated], "web");
    // the app is the pod's first process after its PID 1
    expect(await (await connectOnce(unit.port)).reply).toBe("1 socket(s) named web, LISTEN_PID=2\n");
    expect(await unit.proc.exited).toBe(0);
  });

  test("fly too, where the app's pid is the host's", async () => {
    using ctx = rktContext("rkt-activate");
    using unit = await socketUnit(ctx, ["--stage1-name=coreos.com/rkt/stage1-fly:1.30.0", activated]);
    // accept-once answers only when LISTEN_PID is its own pid
    expect(await (await connectOnce(unit.port)).reply).toMatch(/^1 socket\(s\) named -, LISTEN_PID=\d+\n$/);
    expect(await unit.proc.exited).toBe(0);
  });

  test("apps without one get no socket: fd 3 is not open in them", async () => {
    using ctx = rktContext("rkt-activate");
    const probe = "readlink /proc/$$/fd/3 || echo no fd 3; env | grep ^LISTEN_ || echo no LISTEN_";
    using unit = await socketUnit(ctx, ["--net=host", plain, "--exec=/bin/sh", "--", "-c", probe]);
    const c = await connectOnce(unit.port);
    expect(await unit.proc.exited).toBe(0);
    c.close();
    expect(await new Response(unit.proc.stdout).text()).toBe("no fd 3\nno LISTEN_\n");
  });
});
