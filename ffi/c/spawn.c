/* spawn.c — the pod's PID 1 and the forks it makes, as native code.
 * Why C: a Bun process cannot be forked (the child crashes on its next JS or FFI call), and a
 * second Bun process as PID 1 costs about one whole crun (DESIGN.md §3). So stage1 calls
 * pod_init() through bun:ffi cc(): it forks once; the child never returns to JS. Header-free on
 * purpose (no host headers needed); libc symbols are resolved from the running process.
 * Data: `pod` and the app specs live in JS memory before the fork (u64 slots, see ffi/spawn.ts);
 * the child works on its copy.
 *   stage1 → init, cmd pipe:    { int op, idx, arg }   op 1 start spec idx, 2 signal spec idx,
 *                                                      3 signal everything; EOF: kill all, exit
 *   init → stage1, event pipe:  { int kind, idx, a, b }  1 started (a = pid in the pod),
 *       2 exited (b = wait status), 3 start failed (a = step, b = errno), 4 signal (b = signo),
 *       5 /proc mount failed (idx = target, b = errno)
 */
typedef unsigned long u64;
struct pollfd { int fd; short events, revents; };
int fork(void); int setsid(void); int close(int); int open(const char *, int, int); int dup2(int, int);
long read(int, void *, u64); long write(int, const void *, u64); void _exit(int);
int waitpid(int, int *, int); int kill(int, int); int unshare(int); int prctl(int, u64, u64, u64, u64);
int execve(const char *, char *const *, char *const *); int chroot(const char *); int chdir(const char *);
int setgroups(u64, const unsigned *); int setresgid(unsigned, unsigned, unsigned);
int setresuid(unsigned, unsigned, unsigned); int mount(const char *, const char *, const char *, u64, const void *);
int sigprocmask(int, const u64 *, u64 *); int signalfd(int, const u64 *, int); int poll(struct pollfd *, u64, int);
void *signal(int, void *); long syscall(long, ...); int *__errno_location(void);

enum { S_PATH, S_ARGV, S_ENVP, S_ROOT, S_CWD, S_GROUPS, S_NGROUPS, S_UID, S_GID, S_FLAGS, S_PID, S_SLOTS };
enum { P_NSPECS, P_SPECS, P_PROCS, P_CMDFD, P_EVFD, P_CLOSE_RANGE, P_CLOSEFD1, P_CLOSEFD2 };
enum { F_NULL_STDIN = 1, F_NEW_MNTNS = 2 };

static int evfd;

static void emit(int kind, int idx, int a, int b) {
  int ev[4] = { kind, idx, a, b };
  write(evfd, ev, sizeof ev);
}

/* In the app's child: own session, own mount namespace, root, ids, then execve. Never returns. */
static void start_app(u64 *s, int idx, long sys_close_range) {
  u64 none[16] = { 0 };
  int step = 0;
  sigprocmask(2 /* SIG_SETMASK */, none, 0);
  setsid();
  if (s[S_FLAGS] & F_NULL_STDIN) { int fd = open("/dev/null", 2 /* O_RDWR */, 0); if (fd >= 0) dup2(fd, 0); }
  /* everything but stdio closes at exec; the event pipe stays usable until then */
  syscall(sys_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  if ((s[S_FLAGS] & F_NEW_MNTNS) && unshare(0x20000 /* CLONE_NEWNS */)) step = 1;
  else if (chroot((char *)s[S_ROOT])) step = 2;
  else if (chdir((char *)s[S_CWD])) step = 3;
  else if (setgroups(s[S_NGROUPS], (unsigned *)s[S_GROUPS])) step = 4;
  else if (setresgid(s[S_GID], s[S_GID], s[S_GID])) step = 5;
  else if (setresuid(s[S_UID], s[S_UID], s[S_UID])) step = 6;
  else { execve((char *)s[S_PATH], (char **)s[S_ARGV], (char **)s[S_ENVP]); step = 7; }
  emit(3, idx, step, *__errno_location());
  _exit(127);
}

static void reap(u64 **specs, int n) {
  int st, pid, i;
  while ((pid = waitpid(-1, &st, 1 /* WNOHANG */)) > 0)
    for (i = 0; i < n; i++)
      if ((int)specs[i][S_PID] == pid) { specs[i][S_PID] = 0; emit(2, i, pid, st); }
}

/* The pod's PID 1: mounts each app's /proc, then serves the cmd pipe until it closes. */
static void init_loop(u64 *pod) {
  int n = pod[P_NSPECS], cmdfd = pod[P_CMDFD], sfd, i, sig;
  u64 **specs = (u64 **)pod[P_SPECS], mask[16] = { 0 };
  char **procs = (char **)pod[P_PROCS];
  struct pollfd pf[2];
  int cmd[3], info[32];
  close(pod[P_CLOSEFD1]);
  close(pod[P_CLOSEFD2]);
  setsid();
  prctl(1 /* PR_SET_PDEATHSIG */, 9, 0, 0, 0);
  for (sig = 1; sig < 32; sig++) signal(sig, 0 /* SIG_DFL */);
  mask[0] = 1UL << (17 - 1) | 1UL << (15 - 1) | 1UL << (2 - 1) | 1UL << (1 - 1); /* CHLD TERM INT HUP */
  sigprocmask(0 /* SIG_BLOCK */, mask, 0);
  sfd = signalfd(-1, mask, 0x80000 /* SFD_CLOEXEC */);
  for (i = 0; procs[i]; i++)
    if (mount("proc", procs[i], "proc", 0xe /* nosuid nodev noexec */, 0)) { emit(5, i, 0, *__errno_location()); _exit(1); }
  pf[0].fd = sfd; pf[1].fd = cmdfd; pf[0].events = pf[1].events = 1 /* POLLIN */;
  for (;;) {
    if (poll(pf, 2, -1) < 0) continue;
    if (pf[0].revents && read(sfd, info, sizeof info) == sizeof info) {
      if (info[0] == 17) reap(specs, n);
      else {
        for (i = 0; i < n; i++) if (specs[i][S_PID]) kill(specs[i][S_PID], info[0]);
        emit(4, -1, 0, info[0]);
      }
    }
    if (!pf[1].revents) continue;
    if (read(cmdfd, cmd, sizeof cmd) != sizeof cmd) {
      kill(-1, 9);
      while (waitpid(-1, 0, 0) > 0) ;
      _exit(0);
    }
    if (cmd[0] == 1 && cmd[1] >= 0 && cmd[1] < n) {
      int pid = fork();
      if (pid == 0) start_app(specs[cmd[1]], cmd[1], pod[P_CLOSE_RANGE]);
      if (pid > 0) { specs[cmd[1]][S_PID] = pid; emit(1, cmd[1], pid, 0); }
      else emit(3, cmd[1], 0, *__errno_location());
    } else if (cmd[0] == 2 && cmd[1] >= 0 && cmd[1] < n && specs[cmd[1]][S_PID]) kill(specs[cmd[1]][S_PID], cmd[2]);
    else if (cmd[0] == 3) kill(-1, cmd[2]);
  }
}

/* Forks the pod's PID 1 (the caller has unshared CLONE_NEWPID). Returns its pid, or -errno. */
int pod_init(u64 *pod) {
  int pid;
  evfd = pod[P_EVFD];
  pid = fork();
  if (pid == 0) init_loop(pod);
  return pid < 0 ? -*__errno_location() : pid;
}
