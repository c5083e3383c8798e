/* enter.c - the one way into a vsys system (enter.h) */
#include "enter.h"
#include "enter_private.h"
#include "kmod_link.h"
#include "mountinfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

int vsys_fail_to(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

void vsys_entry_init(struct vsys_entry *e)
{
	char err[8];

	memset(e, 0, offsetof(struct vsys_entry, conf));
	e->rootfd = -1;
	e->ondemand = 0;
	e->hold_fd = -1;
	e->err[0] = '\0';
	e->root_checked = 0;
	(void)record_config(NULL, &e->config, err, sizeof err);
}

int vsys_caller_self(struct vsys_entry *e)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int n;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return fail_errno(e, "getresuid");
	n = getgroups(NGROUPS_MAX, e->groups);
	if (n < 0)
		return fail_errno(e, "getgroups");
	e->uid = ruid;
	e->gid = rgid;
	e->ngroups = n;
	return 0;
}

int vsys_caller_set(struct vsys_entry *e, uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (ngroups < 0 || ngroups > NGROUPS_MAX)
		return fail(e, "uid %u: too many groups", (unsigned)uid);
	e->uid = uid;
	e->gid = gid;
	e->ngroups = ngroups;
	if (ngroups)
		memcpy(e->groups, groups, (size_t)ngroups * sizeof *groups);
	return 0;
}

int vsys_capture_cwd(struct vsys_entry *e)
{
	if (!getcwd(e->cwd, sizeof e->cwd) || e->cwd[0] != '/') {
		e->cwd[0] = '\0';
		return fail(e, "cannot determine the current directory");
	}
	return 0;
}

int vsys_set_cwd(struct vsys_entry *e, const char *dir)
{
	if (!dir || dir[0] != '/' || strlen(dir) >= sizeof e->cwd)
		return fail(e, "not an absolute directory: the working directory");
	memcpy(e->cwd, dir, strlen(dir) + 1);
	return 0;
}

/* --- the selection file --------------------------------------------------- */
int vsys_read_selection(int homefd, const char *file, uid_t uid, char *name, size_t cap,
			char *err, size_t errlen)
{
	char buf[VSYS_SELECTION_MAX + 2];
	const char *why;
	struct stat st;
	ssize_t n;
	int fd;

	if (!file[0] || strchr(file, '/'))
		return vsys_fail_to(err, errlen, "%s: not a plain file name", file);
	fd = open_checked_at(homefd, file, S_IFREG, uid, &st, &why);
	if (fd < 0) {
		if (!why && errno == ENOENT)
			return 0;
		return vsys_fail_to(err, errlen, "~/%s: %s", file, why ? why : strerror(errno));
	}
	if (st.st_size > VSYS_SELECTION_MAX) {
		close(fd);
		return vsys_fail_to(err, errlen, "~/%s: larger than %d bytes", file, VSYS_SELECTION_MAX);
	}
	n = read_all(fd, buf, sizeof buf, st.st_size);
	close(fd);
	if (n < 0)
		return vsys_fail_to(err, errlen, "~/%s: %s", file,
			       errno == EFBIG ? "grew while read" : strerror(errno));
	if ((why = vsys_selection_parse(buf, (size_t)n, name, cap)))
		return vsys_fail_to(err, errlen, "~/%s: %s", file, why);
	return 1;
}

const char *vsys_selection_parse(const char *buf, size_t n, char *name, size_t cap)
{
	char line[NAME_MAX_LEN + 2];
	const char *why;
	size_t len;

	if (n > VSYS_SELECTION_MAX)
		return "larger than 4096 bytes";
	if (memchr(buf, '\0', n))
		return "contains a NUL byte";
	len = (const char *)memchr(buf, '\n', n) ? (size_t)((const char *)memchr(buf, '\n', n) - buf) : n;
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		len--;
	if (len > NAME_MAX_LEN)
		return "name longer than 64 bytes";
	memcpy(line, buf, len);
	line[len] = '\0';
	if ((why = name_check(line)))
		return why;
	if (len + 1 > cap)
		return "name too long";
	memcpy(name, line, len + 1);
	return NULL;
}

