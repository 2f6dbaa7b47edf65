// Interface flags through the classic ioctl interface (netdevice(7)): enough to bring up loopback
// in a pod's fresh network namespace (--net=none) without netlink.
import { check, libc } from "./libc.ts";

/** netdevice(7) ioctls and flags (include/uapi/linux/sockios.h, if.h). */
const SIOCGIFFLAGS = 0x8913n;
const SIOCSIFFLAGS = 0x8914n;
const IFF_UP = 0x1;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

/** Sets IFF_UP on interface `name` of the calling thread's network namespace. */
export function linkUp(name: string): void {
  const fd = check(libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), { syscall: "socket", path: "AF_INET" });
  try {
    // struct ifreq: char ifr_name[16]; union { short ifr_flags; … } (40 bytes on 64-bit)
    const ifr = Buffer.alloc(40);
    ifr.write(name, 0, 15, "utf8");
    check(libc.ioctl(fd, SIOCGIFFLAGS, ifr), { syscall: "ioctl(SIOCGIFFLAGS)", path: name });
    ifr.writeInt16LE(ifr.readInt16LE(16) | IFF_UP, 16);
    check(libc.ioctl(fd, SIOCSIFFLAGS, ifr), { syscall: "ioctl(SIOCSIFFLAGS)", path: name });
  } finally {
    libc.close(fd);
  }
}
