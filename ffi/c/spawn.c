/* spawn.c — the pod's PID 1 and the forks it makes, as native code. Why C: a Bun process cannot be
 * forked (the child crashes on its next JS or FFI call), its namespaces move per thread while JIT/GC
 * threads come and go (one born inside the pod's mount namespace would pin it), and a second Bun
 * process as PID 1 costs about one crun (DESIGN.md §3). So stage1 calls pod_init() via bun:ffi cc()
 * (through shim(), the one export: each costs cc() a compiled trampoline, ~0.3 ms):
 * one clone(2) with every namespace flag; the child sets the pod up from a plan laid out in JS
 * (u64 slots, ffi/spawn.ts) and never returns to JS. Header-free; libc symbols come from the process.
 *   stage1 → init (cmd pipe) { op, idx, arg }: 1 start spec idx, 2 signal it, 3 signal all; EOF: kill all
 *   init → stage1 (event pipe) { kind, idx, a, b }: 1 started (a = pid), 2 exited (b = wait status),
 *     3 start failed (a = step, b = errno), 4 signal (b), 5 setup op idx failed (b = errno), 6 ready
 * --private-users: after the setup (as host root) PID 1 unshares a user namespace, then reports ready;
 *   stage1 writes its uid/gid maps before it sends any command, so every app is born in it, mapped.
 * pod_enter() is `rkt enter`: a child joins a pod's namespaces (setns(mnt) needs one thread), forks.
 * Isolators, socket activation and the mknod fallback take ~40 lines above DESIGN.md §3's 150:
 * they act in PID 1 or in the app's process between fork and execve, out of JS's reach, on
 * precomputed data (file writes, a capability mask, a BPF program, the fds to keep and the pid to
 * name in LISTEN_PID, the host node to bind where mknod is refused). The cgroup prime takes ~8 more.
 */
typedef unsigned long u64; struct pollfd { int fd; short events, revents; };
int setsid(void); int open(const char *, int, int); int close(int); int dup2(int, int);
long read(int, void *, u64); long write(int, const void *, u64); void _exit(int) __attribute__((noreturn)); int umask(int);
int waitpid(int, int *, int); int kill(int, int); int unshare(int); int prctl(int, u64, u64, u64, u64);
int execve(const char *, char *const *, char *const *); int chroot(const char *); int chdir(const char *);
int mount(const char *, const char *, const char *, u64, const void *); int mknod(const char *, int, u64);
int symlink(const char *, const char *); int mkdir(const char *, int); int chmod(const char *, int);
int chown(const char *, int, int); int sethostname(const char *, u64); int socket(int, int, int); int ioctl(int, u64, void *);
int setns(int, int); int sigprocmask(int, const u64 *, u64 *); int signalfd(int, const u64 *, int); int poll(struct pollfd *, u64, int);
void *signal(int, void *); long syscall(long, ...); void *mmap(void *, u64, int, int, int, long);
int clone(int (*)(void *), void *, int, void *, ...); int capget(void *, void *); int capset(void *, void *); int *__errno_location(void); u64 strlen(const char *); char *strrchr(const char *, int);
int getpid(void); int fcntl(int, int, ...);