int vsys_selection(struct vsys_entry *e, const char *file, char *name, size_t cap)
{
	int root = geteuid() == 0, home, r;
	uid_t ofs = 0;
	gid_t ogs = 0;

	if (!e->user.name[0])
		return fail(e, "uid %u: no passwd entry", (unsigned)e->uid);
	/* the caller's own permissions: no file the caller could not read
	 * (and a root-squashed NFS home is read at all) */
	if (root) {
		ogs = (gid_t)setfsgid(e->gid);
		ofs = (uid_t)setfsuid(e->uid);
	}
	home = open(e->user.home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (home < 0)
		r = errno == ENOENT ? 0 : fail(e, "%s: %s", e->user.home, strerror(errno));
	else
		r = vsys_read_selection(home, file, e->uid, name, cap, e->err, sizeof e->err);
	if (home >= 0)
		close(home);
	if (root) {
		setfsuid(ofs);
		setfsgid(ogs);
	}
	return r;
}

/* --- root-owned configuration, opened through checked fds ----------------- */
static int open_dir_at(struct vsys_entry *e, int dirfd, const char *name, const char *path)
{
	const char *why;
	int fd = open_checked_at(dirfd, name, S_IFDIR, 0, NULL, &why);
	int en = why ? EPERM : errno;

	if (fd < 0) {
		fail(e, "%s: %s", path, why ? why : strerror(en));
		errno = en; /* ENOENT: it does not exist (read_conf) */
		return -1;
	}
	return fd;
}

/* Open the absolute directory dir component by component from "/". */
static int open_dirs(struct vsys_entry *e, const char *dir)
{
	char buf[PATH_MAX], path[PATH_MAX];
	char *save = NULL, *comp;
	int fd = open_dir_at(e, AT_FDCWD, "/", "/");

	if (fd < 0)
		return -1;
	xstrlcpy(buf, dir, sizeof buf);
	path[0] = '\0';
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int nfd;
		strcat(path, "/");
		strcat(path, comp);
		nfd = open_dir_at(e, fd, comp, path);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	return fd;
}

static int open_root(struct vsys_entry *e)
{
	return open_dirs(e, R);
}

/* Read the record file name in dirfd into rec: 0, 1 if it does not exist,
 * -1 if it is unsafe or corrupt. */
static int read_record(struct vsys_entry *e, int dirfd, const char *name, const char *path,
		       struct record *rec)
{
	static char buf[RECORD_MAX_SIZE + 2];
	char err[256];
	const char *why;
	struct stat st;
	ssize_t n;
	int fd = open_checked_at(dirfd, name, S_IFREG, 0, &st, &why);

	if (fd < 0) {
		if (!why && errno == ENOENT)
			return 1;
		return fail(e, "%s: %s", path, why ? why : strerror(errno));
	}
	if (st.st_size > RECORD_MAX_SIZE) {
		close(fd);
		return fail(e, "%s: corrupt record: larger than %d bytes", path, RECORD_MAX_SIZE);
	}
	n = read_all(fd, buf, sizeof buf, st.st_size);
	close(fd);
	if (n < 0)
		return fail(e, "%s: %s", path, strerror(errno));
	if (record_parse(rec, buf, (size_t)n, err, sizeof err) < 0)
		return fail(e, "%s: corrupt record: %s", path, err);
	return 0;
}

/* vsys.conf into e->conf, checked: VSYS_CONF, every directory on the way and
 * the file root's and not group/other writable (opened by fds from "/"); when
 * it does not exist, VSYS_CONF_OLD in R/etc (etc: its fd). 0 read, 1 neither
 * exists (defaults), -1 unsafe or corrupt. */
static int read_conf(struct vsys_entry *e, int etc)
{
	char err[256];
	int r = 1, dir;

	if (strcmp(VSYS_CONF, VSYS_CONF_OLD) != 0) {
		dir = open_dirs(e, VSYS_CONF_DIR);
		if (dir >= 0) {
			r = read_record(e, dir, "vsys.conf", VSYS_CONF, &e->conf);
			close(dir);
			if (r == 0 && record_config(&e->conf, &e->config, err, sizeof err) < 0)
				return fail(e, VSYS_CONF ": corrupt record: %s", err);
			if (r <= 0)
				return r;
		} else if (errno != ENOENT) {
			return -1;
		}
	}
	r = read_record(e, etc, "vsys.conf", VSYS_CONF_OLD, &e->conf);
	if (r == 0 && record_config(&e->conf, &e->config, err, sizeof err) < 0)
		return fail(e, VSYS_CONF_OLD ": corrupt record: %s", err);
	return r;
}

/* e->system served on demand: R/etc/automap/SYSTEM (etc: R/etc's fd) a
 * root-owned regular file, not group/other writable (its content is the
 * automounter's: vsys-automap prints it), and its record
 * R/etc/ondemand/SYSTEM (a system record without fs=, written by vsys apply
 * with the entry: users=, groups=, cwd_fallback=, hostfiles=, setuid=,
 * bind=), checked the same way and read into e->rec by the one record
 * parser. An entry without its record is refused: its users= are not
 * known. 0 (e->ondemand, e->info from the record), 1 no such entry, -1
 * unsafe, corrupt or no record. */
static int read_ondemand(struct vsys_entry *e, int etc)
{
	char path[PATH_MAX], err[256];
	const char *why;
	struct stat st;
	int dir = open_checked_at(etc, "automap", S_IFDIR, 0, NULL, &why), fd, r;

	if (dir < 0) {
		if (!why && errno == ENOENT)
			return 1;
		return fail(e, R "/etc/automap: %s", why ? why : strerror(errno));
	}
	fd = open_checked_at(dir, e->system, S_IFREG, 0, &st, &why);
	close(dir);
	if (fd < 0) {
		if (!why && errno == ENOENT)
			return 1;
		return fail(e, R "/etc/automap/%s: %s", e->system, why ? why : strerror(errno));
	}
	close(fd);
	dir = open_checked_at(etc, "ondemand", S_IFDIR, 0, NULL, &why);
	if (dir < 0) {
		if (!why && errno == ENOENT)
			return fail(e, "%s: on demand, but " R "/etc/ondemand/%s is missing (vsys apply writes it)",
				    e->asked, e->system);
		return fail(e, R "/etc/ondemand: %s", why ? why : strerror(errno));
	}
	xsnprintf(path, sizeof path, R "/etc/ondemand/%s", e->system);
	r = read_record(e, dir, e->system, path, &e->rec);
	close(dir);
	if (r == 1)
		return fail(e, "%s: on demand, but %s is missing (vsys apply writes it)", e->asked, path);
	if (r < 0)
		return -1;
	if (record_system(&e->rec, e->system, 0, &e->info, err, sizeof err) < 0)
		return fail(e, "%s: corrupt record: %s", path, err);
	if (e->info.view || e->info.session)
		return fail(e, "%s: corrupt record: view= or layer=session in an on-demand record", path);
	e->ondemand = 1;
	return 0;
}

static int load_records(struct vsys_entry *e, int rfd)
{
	char path[PATH_MAX], err[256];
	const char *sysname = e->asked;
	int etc, systems, aliases, r, fd;

	if ((fd = open_dir_at(e, rfd, "bin", R "/bin")) < 0)
		return -1;
	close(fd);
	if ((etc = open_dir_at(e, rfd, "etc", R "/etc")) < 0)
		return -1;
	if (read_conf(e, etc) < 0) {
		close(etc);
		return -1;
	}
	if ((systems = open_dir_at(e, etc, "systems", R "/etc/systems")) < 0) {
		close(etc);
		return -1;
	}
	xsnprintf(path, sizeof path, R "/etc/systems/%s", sysname);
	r = read_record(e, systems, sysname, path, &e->rec);
	if (r == 1) {
		/* not a system: an alias? */
		aliases = open_dir_at(e, etc, "aliases", R "/etc/aliases");
		r = -1;
		xsnprintf(path, sizeof path, R "/etc/aliases/%s", sysname);
		if (aliases < 0)
			goto out;
		r = read_record(e, aliases, sysname, path, &e->rec);
		close(aliases);
		if (r == 1) {
			xstrlcpy(e->system, sysname, sizeof e->system);
			r = read_ondemand(e, etc);
			if (r != 0)
				e->system[0] = '\0';
			if (r == 1)
				r = fail(e, "%s: no such system", e->asked);
			goto out;
		}
		if (r < 0)
			goto out;
		if (record_alias(&e->rec, e->asked, &sysname, err, sizeof err) < 0) {
			r = fail(e, "%s: corrupt record: %s", path, err);
			goto out;
		}
		xstrlcpy(e->system, sysname, sizeof e->system);
		xsnprintf(path, sizeof path, R "/etc/systems/%s", e->system);
		r = read_record(e, systems, e->system, path, &e->rec);
		if (r == 1 && (r = read_ondemand(e, etc)) == 1)
			r = fail(e, "%s: alias of a missing system %s", e->asked, e->system);
		if (r < 0 || e->ondemand)
			goto out;
	} else if (r == 0) {
		xstrlcpy(e->system, sysname, sizeof e->system);
	} else {
		goto out;
	}
	if (record_system(&e->rec, e->system, 0, &e->info, err, sizeof err) < 0) {
		if (strncmp(err, "state is", 8) == 0)
			r = fail(e, "%s: not ready (%s)", e->asked, err);
		else
			r = fail(e, "%s: corrupt record: %s", path, err);
	}
out:
	close(systems);
	close(etc);
	return r;
}

int vsys_load_config(struct vsys_entry *e)
{
	int rfd, etc, r;

	if ((rfd = open_root(e)) < 0)
		return -1;
	etc = open_dir_at(e, rfd, "etc", R "/etc");
	close(rfd);
	if (etc < 0)
		return -1;
	r = read_conf(e, etc);
	close(etc);
	return r < 0 ? -1 : 0;
}

int vsys_load(struct vsys_entry *e, const char *name)
{
	const char *why = name_check(name);
	int rfd;

	if (why)
		return fail(e, "%s", why);
	xstrlcpy(e->asked, name, sizeof e->asked);
	e->system[0] = '\0';
	if ((rfd = open_root(e)) < 0)
		return -1;
	if (load_records(e, rfd) < 0) {
		close(rfd);
		return -1;
	}
	e->rootfd = rfd;
	return 0;
}

/* --- the caller's passwd entry, then authorization ------------------------ */
int vsys_lookup_user(struct vsys_entry *e)
{
	if (!userdb_user_by_uid(e->uid, &e->user)) {
		e->user.name[0] = '\0';
		return fail(e, "uid %u: no passwd entry", (unsigned)e->uid);
	}
	return 0;
}

static int caller_in_group(const struct vsys_entry *e, gid_t g)
{
	int i;
	if (g == e->gid)
		return 1;
	for (i = 0; i < e->ngroups; i++)
		if (e->groups[i] == g)
			return 1;
	return 0;
}

static int allowed_by_groups(const struct vsys_entry *e, const char *list)
{
	char name[256];
	const char *p = list;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n > 0 && n < sizeof name) {
			gid_t gid;
			memcpy(name, p, n);
			name[n] = '\0';
			if (userdb_gid_by_name(name, &gid) && caller_in_group(e, gid))
				return 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int vsys_authorize(struct vsys_entry *e)
{

	if (e->info.users[0] && !list_contains(e->info.users, e->user.name))
		return fail(e, "%s: permission denied for user %s", e->asked, e->user.name);
	if (e->info.groups[0] && !allowed_by_groups(e, e->info.groups))
		return fail(e, "%s: permission denied for user %s (groups)", e->asked, e->user.name);
	return 0;
}

/* --- one audit record --------------------------------------------------- */
/* Append value to the line: bare when every byte is one of [A-Za-z0-9._,:/@+-]
 * (names, ids, plain paths), else in double quotes with '"' and '\' escaped
 * and every other byte outside ' '..'~' as \xHH, so that no value can end
 * its field, start a field, or start a second record. At most max bytes of
 * value are written (then "..." inside the quotes). */
static void append_value(char *dst, size_t cap, size_t *len, const char *value, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = (const unsigned char *)value;
	size_t i, n = strlen(value), l = *len;
	int bare = n > 0 && n <= max;

	if (cap - l < 8)
		return;
	for (i = 0; bare && i < n; i++)
		bare = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		       (v[i] >= '0' && v[i] <= '9') || strchr("._,:/@+-", v[i]);
	if (cap - l < max * 4 + 8)
		max = cap - l > 8 ? (cap - l - 8) / 4 : 0;
	if (bare && n <= max) {
		memcpy(dst + l, value, n);
		l += n;
	} else {
		dst[l++] = '"';
		for (i = 0; i < n && i < max; i++) {
			if (v[i] == '"' || v[i] == '\\') {
				dst[l++] = '\\';
				dst[l++] = (char)v[i];
			} else if (v[i] < 0x20 || v[i] >= 0x7f) {
				dst[l++] = '\\';
				dst[l++] = 'x';
				dst[l++] = hex[v[i] >> 4];
				dst[l++] = hex[v[i] & 15];
			} else {
				dst[l++] = (char)v[i];
			}
		}
		if (i < n) {
			memcpy(dst + l, "...", 3);
			l += 3;
		}
		dst[l++] = '"';
	}
	dst[l] = '\0';
	*len = l;
}

static void append_text(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n < cap) {
		memcpy(dst + *len, s, n + 1);
		*len += n;
	}
}

#define AUDIT_WAIT_MS 100

/* Wait at most *left ms for fd to become writable; 1 if it did. */
static int wait_writable(int fd, int *left)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	struct timespec t0, t1;
	int r;

	if (*left <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(&p, 1, *left);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*left -= (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return r > 0 && (p.revents & POLLOUT);
}

/* One datagram to /dev/log, as syslog(3) sends it but without its per-call
 * cost (no localtime(): the receiver stamps the time, RFC 3164 4.3.2); a
 * stream socket at /dev/log (old syslog-ng) gets the NUL-terminated form glibc
 * uses. Never blocks: the socket is non-blocking and a full queue is waited
 * for at most AUDIT_WAIT_MS in all; then the record is dropped (the launch
 * goes on). 0 sent, -1 dropped. */
static int send_log(const char *msg, size_t len)
{
	static const struct sockaddr_un addr = { AF_UNIX, "/dev/log" };
	int left = AUDIT_WAIT_MS, r = -1;
	size_t off = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) == 0) {
		for (;;) {
			if (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
				r = 0;
				break;
			}
			if ((errno != EAGAIN && errno != EINTR) || !wait_writable(fd, &left))
				break;
		}
		close(fd);
		return r;
	}
	if (errno != EPROTOTYPE) {
		close(fd);
		return -1;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) < 0 &&
	    (errno != EINPROGRESS && errno != EAGAIN))
		goto out;
	len++; /* the NUL */
	while (off < len) {
		ssize_t w = send(fd, msg + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if ((w < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN) ||
		    !wait_writable(fd, &left))
			break;
	}
	r = off == len ? 0 : -1;
out:
	close(fd);
	return r;
}

