// rkt's seccomp isolators (stage1/init/common/seccomp.go and seccomp_wildcards.go; appc.md §6):
// `os/linux/seccomp-retain-set` / `-remove-set` with rkt's, Docker's and appc's groups, errno or
// SIGSYS, and rkt's default whitelist for apps without one, turned into rules for the BPF compiler
// (stage1/isolators/bpf.ts). Pure.
import { RktError } from "../../core/errors.ts";
import type { IsolatorValue } from "../../core/schema/isolators.ts";
import { compileSeccomp, errnoAction, SECCOMP_RET, type SeccompPolicy } from "./bpf.ts";
import { ERRNO_NUMBERS } from "./errno-numbers.ts";
import { SYSCALLS_X86_64 } from "./syscalls-x86_64.ts";

const words = (s: string): readonly string[] => s.trim().split(/\s+/);

/** Docker's default whitelist (v1.12), which rkt adopted as @rkt/default-whitelist. */
const DOCKER_WHITELIST = words(`
  _llseek _newselect accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown
  chown32 chroot clock_getres clock_gettime clock_nanosleep clone close connect copy_file_range creat dup
  dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_wait epoll_wait_old
  eventfd eventfd2 execve execveat exit exit_group faccessat fadvise64 fadvise64_64 fallocate
  fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
  flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
  ftruncate64 futex futimesat get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid
  getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
  getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage
  getsid getsockname getsockopt gettid gettimeofday getuid getuid32 getxattr inotify_add_watch
  inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_setup io_submit ioctl
  ioprio_get ioprio_set ipc kill lchown lchown32 lgetxattr link linkat listen listxattr llistxattr
  lremovexattr lseek lsetxattr lstat lstat64 madvise memfd_create mincore mkdir mkdirat mknod mknodat
  mlock mlock2 mlockall mmap mmap2 modify_ldt mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
  mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep
  newfstatat open openat pause personality pipe pipe2 poll ppoll prctl pread64 preadv prlimit64 pselect6
  pwrite64 pwritev read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmsg
  remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rt_sigaction rt_sigpending
  rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo
  sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
  sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop send sendfile sendfile64
  sendmmsg sendmsg sendto set_robust_list set_thread_area set_tid_address setfsgid setfsgid32 setfsuid
  setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32
  setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid
  setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigreturn socket
  socketcall socketpair splice stat stat64 statfs statfs64 symlink symlinkat sync sync_file_range syncfs
  sysinfo syslog tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_settime
  timerfd_create timerfd_gettime timerfd_settime times tkill truncate truncate64 ugetrlimit umask uname
  unlink unlinkat utime utimensat utimes vfork vmsplice wait4 waitid waitpid write writev
`);

/** Docker's default blacklist (v1.12), which rkt adopted as @rkt/default-blacklist. */
const DOCKER_BLACKLIST = words(`
  _sysctl acct add_key adjtimex bpf clock_adjtime clock_settime create_module delete_module finit_module
  get_kernel_syms get_mempolicy init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl
  lookup_dcookie mbind mount move_pages name_to_handle_at nfsservctl open_by_handle_at perf_event_open
  pivot_root process_vm_readv process_vm_writev ptrace query_module quotactl reboot request_key
  set_mempolicy setns settimeofday stime swapoff swapon sysfs umount umount2 unshare uselib userfaultfd
  ustat vm86 vm86old
`);

/** systemd's @default (v233): SystemCallFilter= always adds it to a whitelist. */
const SYSTEMD_DEFAULT = words("clock_getres clock_gettime clock_nanosleep execve exit exit_group getrlimit gettimeofday nanosleep pause rt_sigreturn sigreturn time");

/**
 * The systemd v233 groups (src/shared/seccomp-util.c) that rkt's stage1 handed to systemd for its
 * `@systemd/<name>` wildcards; @privileged includes @clock, @module and @raw-io, as there.
 */
const SYSTEMD_CLOCK = words("adjtimex clock_adjtime clock_settime settimeofday stime");
const SYSTEMD_RAW_IO = words("ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write");
const SYSTEMD_GROUPS: Readonly<Record<string, readonly string[]>> = {
  "@systemd/clock": SYSTEMD_CLOCK,
  "@systemd/default-whitelist": SYSTEMD_DEFAULT,
  "@systemd/mount": words("chroot mount pivot_root umount2 umount"),
  "@systemd/network-io": words(`accept4 accept bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
    recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socket socketcall socketpair`),
  "@systemd/obsolete": words(`_sysctl afs_syscall bdflush break create_module ftime get_kernel_syms getpmsg gtty lock mpx prof
    profil putpmsg query_module security sgetmask ssetmask stty sysfs tuxcall ulimit uselib ustat vserver`),
  "@systemd/privileged": [
    ...SYSTEMD_CLOCK,
    ...words("delete_module finit_module init_module"), // @module
    ...SYSTEMD_RAW_IO,
    ...words(`acct bpf capset chown32 chown chroot fchown32 fchown fchownat kexec_file_load kexec_load lchown32 lchown
      nfsservctl pivot_root quotactl reboot setdomainname setfsuid32 setfsuid setgroups32 setgroups sethostname setresuid32
      setresuid setreuid32 setreuid setuid32 setuid swapoff swapon _sysctl vhangup`),
  ],
  "@systemd/process": words("arch_prctl clone execveat fork kill prctl setns tgkill tkill unshare vfork"),
  "@systemd/raw-io": SYSTEMD_RAW_IO,
};