enum { S_PATH, S_ARGV, S_ENVP, S_ROOT, S_CWD, S_GROUPS, S_NGROUPS, S_UID, S_GID, S_FLAGS, S_PID, S_WRITES, S_CAPDROP, S_SECCOMP, S_LISTEN, S_LISTEN_PID };
enum { P_NSPECS, P_SPECS, P_CMDFD, P_EVFD, P_CLOSEFD1, P_CLOSEFD2, P_CLONE_FLAGS, P_NOPS, P_OPS, P_HOSTNAME, P_POD_FLAGS };
enum { POD_LO_UP = 1, POD_KEEP_SESSION = 2 /* --interactive: the app stays on rkt's terminal */, POD_USERNS = 4 };
enum { OP_MOUNT = 1, OP_MKNOD, OP_SYMLINK, OP_MKDIR, OP_TOUCH, OP_WRITE }; /* op slots: kind, a, b, c, d, e */
/* SYS_* come from ffi/syscalls.ts. Ids change by raw syscall: glibc's would wait for Bun's threads. */
static int evfd; static void emit(int kind, int idx, int a, int b) { int ev[4] = { kind, idx, a, b }; write(evfd, ev, sizeof ev); }
static int mkdir_p(char *p, int mode) { /* mode for what it makes; parents (0755) only when one is missing */
  char *c = strrchr(p, '/'); int r, e = mkdir(p, mode) ? *__errno_location() : 0;
  if (e != 2 /* ENOENT */ || !c || c == p) return !e ? chmod(p, mode) : e == 17 /* EEXIST */ ? 0 : -1;
  *c = 0; r = mkdir_p(p, 0755); *c = '/'; return r || mkdir(p, mode) ? -1 : chmod(p, mode);
}
static int apply(u64 *o) { /* touch opens O_CREAT read-only: a file an overlay has is not copied up */
  char *a = (char *)o[1], *b = (char *)o[2], *c; int fd, fl = o[0] == OP_WRITE ? 01101 /* O_WRONLY|O_CREAT|O_TRUNC */ : 0100, md = o[4] ? o[4] : 0644;
  switch (o[0]) {
  case OP_MOUNT: return mount(a, b, (char *)o[3], o[4], (void *)o[5]);
  case OP_MKNOD: /* refused (rkt in a container: no CAP_MKNOD or a device cgroup): the host's node bound in, as nspawn does */
    if (!mknod(a, o[4], (o[3] & 0xff) | (o[2] & 0xfff) << 8 | (o[3] & ~0xffUL) << 12 | (o[2] & ~0xfffUL) << 32)) return 0;
    if (*__errno_location() != 1 /* EPERM */ || !o[5] || (fd = open(a, 0100 /* O_CREAT */, 0644)) < 0 || close(fd)) return -1;
    return mount((char *)o[5], a, 0, 4096 /* MS_BIND */, 0);
  case OP_SYMLINK: return symlink(a, b);
  case OP_MKDIR: return mkdir_p(a, o[4]) || (o[3] && chown(a, o[3] >> 32, o[3] & 0xffffffff));
  default: /* OP_TOUCH, OP_WRITE, creating missing parent directories */
    if ((fd = open(a, fl, md)) < 0 && *__errno_location() == 2 && (c = strrchr(a, '/')) && c != a) { *c = 0; mkdir_p(a, 0755); *c = '/'; fd = open(a, fl, md); }
    if (fd < 0) return -1;
    if (o[0] == OP_WRITE && write(fd, b, o[3]) != (long)o[3]) return -1;
    return close(fd);
  }
}

/* Each { path, text } of a null-terminated list (cgroup.procs, oom_score_adj); then the bounding set
 * minus `drop`, and no inheritable caps (root's execve would add them back to the permitted set). */
static int write_all(u64 *w) {
  int fd;
  for (; w && *w; w += 2) if ((fd = open((char *)w[0], 01 /* O_WRONLY */, 0)) < 0 || write(fd, (char *)w[1], strlen((char *)w[1])) < 0 || close(fd)) return -1;
  return 0;
}
static int drop_caps(u64 drop) {
  int i, hdr[2] = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 }, d[6];
  for (i = 0; i < 64; i++) if ((drop >> i & 1) && prctl(24 /* PR_CAPBSET_DROP */, i, 0, 0, 0)) return -1;
  return capget(hdr, d) || (d[2] = d[5] = 0, capset(hdr, d));
}

/* Socket activation: the S_LISTEN sockets systemd passed rkt (fds 3…) stay open across execve, and
 * the LISTEN_PID=… entry of the environment gets this process's pid in the pod. */
static void pass_listen_fds(u64 *s) {
  int i, p = getpid(), n = 0; char d[12], *at = (char *)s[S_LISTEN_PID] + 11 /* after "LISTEN_PID=" */;
  for (i = 0; i < (int)s[S_LISTEN]; i++) fcntl(3 + i, 2 /* F_SETFD */, 0);
  do d[n++] = '0' + p % 10; while (p /= 10);
  while (n) *at++ = d[--n];
  *at = 0;
}

/* In the app's child: session, cgroups, mount namespace, root, caps (root keeps its effective ones for
 * seccomp until execve), ids, NNP, seccomp, execve. Never returns. */