int vsys_audit(const struct vsys_entry *e, const char *name, const char *prefix,
	       char *const *argv, const char *refused)
{
	static char line[VSYS_AUDIT_MAX];
	size_t len;

	if (!e->config.audit)
		return 0;
	len = vsys_audit_format(e, name, prefix, argv, refused, line, sizeof line);
	return send_log(line, len);
}

size_t vsys_audit_format(const struct vsys_entry *e, const char *name, const char *prefix,
			 char *const *argv, const char *refused, char *line, size_t cap)
{
	char num[32];
	size_t len = 0, cl;

	if (cap < 64)
		return 0;
	if (!name)
		name = e->asked;
	snprintf(line, cap, "<%d>vsys[%d]: ",
		 LOG_AUTHPRIV | (refused ? LOG_NOTICE : LOG_INFO), (int)getpid());
	len = strlen(line);
	append_text(line, cap, &len, refused ? "result=refused reason=" : "result=allowed");
	if (refused)
		append_value(line, cap, &len, refused, 600);
	append_text(line, cap, &len, " user=");
	append_value(line, cap, &len, e->user.name, 256);
	snprintf(num, sizeof num, " uid=%u", (unsigned)e->uid);
	append_text(line, cap, &len, num);
	append_text(line, cap, &len, " system=");
	append_value(line, cap, &len, e->system, 64);
	if (strcmp(name, e->system) != 0) {
		append_text(line, cap, &len, " alias=");
		append_value(line, cap, &len, name, 64);
	}
	append_text(line, cap, &len, " cwd=");
	append_value(line, cap, &len, e->cwd, PATH_MAX);
	append_text(line, cap, &len, " command=");
	{
		/* the command as one value: its words joined by spaces */
		char cmd[1024];
		cl = 0;
		cmd[0] = '\0';
		if (prefix)
			append_text(cmd, sizeof cmd, &cl, prefix);
		for (; argv && *argv; argv++) {
			size_t n = strlen(*argv);
			if (cl)
				append_text(cmd, sizeof cmd, &cl, " ");
			if (cl + n + 4 >= sizeof cmd) {
				append_text(cmd, sizeof cmd, &cl, "...");
				break;
			}
			append_text(cmd, sizeof cmd, &cl, *argv);
		}
		append_value(line, cap, &len, cmd, sizeof cmd);
	}
	return len;
}

