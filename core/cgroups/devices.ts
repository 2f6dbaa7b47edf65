// The device cgroup of an app (kernel Documentation/admin-guide/cgroup-v1/devices.rst): which device
// nodes its processes may open ("r", "w") and create ("m"). rkt's stage1 gave every app systemd's
// DevicePolicy=closed, with DeviceAllow= for the host devices bound into it; without this a root app
// keeping CAP_MKNOD (a default capability) could mknod the host's disks and open them. Pure.

/** One rule of a device allow list: a character or block device, "*" for any major or minor. */
export interface DeviceRule {
  type: "c" | "b";
  major: number | "*";
  minor: number | "*";
  access: string;
}

/**
 * What DevicePolicy=closed allows (systemd v231+, as in rkt's stage1, plus nspawn's /dev/net/tun):
 * the pseudo devices of every pod's /dev, the pod's pseudo terminals, and devpts's ptmx (c 5:2),
 * which may be opened but not created: the old ptmx node (rkt's TestDevices).
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  ...([[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [10, 200]] as const).map(([major, minor]): DeviceRule => ({ type: "c", major, minor, access: "rwm" })),
  { type: "c", major: 5, minor: 2, access: "rw" },
  { type: "c", major: 136, minor: "*", access: "rw" },
];

/** A rule in the syntax of the v1 devices.allow file: "c 1:3 rwm". */
export function formatDeviceRule(r: DeviceRule): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/** Linux's major and minor of a dev_t (glibc's gnu_dev_major/minor). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return { major: (((lo >>> 8) & 0xfff) | (hi & ~0xfff)) >>> 0, minor: ((lo & 0xff) | (((lo >>> 12) | (hi << 20)) & ~0xff)) >>> 0 };
}
