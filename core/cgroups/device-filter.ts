// A device allow list as cgroup v2 enforces one: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
// attached to the app's cgroup (v2 has no devices.allow file; systemd, runc and crun do the same).
// The kernel runs it on each open or mknod of a device node with a struct bpf_cgroup_dev_ctx
// { u32 access_type (access << 16 | type); u32 major; u32 minor } and allows when it returns 1. Pure.
import type { DeviceRule } from "./devices.ts";

// include/uapi/linux/bpf.h
const BPF_DEVCG_DEV = { b: 1, c: 2 } as const;
const BPF_DEVCG_ACC: Record<string, number> = { m: 1, r: 2, w: 4 };
// opcodes: class | op | source (include/uapi/linux/bpf_common.h, bpf.h)
const LDX_MEM_W = 0x61; // dst = *(u32 *)(src + off)
const ALU64_AND_K = 0x57; // dst &= imm
const ALU64_RSH_K = 0x77; // dst >>= imm
const ALU64_MOV_K = 0xb7; // dst = imm
const ALU64_MOV_X = 0xbf; // dst = src
const JMP_JNE_K = 0x55; // if dst != imm: pc += off
const JMP_JNE_X = 0x5d; // if dst != src: pc += off
const JMP_EXIT = 0x95;

type Insn = [op: number, dst: number, src: number, off: number, imm: number];

/** One rule: fall through to "allow" when the device matches, else jump to the next rule. */
function ruleInsns(r: DeviceRule): Insn[] {
  const access = [...r.access].reduce((a, c) => a | (BPF_DEVCG_ACC[c] ?? 0), 0);
  const checks: Insn[][] = [
    [[JMP_JNE_K, 2, 0, 0, BPF_DEVCG_DEV[r.type]]],
    // the access asked for (r3) must be within the rule's
    [[ALU64_MOV_X, 1, 3, 0, 0], [ALU64_AND_K, 1, 0, 0, access], [JMP_JNE_X, 1, 3, 0, 0]],
    r.major === "*" ? [] : [[JMP_JNE_K, 4, 0, 0, r.major]],
    r.minor === "*" ? [] : [[JMP_JNE_K, 5, 0, 0, r.minor]],
  ];
  const body = checks.flat();
  const allow: Insn[] = [[ALU64_MOV_K, 0, 0, 0, 1], [JMP_EXIT, 0, 0, 0, 0]];
  // each jump skips what follows it in this rule
  return [...body.map((insn, i): Insn => (insn[0] === JMP_JNE_K || insn[0] === JMP_JNE_X ? [insn[0], insn[1], insn[2], body.length - i - 1 + allow.length, insn[4]] : insn)), ...allow];
}

/** The program allowing exactly `rules`, as the bytes of struct bpf_insn[]. */
export function compileDeviceFilter(rules: readonly DeviceRule[]): Uint8Array {
  const insns: Insn[] = [
    [LDX_MEM_W, 2, 1, 0, 0], // r2 = access_type
    [ALU64_AND_K, 2, 0, 0, 0xffff], // r2 = device type
    [LDX_MEM_W, 3, 1, 0, 0],
    [ALU64_RSH_K, 3, 0, 0, 16], // r3 = access
    [LDX_MEM_W, 4, 1, 4, 0], // r4 = major
    [LDX_MEM_W, 5, 1, 8, 0], // r5 = minor
    ...rules.flatMap(ruleInsns),
    [ALU64_MOV_K, 0, 0, 0, 0], // no rule matched: deny
    [JMP_EXIT, 0, 0, 0, 0],
  ];
  const out = new Uint8Array(insns.length * 8);
  const view = new DataView(out.buffer);
  insns.forEach(([op, dst, src, off, imm], i) => {
    view.setUint8(i * 8, op);
    view.setUint8(i * 8 + 1, (src << 4) | dst);
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}
