/* userdb.c - passwd and group look-ups of the entering code (userdb.h) */
#include "userdb.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

/* the name service for users and groups not in /etc/passwd, /etc/group */
#ifndef VSYS_GETENT
#define VSYS_GETENT "/usr/bin/getent"
#endif

#define FIELDS_MAX 7

struct span {
	const char *p;
	size_t n;
};

/* Split the line [p, end) at ':' into at most max spans; the count. */
static int split_line(const char *p, const char *end, struct span *f, int max)
{
	int n = 0;

	f[0].p = p;
	for (; p < end && n < max; p++) {
		if (*p == ':') {
			f[n].n = (size_t)(p - f[n].p);
			if (++n < max)
				f[n].p = p + 1;
		}
	}
	if (n < max) {
		f[n].n = (size_t)(end - f[n].p);
		n++;
	} else {
		n = max + 1; /* more fields than max */
	}
	return n;
}

/* A decimal id: digits only, fits in 32 bits. */
static int parse_id(struct span s, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (s.n == 0)
		return 0;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
		if (v > 0xffffffffUL)
			return 0;
	}
	*out = (unsigned)v;
	return 1;
}

static int copy_span(char *dst, size_t cap, struct span s, const char *dflt)
{
	if (s.n == 0) {
		size_t d = strlen(dflt);
		memcpy(dst, dflt, d + 1);
		return 1;
	}
	if (s.n >= cap || memchr(s.p, '\0', s.n))
		return 0;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 1;
}

/* Call fn on each line of buf that is not NIS compat or a comment; stops at
 * the first that returns 1. */
static int each_line(const char *buf, size_t len, int max,
		     int (*fn)(struct span *f, int n, const void *key, void *out),
		     const void *key, void *out)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span f[FIELDS_MAX + 1];
		int n;

		if (!nl)
			nl = end;
		if (p < nl && *p != '+' && *p != '-' && *p != '#') {
			n = split_line(p, nl, f, max);
			if (fn(f, n, key, out))
				return 1;
		}
		p = nl + 1;
	}
	return 0;
}

/* Fill *u from a matching line (its own frame: the large copy is only made
 * for the line that matches). */
__attribute__((noinline)) static int fill_user(const struct span *f, unsigned uid, unsigned gid,
					      struct userdb_user *u)
{
	struct userdb_user tmp;

	if (!copy_span(tmp.name, sizeof tmp.name, f[0], "") ||
	    !copy_span(tmp.home, sizeof tmp.home, f[5], "/") ||
	    !copy_span(tmp.shell, sizeof tmp.shell, f[6], "/bin/sh"))
		return 0;
	tmp.uid = (uid_t)uid;
	tmp.gid = (gid_t)gid;
	*u = tmp;
	return 1;
}

static int passwd_line(struct span *f, int n, const void *key, void *out)
{
	unsigned uid, gid;

	if (n != 7 || f[0].n == 0 || !parse_id(f[2], &uid) || uid != *(const uid_t *)key ||
	    !parse_id(f[3], &gid))
		return 0;
	return fill_user(f, uid, gid, out);
}

int userdb_passwd_find(const char *buf, size_t len, uid_t uid, struct userdb_user *out)
{
	return each_line(buf, len, 7, passwd_line, &uid, out);
}

static int group_line(struct span *f, int n, const void *key, void *out)
{
	const char *name = key;
	unsigned g;

	if (n < 3 || n > 4 || f[0].n != strlen(name) || memcmp(f[0].p, name, f[0].n) != 0 ||
	    !parse_id(f[2], &g))
		return 0;
	*(gid_t *)out = (gid_t)g;
	return 1;
}

int userdb_group_find(const char *buf, size_t len, const char *name, gid_t *gid)
{
	if (!name[0])
		return 0;
	return each_line(buf, len, 4, group_line, name, gid);
}

#define HOST_DB_MAX (1 << 20)

/* A host database file (root-owned, regular, not group/other writable;
 * through the fd) into buf; its length, 0 if it cannot be used (then the
 * name service is asked). */
static size_t read_host_db(const char *name, char *buf, size_t cap)
{
	struct stat st;
	const char *why;
	ssize_t n;
	int etc = open("/etc", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (etc < 0)
		return 0;
	fd = open_checked_at(etc, name, S_IFREG, 0, &st, &why);
	close(etc);
	if (fd < 0)
		return 0;
	if (st.st_size >= (off_t)cap) {
		close(fd);
		return 0;
	}
	n = read_all(fd, buf, cap, st.st_size);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* Close every fd from 3 up: close_range(2), else the scan. */
static void close_fds_from_3(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		close_fds_scan(3, 0);
}

/* The child's process state: none of the caller's (cwd, umask, rlimits,
 * signal mask and dispositions). */
static void reset_child_state(void)
{
	static const struct { int res; rlim_t lim; } limits[] = {
		{ RLIMIT_CORE, 0 },
		{ RLIMIT_CPU, RLIM_INFINITY },
		{ RLIMIT_FSIZE, RLIM_INFINITY },
		{ RLIMIT_DATA, RLIM_INFINITY },
		{ RLIMIT_STACK, 8 << 20 },
		{ RLIMIT_AS, RLIM_INFINITY },
		{ RLIMIT_NOFILE, 1024 },
		{ RLIMIT_NPROC, RLIM_INFINITY },
	};
	struct sigaction dfl;
	sigset_t none;
	size_t i;
	int s;

	if (chdir("/") < 0)
		_exit(126);
	umask(022);
	for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct rlimit rl = { limits[i].lim, limits[i].lim }; /* root may raise a hard limit */
		if (setrlimit(limits[i].res, &rl) < 0 && limits[i].res == RLIMIT_CORE)
			_exit(126);
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		_exit(126);
}

/* getent(1) as root: its first output line in out. 1 if found, 0 if not
 * (or getent failed). */
static int getent_line(const char *db, const char *key, char *out, size_t cap)
{
	static char *const env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
	struct sigaction dfl, old;
	size_t len = 0;
	int p[2], status = -1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &dfl, &old); /* an inherited SIG_IGN would reap it for us */
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		sigaction(SIGCHLD, &old, NULL);
		return 0;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)"getent", (char *)db, (char *)key, NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		close_fds_from_3();
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(126);
		reset_child_state();
		execve(VSYS_GETENT, argv, env);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], out + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap - 1)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old, NULL);
	out[len] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && len > 0;
}

static char host_db[HOST_DB_MAX];
static size_t group_len;
static int group_loaded;

int userdb_user_by_uid(uid_t uid, struct userdb_user *out)
{
	char key[16], line[8192];

	group_loaded = 0; /* host_db is about to hold passwd */
	if (userdb_passwd_find(host_db, read_host_db("passwd", host_db, sizeof host_db), uid, out))
		return 1;
	xsnprintf(key, sizeof key, "%u", (unsigned)uid);
	return getent_line("passwd", key, line, sizeof line) &&
	       userdb_passwd_find(line, strcspn(line, "\n"), uid, out);
}

int userdb_gid_by_name(const char *name, gid_t *gid)
{
	char line[8192];

	if (!group_loaded) {
		group_len = read_host_db("group", host_db, sizeof host_db);
		group_loaded = 1;
	}
	if (userdb_group_find(host_db, group_len, name, gid))
		return 1;
	return name[0] != '-' && getent_line("group", name, line, sizeof line) &&
	       userdb_group_find(line, strcspn(line, "\n"), name, gid);
}