/* --- enter the system ----------------------------------------------------- */
static int enter_namespace(struct vsys_entry *e)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int nsdir, fd, procfd = -1, r = -1;

	if ((nsdir = open_dir_at(e, e->rootfd, ".ns", R "/.ns")) < 0)
		return -1;
	xsnprintf(path, sizeof path, R "/.ns/%s", e->system);
	fd = openat(nsdir, e->system, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(nsdir);
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(e, "%s: not prepared (no %s)", e->asked, path);
		return fail_errno(e, path);
	}
	/* the session layer reads the new namespace's mount table through the
	 * host's /proc (the system's tree may have no /proc) */
	if (e->info.session) {
		procfd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (procfd < 0 || fstatfs(procfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
			if (procfd >= 0)
				close(procfd);
			close(fd);
			return fail(e, "%s: session layer: /proc is not mounted", e->asked);
		}
		if (vsys_session_host_files(e) < 0) {
			close(procfd);
			close(fd);
			return -1;
		}
	}
	/* after a reboot the file may be there without its nsfs bind */
	if (fstatfs(fd, &sfs) < 0)
		r = fail_errno(e, path);
	else if (sfs.f_type != NSFS_MAGIC)
		r = fail(e, "%s: not prepared (%s is not a namespace)", e->asked, path);
	else if (setns(fd, CLONE_NEWNS) < 0)
		r = fail(e, "%s: enter %s: %s", e->asked, path, strerror(errno));
	else if (chdir("/") < 0)
		r = fail_errno(e, "chdir /");
	else if (e->info.session)
		r = vsys_enter_session(e, procfd);
	else
		r = 0;
	vsys_session_files_close();
	close(fd);
	if (procfd >= 0)
		close(procfd);
	return r;
}

