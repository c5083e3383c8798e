/* util.h - the one way to fail, and small helpers shared by the programs */
#ifndef VSYS_UTIL_H
#define VSYS_UTIL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifndef VSYS_ROOT
#define VSYS_ROOT "/OS"
#endif
/* The directory of vsys.conf (native/Makefile): /etc/vsys for /OS. When
 * VSYS_CONF_DIR/vsys.conf does not exist, VSYS_ROOT/etc/vsys.conf (where
 * installs before 2026-12 kept it) is read instead. */
#ifndef VSYS_CONF_DIR
#define VSYS_CONF_DIR "/etc/vsys"
#endif
#define VSYS_CONF VSYS_CONF_DIR "/vsys.conf"
#define VSYS_CONF_OLD VSYS_ROOT "/etc/vsys.conf"

/* Exit status used by die(); each program sets it at the start of main(). */
extern int die_status;
/* Prefix of every error line ("vsys", "vsys-view"). */
extern const char *die_prefix;

/* Print one line "<prefix>: <message>" (die) or "<prefix>: <message>: <strerror>"
 * (die_errno, errno saved on entry) to stderr and _exit(die_status). */
__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void die_errno(const char *fmt, ...);

/* Copy src into dst (size n), dying on truncation. */
void xstrlcpy(char *dst, const char *src, size_t n);
/* snprintf that dies on truncation or error. */
__attribute__((format(printf, 3, 4)))
void xsnprintf(char *dst, size_t n, const char *fmt, ...);

/* Read a whole file from fd into buf (size cap, NUL terminated); returns
 * its length, or -1 with errno set (EFBIG when larger than cap-1). size:
 * the file's fstat size when known (stops once that much is read, saving
 * the read that would return 0; reads on if the file is longer), else -1. */
ssize_t read_all(int fd, char *buf, size_t cap, off_t size);

/* Open name relative to dirfd, never following a symlink there, and check
 * the fd (not the path): kind S_IFREG (opened O_RDONLY|O_NONBLOCK|O_NOCTTY:
 * a FIFO never blocks the open) or S_IFDIR (O_PATH|O_DIRECTORY), owned by
 * owner, not writable by group or others. Returns the fd (O_CLOEXEC), or -1
 * with errno set and *why: NULL when errno is the reason (ENOENT ...), else
 * "unsafe: a symlink", "unsafe: not a regular file", "unsafe: not a
 * directory (symlink?)", "unsafe: not owned by root" (by the user, when
 * owner is not 0), "unsafe: writable by group or others". st (may be NULL)
 * receives the fstat. */
int open_checked_at(int dirfd, const char *name, mode_t kind, uid_t owner, struct stat *st,
		    const char **why);

/* Close fds from `from` up without /proc: every one (dirs_only 0), or only
 * those that fstat as directories; up to the hard RLIMIT_NOFILE, and at
 * least 65536 (a caller may lower the limits below an fd it holds). The
 * fallback of close_range(2) and of a /proc/self/fd walk. */
void close_fds_scan(int from, int dirs_only);

/* Write all of buf; -1 on error. */
int write_all(int fd, const void *buf, size_t len);

#endif
