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