const GROUPS: Readonly<Record<string, readonly string[]>> = {
  "@rkt/default-whitelist": DOCKER_WHITELIST,
  "@rkt/default-blacklist": DOCKER_BLACKLIST,
  "@docker/default-whitelist": DOCKER_WHITELIST,
  "@docker/default-blacklist": DOCKER_BLACKLIST,
  ...SYSTEMD_GROUPS,
};

/**
 * x86_64 numbers from statx (Linux 4.11) on: system calls newer than rkt 1.30's lists. A whitelist
 * that does not name one makes it fail with ENOSYS rather than kill the app: today's libc probes
 * them at start-up (rseq, clone3, faccessat2) and falls back on ENOSYS, as on the kernels rkt ran on.
 */
const NEWER_THAN_RKT = SYSCALLS_X86_64.statx!;
/** the x32 ABI starts here; the BPF program kills it before any rule */
const X32_SYSCALL_BIT = 0x40000000;

/** An app's seccomp filter: the syscalls to keep (retain) or to block (remove), and how to block. */
export interface SeccompFilter {
  mode: "retain" | "remove";
  syscalls: readonly string[];
  /** errno name returned by blocked calls; "" kills the app with SIGSYS */
  errno: string;
}

/** rkt's filter for apps without a seccomp isolator: its default whitelist, killing with SIGSYS. */
export const DEFAULT_FILTER: SeccompFilter = { mode: "retain", syscalls: DOCKER_WHITELIST, errno: "" };

type SeccompIsolator = Extract<IsolatorValue, { kind: "os/linux/seccomp-retain-set" | "os/linux/seccomp-remove-set" }>;

/** Expands rkt's wildcards; "all" / "empty" when the set names @appc.io/all or @appc.io/empty. */
function expandSet(set: readonly string[]): string[] | "all" | "empty" {
  const out: string[] = [];
  for (const item of set) {
    if (item === "@appc.io/all") return "all";
    if (item === "@appc.io/empty") return "empty";
    // rkt skips other unknown wildcards silently
    if (item.startsWith("@")) out.push(...(GROUPS[item] ?? []));
    else out.push(item);
  }
  return out;
}

/**
 * The seccomp filter of an app with `isolators` (rkt's getSeccompFilter): a retain set with
 * @appc.io/all means none (undefined); a set that names no system call, or no seccomp isolator at
 * all, means rkt's default whitelist (killing with SIGSYS unless the set names an errno).
 */
export function appSeccomp(isolators: readonly IsolatorValue[]): SeccompFilter | undefined {
  const found = isolators.filter((i): i is SeccompIsolator => i.kind === "os/linux/seccomp-retain-set" || i.kind === "os/linux/seccomp-remove-set");
  if (found.length > 1) throw new RktError("cannot set up seccomp: too many seccomp isolators specified");
  const iso = found[0];
  if (!iso) return DEFAULT_FILTER;
  const set = expandSet(iso.set);
  const retain = iso.kind === "os/linux/seccomp-retain-set";
  if (retain && set === "all") return undefined;
  // whatever names no call (@appc.io/empty, a remove set's @appc.io/all, only unknown wildcards) opts in to the default whitelist
  if (typeof set === "string" || set.length === 0) return { mode: "retain", syscalls: DOCKER_WHITELIST, errno: iso.errno };
  return { mode: retain ? "retain" : "remove", syscalls: set, errno: iso.errno };
}

/** The errno number of `name`; throws for a name Linux does not have. */
export function errnoNumber(name: string): number {
  const n = ERRNO_NUMBERS[name];
  if (n === undefined) throw new RktError(`cannot set up seccomp: unknown errno "${name}" (see errno(3))`);
  return n;
}

/**
 * The x86_64 BPF policy of `filter`. Names this architecture lacks (chown32, …) are skipped, as
 * systemd skips them.
 */
export function seccompPolicy(filter: SeccompFilter): SeccompPolicy {
  const block = filter.errno ? errnoAction(errnoNumber(filter.errno)) : SECCOMP_RET.KILL_PROCESS;
  const names = filter.mode === "retain" ? [...filter.syscalls, ...SYSTEMD_DEFAULT] : filter.syscalls;
  // The numbers ascending, each once. Plain loops and a typed array's native sort (no comparator
  // calls): stage1 runs this once per app, cold, in the interpreter, where the array-method chain
  // with a sort callback took ~2 ms of `rkt run`.
  const nrs = new Int32Array(names.length);
  let n = 0;
  for (const name of names) {
    const nr = SYSCALLS_X86_64[name];
    if (nr !== undefined) nrs[n++] = nr;
  }
  const listed: number[] = [];
  for (const nr of nrs.subarray(0, n).sort()) if (listed.length === 0 || listed[listed.length - 1] !== nr) listed.push(nr);
  if (filter.mode === "remove") return { rules: listed.map((nr) => [nr, nr, block]), otherwise: SECCOMP_RET.ALLOW };
  const rules: [number, number, number][] = listed.map((nr) => [nr, nr, SECCOMP_RET.ALLOW]);
  let from = NEWER_THAN_RKT;
  for (const nr of [...listed.filter((n) => n >= NEWER_THAN_RKT), X32_SYSCALL_BIT]) {
    if (nr > from) rules.push([from, nr - 1, errnoAction(ERRNO_NUMBERS.ENOSYS!)]);
    from = nr + 1;
  }
  return { rules, otherwise: block };
}

/**
 * DEFAULT_FILTER's BPF program, base64: stage1 imports this as a build-time macro, since compiling
 * it at run time, cold in the interpreter, took ~1.5 ms of every `rkt run`.
 */
export function defaultSeccompProgram(): string {
  return Buffer.from(compileSeccomp(seccompPolicy(DEFAULT_FILTER))).toString("base64");
}