/* The per-process link of the vsyslink module (issue 5, kmod_link.c): point
 * this process's link at the system and chroot into the shared tree. */
static int enter_kmod(struct vsys_entry *e)
{
	const char *what = "kmod";

	if (!vsys_kmod_available()) {
		if (errno == ENOENT)
			return fail(e, "kmod link mode: module not mounted at " R "/" VSYS_KMOD_MOUNT);
		return fail(e, "kmod link mode: module not loaded");
	}
	if (vsys_kmod_enter(e->rootfd, e->system, e->uid, &what) < 0) {
		if (errno == ENOENT)
			return fail(e, "%s: not registered with the kmod link", e->asked);
		return fail_errno(e, what);
	}
	return 0;
}

int vsys_enter(struct vsys_entry *e)
{
	int r = -1;

	if (e->rootfd < 0)
		return fail(e, "internal: vsys_enter before vsys_load");
	if (!e->root_checked && vsys_check_root(e) < 0) {
		close(e->rootfd);
		e->rootfd = -1;
		return -1;
	}
	switch (e->config.link) {
	case LINK_NAMESPACE:
		r = e->ondemand ? vsys_enter_ondemand(e) : enter_namespace(e);
		break;
	case LINK_KMOD:
		r = e->info.session ? fail(e, "%s: layer=session needs link=namespace", e->asked)
		    : e->ondemand ? fail(e, "%s: an on-demand system needs link=namespace", e->asked)
				  : enter_kmod(e);
		break;
	}
	close(e->rootfd);
	e->rootfd = -1;
	return r;
}

