// Unix datagram sockets, the transport of systemd's sd_notify protocol (sd_notify(3)): Bun's socket
// APIs speak streams and UDP only. Receiving is non-blocking: the caller polls.
import { ptr } from "bun:ffi";
import { AF_UNIX, EAGAIN, O, SOCK } from "./constants.ts";
import { cstr } from "./cstr.ts";
import { check, errno, libc } from "./libc.ts";
import { SyscallError } from "./errors.ts";

/** struct sockaddr_un for `path`; a leading "@" names an abstract socket, as systemd writes it. */
function sockaddr(path: string, syscall: string): Uint8Array {
  const name = Buffer.from(path.startsWith("@") ? `\0${path.slice(1)}` : path);
  if (name.length > 107) throw new SyscallError({ syscall, errno: 36 /* ENAMETOOLONG */, path });
  const addr = new Uint8Array(2 + name.length + (path.startsWith("@") ? 0 : 1));
  addr[0] = AF_UNIX;
  addr.set(name, 2);
  return addr;
}

function dgramSocket(nonblock: boolean, path: string): number {
  const type = SOCK.SOCK_DGRAM | SOCK.SOCK_CLOEXEC | (nonblock ? SOCK.SOCK_NONBLOCK : 0);
  return check(libc.socket(AF_UNIX, type, 0), { syscall: "socket", path });
}

/**
 * A non-blocking datagram socket bound at `name` in directory `dir`. Bound through the directory's
 * /proc/self/fd link: a sockaddr_un holds 107 bytes, less than a pod directory's path may take.
 */
export function listenDgram(dir: string, name: string): number {
  const path = `${dir}/${name}`;
  const dirFd = check(libc.open(cstr(dir), O.O_PATH | O.O_DIRECTORY | O.O_CLOEXEC, 0), { syscall: "open", path: dir });
  try {
    const fd = dgramSocket(true, path);
    const addr = sockaddr(`/proc/self/fd/${dirFd}/${name}`, "bind");
    if (libc.bind(fd, ptr(addr), addr.length) === -1) {
      const err = new SyscallError({ syscall: "bind", errno: errno(), path });
      libc.close(fd);
      throw err;
    }
    return fd;
  } finally {
    libc.close(dirFd);
  }
}

/** The next datagram waiting on `fd`, as text; undefined when none is. */
export function receiveDgram(fd: number): string | undefined {
  const buf = new Uint8Array(4096);
  const n = Number(libc.recv(fd, ptr(buf), buf.length, 0));
  if (n >= 0) return Buffer.from(buf.subarray(0, n)).toString("utf8");
  const e = errno();
  if (e === EAGAIN) return undefined;
  throw new SyscallError({ syscall: "recv", errno: e, path: `fd ${fd}` });
}

/** Sends `message` as one datagram to the socket at `path`. */
export function sendDgram(path: string, message: string): void {
  const fd = dgramSocket(false, path);
  try {
    const addr = sockaddr(path, "sendto");
    const data = Buffer.from(message);
    check(Number(libc.sendto(fd, ptr(data), data.length, 0, ptr(addr), addr.length)), { syscall: "sendto", path });
  } finally {
    libc.close(fd);
  }
}
