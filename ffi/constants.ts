// Kernel constants, each group citing its header. x86_64 and aarch64 share these values.

/** include/uapi/asm-generic/fcntl.h */
export const O = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_DIRECTORY: 0o200000,
  O_NOFOLLOW: 0o400000,
  O_CLOEXEC: 0o2000000,
  O_PATH: 0o10000000,
} as const;

/** include/uapi/asm-generic/fcntl.h: fcntl commands */
export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;

/** include/uapi/asm-generic/file.h (flock) */
export const LOCK = { LOCK_SH: 1, LOCK_EX: 2, LOCK_NB: 4, LOCK_UN: 8 } as const;

/** include/uapi/linux/fs.h (renameat2) */
export const RENAME = { RENAME_NOREPLACE: 1, RENAME_EXCHANGE: 2 } as const;
export const AT_FDCWD = -100;

/** include/uapi/linux/sched.h: namespace flags for unshare(2)/setns(2)/clone(2) */
export const CLONE = {
  CLONE_FS: 0x200,
  CLONE_NEWNS: 0x20000,
  CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
} as const;

/** include/uapi/linux/mount.h: mount(2) flags */
export const MS = {
  MS_RDONLY: 0x1,
  MS_NOSUID: 0x2,
  MS_NODEV: 0x4,
  MS_NOEXEC: 0x8,
  MS_SYNCHRONOUS: 0x10,
  MS_REMOUNT: 0x20,
  MS_MANDLOCK: 0x40,
  MS_DIRSYNC: 0x80,
  MS_NOSYMFOLLOW: 0x100,
  MS_NOATIME: 0x400,
  MS_NODIRATIME: 0x800,
  MS_BIND: 0x1000,
  MS_MOVE: 0x2000,
  MS_REC: 0x4000,
  MS_SILENT: 0x8000,
  MS_UNBINDABLE: 0x20000,
  MS_PRIVATE: 0x40000,
  MS_SLAVE: 0x80000,
  MS_SHARED: 0x100000,
  MS_RELATIME: 0x200000,
  MS_STRICTATIME: 0x1000000,
} as const;

/** include/linux/fs.h: umount2(2) flags */
export const MNT = { MNT_FORCE: 1, MNT_DETACH: 2, MNT_EXPIRE: 4, UMOUNT_NOFOLLOW: 8 } as const;

/** include/uapi/linux/prctl.h */
export const PR = {
  PR_SET_PDEATHSIG: 1,
  PR_SET_NAME: 15,
  PR_SET_CHILD_SUBREAPER: 36,
  PR_SET_NO_NEW_PRIVS: 38,
} as const;

/** include/uapi/asm-generic/signal.h (x86_64 and aarch64 agree) */
export const SIG = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGWINCH: 28,
} as const;

/** include/linux/socket.h, include/linux/net.h: unix datagram sockets (sd_notify) */
export const AF_UNIX = 1;
export const SOCK = { SOCK_DGRAM: 2, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000 } as const;
export const EAGAIN = 11;

/** asm-generic/errno-base.h: a call interrupted by a signal handler */
export const EINTR = 4;

/** include/uapi/asm-generic/poll.h */
export const POLLOUT = 4;

/** asm-generic/errno-base.h: waitpid's "no such child" */
export const ECHILD = 10;