int vsys_hold(struct vsys_entry *e)
{
	int fd;

	if (e->rootfd < 0)
		return fail(e, "internal: vsys_hold before vsys_load");
	if (!e->ondemand)
		fd = -2;
	else if (e->config.link != LINK_NAMESPACE)
		fd = fail(e, "%s: an on-demand system needs link=namespace", e->asked);
	else
		fd = vsys_ondemand_mount(e);
	close(e->rootfd);
	e->rootfd = -1;
	return fd;
}

/* --- drop privileges for good, and prove it ------------------------------- */
static void sift(gid_t *a, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		gid_t t;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[root] >= a[c])
			return;
		t = a[root];
		a[root] = a[c];
		a[c] = t;
		root = c;
	}
}

/* Heap sort (no allocation, n log n for 65536 groups). */
static void sort_gids(gid_t *a, size_t n)
{
	size_t i;
	for (i = n / 2; i-- > 0;)
		sift(a, i, n);
	while (n > 1) {
		gid_t t = a[0];
		a[0] = a[--n];
		a[n] = t;
		sift(a, 0, n);
	}
}

int vsys_groups_equal(const gid_t *a, int na, const gid_t *b, int nb)
{
	static gid_t sa[NGROUPS_MAX + 1], sb[NGROUPS_MAX + 1];

	if (na != nb || na < 0 || na > NGROUPS_MAX)
		return 0;
	memcpy(sa, a, (size_t)na * sizeof *sa);
	memcpy(sb, b, (size_t)nb * sizeof *sb);
	sort_gids(sa, (size_t)na);
	sort_gids(sb, (size_t)nb);
	return memcmp(sa, sb, (size_t)na * sizeof *sa) == 0;
}

