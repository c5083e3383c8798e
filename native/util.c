/* util.c - die() and small helpers shared by vsys-launcher, vsys-view and tests */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

int die_status = 1;
const char *die_prefix = "vsys";

static void vdie(int with_errno, const char *fmt, va_list ap)
    __attribute__((noreturn, format(printf, 2, 0)));

static void vdie(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];
	char line[1200];
	int n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (with_errno)
		n = snprintf(line, sizeof line, "%s: %s: %s\n", die_prefix, msg, strerror(saved));
	else
		n = snprintf(line, sizeof line, "%s: %s\n", die_prefix, msg);
	if (n < 0)
		_exit(die_status);
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	(void)write_all(STDERR_FILENO, line, (size_t)n);
	_exit(die_status);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(0, fmt, ap);
}

void die_errno(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

void xstrlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	if (len >= n)
		die("internal: string too long");
	memcpy(dst, src, len + 1);
}

void xsnprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n)
		die("internal: path too long");
}

ssize_t read_all(int fd, char *buf, size_t cap, off_t size)
{
	size_t len = 0;
	if (cap == 0) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			errno = EFBIG;
			return -1;
		}
		if (size >= 0 && len == (size_t)size)
			break; /* all fstat promised: no read for the EOF */
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int open_checked_at(int dirfd, const char *name, mode_t kind, uid_t owner, struct stat *st,
		    const char **why)
{
	int dir = kind == S_IFDIR;
	int flags = dir ? O_PATH | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY;
	struct stat own;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC), e;

	if (!st)
		st = &own;
	*why = NULL;
	if (fd < 0) {
		if (errno == ELOOP || (dir && errno == ENOTDIR))
			*why = dir ? "unsafe: not a directory (symlink?)" : "unsafe: a symlink";
		return -1;
	}
	if (fstat(fd, st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if ((st->st_mode & S_IFMT) != kind)
		*why = dir ? "unsafe: not a directory" : "unsafe: not a regular file";
	else if (st->st_uid != owner)
		*why = owner == 0 ? "unsafe: not owned by root" : "unsafe: not owned by the user";
	else if (st->st_mode & 022)
		*why = "unsafe: writable by group or others";
	if (*why) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

void close_fds_scan(int from, int dirs_only)
{
	struct rlimit rl;
	long fd, max = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max > (rlim_t)max)
		max = rl.rlim_max > (1 << 20) ? (1 << 20) : (long)rl.rlim_max;
	for (fd = from; fd < max; fd++) {
		struct stat st;
		if (dirs_only && (fstat((int)fd, &st) < 0 || !S_ISDIR(st.st_mode)))
			continue;
		close((int)fd);
	}
}
