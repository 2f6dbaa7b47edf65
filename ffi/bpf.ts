// bpf(2) for the one program kind stage1 loads: a cgroup v2 device filter
// (core/cgroups/device-filter.ts), attached to an app's cgroup directory.
import { ptr } from "bun:ffi";
import { cstr } from "./cstr.ts";
import { O } from "./constants.ts";
import { check, libc } from "./libc.ts";
import { SYS_bpf } from "./syscalls.ts";

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** other programs may sit beside ours on the path up (systemd's, a parent runtime's); all must allow */
const BPF_F_ALLOW_MULTI = 2;
/** what both commands use of union bpf_attr (zeros past a kernel's own size are accepted) */
const ATTR_SIZE = 72;

function bpf(cmd: number, attr: Uint8Array, what: string, path: string): number {
  return check(libc.syscall(SYS_bpf, cmd, BigInt(ptr(attr)), ATTR_SIZE, 0, 0), { syscall: `bpf ${what}`, path });
}

/** Loads device filter `program` (struct bpf_insn[]) and attaches it to the cgroup v2 directory `dir`. */
export function attachDeviceFilter(dir: string, program: Uint8Array): void {
  const license = cstr("Apache-2.0");
  const load = new Uint8Array(ATTR_SIZE);
  const l = new DataView(load.buffer);
  l.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
  l.setUint32(4, program.length / 8, true);
  l.setBigUint64(8, BigInt(ptr(program)), true);
  l.setBigUint64(16, BigInt(ptr(license)), true);
  const prog = bpf(BPF_PROG_LOAD, load, "BPF_PROG_LOAD", dir);
  try {
    const cgroup = check(libc.open(cstr(dir), O.O_RDONLY | O.O_DIRECTORY | O.O_CLOEXEC, 0), { syscall: "open", path: dir });
    try {
      const attach = new Uint8Array(ATTR_SIZE);
      const a = new DataView(attach.buffer);
      a.setUint32(0, cgroup, true);
      a.setUint32(4, prog, true);
      a.setUint32(8, BPF_CGROUP_DEVICE, true);
      a.setUint32(12, BPF_F_ALLOW_MULTI, true);
      bpf(BPF_PROG_ATTACH, attach, "BPF_PROG_ATTACH", dir);
    } finally {
      libc.close(cgroup);
    }
  } finally {
    // the attachment holds the program from here on
    libc.close(prog);
  }
}