/* Are the process's supplementary groups exactly e's? */
static int groups_are(const struct vsys_entry *e)
{
	static gid_t got[NGROUPS_MAX + 1];
	int n = getgroups(NGROUPS_MAX, got);

	return n >= 0 && vsys_groups_equal(e->groups, e->ngroups, got, n);
}

/* setns(CLONE_NEWNS) into the caller's own mount namespace. Through a pidfd
 * of this process first (kernel >= 5.8): no path lookup, no /proc, nothing
 * the caller can put in its place, and measured cheaper per launch; else
 * through /proc/self/ns/mnt, checked to be a namespace. 0, or -1 with *why
 * naming the step that failed (errno set). */
static int enter_own_mount_ns(const char **why)
{
	struct statfs sfs;
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0), r, e;

	if (fd >= 0) {
		r = setns(fd, CLONE_NEWNS);
		e = errno;
		close(fd);
		if (r == 0)
			return 0;
		if (e != EINVAL) { /* EINVAL: a kernel without setns on pidfds */
			errno = e;
			*why = "setns";
			return -1;
		}
	}
	fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC); /* a magic link */
	if (fd < 0) {
		*why = "/proc/self/ns/mnt";
		return -1;
	}
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		close(fd);
		errno = EINVAL;
		*why = "/proc/self/ns/mnt is not a namespace";
		return -1;
	}
	r = setns(fd, CLONE_NEWNS);
	e = errno;
	close(fd);
	errno = e;
	if (r < 0)
		*why = "setns";
	return r;
}