static void start_app(u64 *s, int idx) {
  u64 none[16] = { 0 }; int step = 0;
  sigprocmask(2 /* SIG_SETMASK */, none, 0);
  prctl(1 /* PR_SET_PDEATHSIG */, 9, 0, 0, 0); /* without a PID namespace (fly) nothing else ends it */
  if (!(s[S_FLAGS] & 4)) setsid(); /* 4: keep rkt's session and terminal (enter, --interactive) */
  if (s[S_FLAGS] & 1) { int fd = open("/dev/null", 2 /* O_RDWR */, 0); if (fd >= 0) dup2(fd, 0); }
  syscall(SYS_close_range, 3 + s[S_LISTEN], ~0U, 4 /* CLOSE_RANGE_CLOEXEC: the event pipe stays usable until exec */);
  if (s[S_LISTEN]) pass_listen_fds(s);
  if (write_all((u64 *)s[S_WRITES])) step = 8;
  else if ((s[S_FLAGS] & 2) && unshare(0x20000 /* CLONE_NEWNS */)) step = 1;
  else if (chroot((char *)s[S_ROOT])) step = 2;
  else if (chdir((char *)s[S_CWD])) step = 3;
  else if (drop_caps(s[S_CAPDROP])) step = 9;
  else if (syscall(SYS_setgroups, s[S_NGROUPS], s[S_GROUPS])) step = 4;
  else if (syscall(SYS_setresgid, s[S_GID], s[S_GID], s[S_GID])) step = 5;
  else if (syscall(SYS_setresuid, s[S_UID], s[S_UID], s[S_UID])) step = 6;
  else if ((s[S_FLAGS] & 8) && prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0)) step = 10;
  else if (s[S_SECCOMP] && prctl(22 /* PR_SET_SECCOMP */, 2 /* SECCOMP_MODE_FILTER */, s[S_SECCOMP], 0, 0)) step = 11;
  else { execve((char *)s[S_PATH], (char **)s[S_ARGV], (char **)s[S_ENVP]); step = 7; }
  emit(3, idx, step, *__errno_location()); _exit(127);
}

/* Apps start like vfork(): the child borrows PID 1's memory until its execve, so no page table of
 * Bun's big address space is copied per app; PID 1 waits meanwhile, one child at a time. */
static char app_stack[1 << 16]; static u64 *app_spec; static int app_idx;
static int app_main(void *unused) { start_app(app_spec, app_idx); return 0; }

/* Every process of the pod. kill(-1) only ever inside the pod's own PID namespace: in the host's
 * (fly) it would signal every process on the machine, so there only the apps started are signalled. */
static void kill_all(u64 *pod, int sig) {
  int i; u64 **sp = (u64 **)pod[P_SPECS];
  if (pod[P_CLONE_FLAGS] & 0x20000000 /* CLONE_NEWPID */) kill(-1, sig);
  else for (i = 0; i < (int)pod[P_NSPECS]; i++) if (sp[i][S_PID]) kill(sp[i][S_PID], sig);
}

/* The pod's PID 1: sets the pod up, then serves the cmd pipe until it closes. */
static void init_loop(u64 *pod) {
  int n = pod[P_NSPECS], cmdfd = pod[P_CMDFD], sfd, i, st, pid, cmd[3], info[32];
  u64 **specs = (u64 **)pod[P_SPECS], mask[16] = { 0 }, *ops = (u64 *)pod[P_OPS];
  char *host = (char *)pod[P_HOSTNAME], ifr[40] = "lo"; struct pollfd pf[2];
  close(pod[P_CLOSEFD1]); close(pod[P_CLOSEFD2]);
  if (!(pod[P_POD_FLAGS] & POD_KEEP_SESSION)) setsid();
  prctl(1 /* PR_SET_PDEATHSIG */, 9, 0, 0, 0); prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0); /* apps: no /proc/1/{root,fd} */
  for (i = 1; i < 32; i++) signal(i, 0 /* SIG_DFL */);
  mask[0] = 1UL << (17 - 1) | 1UL << (15 - 1) | 1UL << (2 - 1) | 1UL << (1 - 1); /* CHLD TERM INT HUP */
  sigprocmask(0 /* SIG_BLOCK */, mask, 0); sfd = signalfd(-1, mask, 0x80000 /* SFD_CLOEXEC */);
  umask(0); /* modes in the plan are exact */
  for (i = 0; i < (int)pod[P_NOPS]; i++) if (apply(ops + 6 * i)) { emit(5, i, 0, *__errno_location()); _exit(1); }
  umask(022);
  if (*host && sethostname(host, strlen(host))) { emit(5, -1, 0, *__errno_location()); _exit(1); }
  if (pod[P_POD_FLAGS] & POD_LO_UP) { /* SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP */
    int s = socket(2, 2, 0);
    if (s < 0 || ioctl(s, 0x8913, ifr) || (ifr[16] |= 1, ioctl(s, 0x8914, ifr))) { emit(5, -2, 0, *__errno_location()); _exit(1); }
    close(s);
  }
  if ((pod[P_POD_FLAGS] & POD_USERNS) && unshare(0x10000000 /* CLONE_NEWUSER */)) { emit(5, -3, 0, *__errno_location()); _exit(1); }
  emit(6, 0, 0, 0);
  pf[0].fd = sfd; pf[1].fd = cmdfd; pf[0].events = pf[1].events = 1 /* POLLIN */;
  for (;;) {
    if (poll(pf, 2, -1) < 0) continue;
    if (pf[0].revents && read(sfd, info, sizeof info) == sizeof info) {
      if (info[0] == 17) {
        while ((pid = waitpid(-1, &st, 1 /* WNOHANG */)) > 0)
          for (i = 0; i < n; i++) if ((int)specs[i][S_PID] == pid) { specs[i][S_PID] = 0; emit(2, i, pid, st); }
      } else {
        for (i = 0; i < n; i++) if (specs[i][S_PID]) kill(specs[i][S_PID], info[0]);
        emit(4, -1, 0, info[0]);
      }
    }
    if (!pf[1].revents) continue;
    if (read(cmdfd, cmd, sizeof cmd) != sizeof cmd) { kill_all(pod, 9); while (waitpid(-1, 0, 0) > 0) ; _exit(0); }
    if (cmd[1] < 0 || cmd[1] >= n) { if (cmd[0] == 3) kill_all(pod, cmd[2]); continue; }
    if (cmd[0] == 2 && specs[cmd[1]][S_PID]) kill(specs[cmd[1]][S_PID], cmd[2]);
    if (cmd[0] != 1) continue; app_spec = specs[cmd[1]]; app_idx = cmd[1];
    pid = clone(app_main, app_stack + sizeof app_stack, 0x4100 /* CLONE_VM|CLONE_VFORK */ | 17 /* SIGCHLD */, 0);
    if (pid > 0) { specs[cmd[1]][S_PID] = pid; emit(1, cmd[1], pid, 0); }
    else emit(3, cmd[1], 0, *__errno_location());
  }
}
static int init_main(void *pod) { init_loop(pod); return 0; }

