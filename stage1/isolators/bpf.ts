// Compiles a seccomp policy (one action per system call number, and a default) into the classic BPF
// program prctl(PR_SET_SECCOMP) loads (linux/seccomp.h, linux/filter.h; what libseccomp generates for
// systemd's SystemCallFilter=). Only the native x86_64 ABI passes: other architectures (i386 through
// int 0x80) and the x32 ABI are killed, as libseccomp's bad-arch action. Pure.

/** seccomp return values (linux/seccomp.h). */
export const SECCOMP_RET = { KILL_PROCESS: 0x80000000, ERRNO: 0x00050000, ALLOW: 0x7fff0000 } as const;

/** AUDIT_ARCH_X86_64 (linux/audit.h): EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
const AUDIT_ARCH_X86_64 = 0xc000003e;
/** syscall numbers at or above this bit are the x32 ABI (asm/unistd.h __X32_SYSCALL_BIT) */
const X32_SYSCALL_BIT = 0x40000000;

// BPF opcodes (linux/bpf_common.h): class | size | mode, class | op | source
const LD_W_ABS = 0x20;
const JMP_JEQ_K = 0x15;
const JMP_JGT_K = 0x25;
const JMP_JGE_K = 0x35;
const RET_K = 0x06;
/** offsets in struct seccomp_data */
const NR = 0;
const ARCH = 4;

/** A seccomp policy: [first, last, action] ranges of syscall numbers (not overlapping), and the action of every other number. */
export interface SeccompPolicy {
  rules: readonly (readonly [number, number, number])[];
  otherwise: number;
}

/** The SECCOMP_RET_ERRNO action returning `errno`. */
export function errnoAction(errno: number): number {
  return (SECCOMP_RET.ERRNO | (errno & 0xffff)) >>> 0;
}

/**
 * The rules ascending, adjacent ranges with the same action merged. Sorted through a typed array of
 * `first * count + index` keys (exact in a double while first < 2^32 and count < 2^21): the native
 * sort needs no comparator calls, which cost ~1 ms cold in the interpreter.
 */
function ranges(rules: SeccompPolicy["rules"]): [number, number, number][] {
  const count = rules.length;
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = rules[i]![0] * count + i;
  const out: [number, number, number][] = [];
  for (const key of keys.sort()) {
    const [lo, hi, act] = rules[key % count]!;
    const last = out[out.length - 1];
    if (last && last[1] === lo - 1 && last[2] === act) last[1] = hi;
    else out.push([lo, hi, act]);
  }
  return out;
}

/**
 * The BPF program of `policy`, as struct sock_filter[] bytes (8 per instruction). Ranges are tested
 * in ascending order, 4 short jumps each, so no jump ever needs more than the 8-bit offset.
 */
export function compileSeccomp(policy: SeccompPolicy): Uint8Array {
  const list = ranges(policy.rules);
  const length = 6 + 4 * list.length + 1;
  if (length > 4096) throw new RangeError(`seccomp program of ${length} instructions exceeds BPF_MAXINSNS (4096)`);
  const out = new DataView(new ArrayBuffer(length * 8));
  let pc = 0;
  const emit = (code: number, jt: number, jf: number, k: number) => {
    out.setUint16(pc * 8, code, true);
    out.setUint8(pc * 8 + 2, jt);
    out.setUint8(pc * 8 + 3, jf);
    out.setUint32(pc * 8 + 4, k >>> 0, true);
    pc++;
  };
  emit(LD_W_ABS, 0, 0, ARCH);
  emit(JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
  emit(RET_K, 0, 0, SECCOMP_RET.KILL_PROCESS);
  emit(LD_W_ABS, 0, 0, NR);
  emit(JMP_JGE_K, 0, 1, X32_SYSCALL_BIT);
  emit(RET_K, 0, 0, SECCOMP_RET.KILL_PROCESS);
  for (const [lo, hi, act] of list) {
    // below this range means below every later one too
    emit(JMP_JGE_K, 1, 0, lo);
    emit(RET_K, 0, 0, policy.otherwise);
    emit(JMP_JGT_K, 1, 0, hi);
    emit(RET_K, 0, 0, act);
  }
  emit(RET_K, 0, 0, policy.otherwise);
  return new Uint8Array(out.buffer);
}