/* The root directory must be the mount namespace's own: setns(CLONE_NEWNS)
 * and the kmod chroot both set a new root, so a caller in a chroot jail would
 * leave it. setns into the process's own mount namespace resets the root to
 * the namespace's; the root from before must be the same directory (device
 * and inode). (PID 1's root is not used: /proc/1/root is denied in some
 * containers, and PID 1 may live in another mount namespace.) */
int vsys_check_root(struct vsys_entry *e)
{
	struct stat before, after;
	const char *why = NULL;
	int root;

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstat(root, &before) < 0)
		return fail_errno(e, "/");
	close(root);
	if (enter_own_mount_ns(&why) < 0)
		return fail(e, "cannot check the root directory: %s: %s", why, strerror(errno));
	if (stat("/", &after) < 0)
		return fail_errno(e, "/");
	if (before.st_dev != after.st_dev || before.st_ino != after.st_ino)
		return fail(e, "refused in a chroot: the root directory is not the host's");
	e->root_checked = 1;
	return 0;
}

int vsys_drop_privileges(struct vsys_entry *e)
{
	uid_t r, ef, s;
	gid_t rg, eg, sg;

	if (setgroups((size_t)e->ngroups, e->groups) < 0)
		return fail_errno(e, "setgroups");
	if (setresgid(e->gid, e->gid, e->gid) < 0)
		return fail_errno(e, "setresgid");
	if (setresuid(e->uid, e->uid, e->uid) < 0)
		return fail_errno(e, "setresuid");

	if (getresuid(&r, &ef, &s) < 0 || r != e->uid || ef != e->uid || s != e->uid)
		return fail(e, "privilege drop failed: uids not the caller's");
	if (getresgid(&rg, &eg, &sg) < 0 || rg != e->gid || eg != e->gid || sg != e->gid)
		return fail(e, "privilege drop failed: gids not the caller's");
	if (!groups_are(e))
		return fail(e, "privilege drop failed: supplementary groups");
	if (e->uid != 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];

		if (setuid(0) == 0 || seteuid(0) == 0)
			return fail(e, "privilege drop failed: setuid(0) succeeded");
		if (e->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
			return fail(e, "privilege drop failed: setgid(0) succeeded");
		memset(data, 0, sizeof data);
		if (syscall(SYS_capget, &hdr, data) < 0)
			return fail_errno(e, "capget");
		if (data[0].effective || data[1].effective || data[0].permitted || data[1].permitted)
			return fail(e, "privilege drop failed: capabilities left");
	}
	return 0;
}

int vsys_no_new_privs(struct vsys_entry *e)
{
	if (e->info.setuid)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(e, "PR_SET_NO_NEW_PRIVS");
	return 0;
}

/* --- the working directory, as the caller --------------------------------- */
int vsys_enter_cwd(struct vsys_entry *e)
{
	char now[PATH_MAX];

	if (chdir(e->cwd) < 0) {
		if (!e->info.cwd_fallback)
			return fail(e, "%s: not visible in %s", e->cwd, e->asked);
		if (chdir(e->user.home) < 0)
			return fail(e, "%s: not visible in %s", e->user.home, e->asked);
	}
	/* the runc CVE-2024-21626 lesson: the cwd must be inside the root */
	if (!getcwd(now, sizeof now) || now[0] != '/' || strncmp(now, "(unreachable)", 13) == 0)
		return fail(e, "the working directory is outside %s", e->asked);
	return 0;
}