/* One clone(2) into every new namespace of the pod; the child is its PID 1. It shares this address
 * space (CLONE_VM, on its own stack), so it costs no copy of Bun's heap: ffi/spawn.ts keeps the
 * plan's memory alive for the pod's lifetime. Returns the child's host pid or -errno. */
static int pod_init(u64 *pod) {
  int pid; char *stack = mmap(0, 1 << 18, 3 /* PROT_READ|PROT_WRITE */, 0x20022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK */, -1, 0);
  if (stack == (char *)-1) return -*__errno_location();
  evfd = pod[P_EVFD];
  pid = clone(init_main, stack + (1 << 18), pod[P_CLONE_FLAGS] | 0x100 /* CLONE_VM */ | 17 /* SIGCHLD */, pod);
  return pid < 0 ? -*__errno_location() : pid;
}

/* e: spec pointer, event fd, then namespace fds (-1 ends). Returns the child's host pid or -errno;
 * the child exits with the command's code (128 + signal when killed). */
static int pod_enter(u64 *e) {
  long pid = syscall(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0);
  int i, st = 0;
  if (pid != 0) return pid < 0 ? -*__errno_location() : pid;
  evfd = e[1];
  for (i = 1; i < 32; i++) signal(i, 0 /* SIG_DFL: Bun's handlers are no use here */);
  for (i = 2; (int)e[i] >= 0; i++) if (setns(e[i], 0)) { emit(3, -1, 0, *__errno_location()); _exit(126); }
  if ((pid = syscall(SYS_clone, 17, 0, 0, 0, 0)) == 0) start_app((u64 *)e[0], -1); /* now in the pod's PID namespace */
  signal(2, (void *)1); signal(3, (void *)1); /* SIG_IGN: ^C and ^\ are for the command, as a shell waits */
  while (pid > 0 && waitpid(pid, &st, 0) < 0) ;
  _exit(pid < 0 ? 126 : (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff);
}
/* The cgroup migration prime (stage1/cgroups/setup.ts): a child on this memory moves itself into
 * `procs`'s cgroup and exits. A process, not Bun's I/O pool, whose two threads would stay for the
 * pod's lifetime (~0.2 MiB); ffi/spawn.ts runs one at a time (one stack). Returns its pid or -errno. */
static char prime_stack[1 << 14];
static int prime_main(void *procs) { u64 w[3] = { (u64)procs, (u64)"0", 0 }; _exit(write_all(w) ? 1 : 0); }
static int prime(char *procs) {
  int pid = clone(prime_main, prime_stack + sizeof prime_stack, 0x100 /* CLONE_VM */ | 17 /* SIGCHLD */, procs);
  return pid < 0 ? -*__errno_location() : pid;
}
int shim(u64 *a) { return a[0] == 1 ? pod_init((u64 *)a[1]) : a[0] == 2 ? pod_enter((u64 *)a[1]) : prime((char *)a[1]); }
