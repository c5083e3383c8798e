/* enter.c - the one way into a vsys system (enter.h) */
#include "enter.h"
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

#define R VSYS_ROOT
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4)))
static int fail_to(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}
#define fail(e, ...) fail_to((e)->err, sizeof (e)->err, __VA_ARGS__)
#define fail_errno(e, what) fail(e, "%s: %s", what, strerror(errno))

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
		return fail_to(err, errlen, "%s: not a plain file name", file);
	fd = open_checked_at(homefd, file, S_IFREG, uid, &st, &why);
	if (fd < 0) {
		if (!why && errno == ENOENT)
			return 0;
		return fail_to(err, errlen, "~/%s: %s", file, why ? why : strerror(errno));
	}
	if (st.st_size > VSYS_SELECTION_MAX) {
		close(fd);
		return fail_to(err, errlen, "~/%s: larger than %d bytes", file, VSYS_SELECTION_MAX);
	}
	n = read_all(fd, buf, sizeof buf, st.st_size);
	close(fd);
	if (n < 0)
		return fail_to(err, errlen, "~/%s: %s", file,
			       errno == EFBIG ? "grew while read" : strerror(errno));
	if ((why = vsys_selection_parse(buf, (size_t)n, name, cap)))
		return fail_to(err, errlen, "~/%s: %s", file, why);
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
 * automounter's: vsys-automap prints it). 0 (e->ondemand, e->info the
 * defaults of a record), 1 no such entry, -1 unsafe. */
static int read_ondemand(struct vsys_entry *e, int etc)
{
	const char *why;
	struct stat st;
	int dir = open_checked_at(etc, "automap", S_IFDIR, 0, NULL, &why), fd;

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
	memset(&e->info, 0, sizeof e->info);
	e->info.name = e->system;
	e->info.users = "";
	e->info.groups = "";
	e->info.hostfiles = RECORD_DEFAULT_HOSTFILES;
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

/* --- the session layer (layer=session) ------------------------------------
 * In the system's namespace (just entered), this process gets a namespace of
 * its own whose "/" is an overlay: lower = the system's tree (the mount at
 * "/", read-only, never written), upper and work on a fresh tmpfs. The
 * system's other mounts (the local parts, /var/tmp, host files, bind=, the
 * other file systems) are moved from the old root onto the overlay at the
 * same paths, then the overlay becomes "/" (chroot).
 * Nothing is bound anywhere: the namespace, the overlay and the tmpfs live
 * while a process is inside and are gone when the last one exits. Kernel
 * 5.2 (new mount API), every layer attached in this namespace (overlayfs
 * of kernel < 6.x takes no detached layer). */
#define SESSION_MAX_MOUNTS 256
#define SESSION_PATHS 65536

/* The mount points of the mounts directly on the root mount (parent id
 * root_id) of this namespace, from procfd's self/mountinfo; each once.
 * Returns how many, -1 with e->err set. */
static int session_children(struct vsys_entry *e, int procfd, unsigned long long root_id,
			    char **mps, int max, char *pool, size_t poolcap)
{
	static char buf[16384];
	size_t have = 0, used = 0;
	int fd = openat(procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC), n = 0, eof = 0;

	if (fd < 0)
		return fail_errno(e, "session layer: /proc/self/mountinfo");
	while (!eof || have > 0) {
		char *nl;
		if (!eof && have < sizeof buf - 1) {
			ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				close(fd);
				return fail_errno(e, "session layer: read /proc/self/mountinfo");
			}
			if (r == 0)
				eof = 1;
			have += (size_t)r;
		}
		buf[have] = '\0';
		nl = memchr(buf, '\n', have);
		if (!nl) {
			if (!eof && have < sizeof buf - 1)
				continue;
			if (have == 0)
				break;
			close(fd);
			return fail(e, "session layer: a mountinfo line longer than %zu bytes", sizeof buf);
		}
		*nl = '\0';
		{
			struct mountinfo_entry me;
			size_t len, consumed = (size_t)(nl - buf) + 1;
			int i, dup = 0;

			if (mountinfo_parse(buf, &me) == 0 && me.parent == root_id && me.id != root_id &&
			    strcmp(me.mount_point, "/") != 0) {
				for (i = 0; i < n; i++)
					dup |= strcmp(mps[i], me.mount_point) == 0;
				len = strlen(me.mount_point) + 1;
				if (!dup) {
					if (n >= max || used + len > poolcap || me.mount_point[0] != '/') {
						close(fd);
						return fail(e, "session layer: more mounts than %d on the system's tree", max);
					}
					memcpy(pool + used, me.mount_point, len);
					mps[n++] = pool + used;
					used += len;
				}
			}
			memmove(buf, buf + consumed, have - consumed);
			have -= consumed;
		}
	}
	close(fd);
	return n;
}

/* Fresh read-only copies of the host files (hostfiles=), taken in the
 * host's namespace before the system's is entered: a session shows the
 * host's files as they are now, and the prepared namespace's binds of them
 * may hold a file since replaced (useradd renames /etc/passwd), which no
 * mount can be moved onto or from. */
#define SESSION_MAX_HOSTFILES 32
struct session_hostfile {
	char path[300]; /* "/etc/NAME" */
	int tree;       /* detached copy, -1 when the host has no such file */
};
static struct session_hostfile session_files[SESSION_MAX_HOSTFILES];
static int session_nfiles;

static void session_files_close(void)
{
	int i;
	for (i = 0; i < session_nfiles; i++)
		if (session_files[i].tree >= 0)
			close(session_files[i].tree);
	session_nfiles = 0;
}

static int session_host_files(struct vsys_entry *e)
{
	const char *p = e->info.hostfiles;
	struct mount_attr attr;

	session_nfiles = 0;
	if (!p || strcmp(p, "none") == 0)
		return 0;
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	attr.propagation = MS_PRIVATE;
	while (*p && session_nfiles < SESSION_MAX_HOSTFILES) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		struct session_hostfile *h = &session_files[session_nfiles];
		struct stat st;

		if (n > 0 && n < 256 && hostfile_name_ok(p, n)) {
			xsnprintf(h->path, sizeof h->path, "/etc/%.*s", (int)n, p);
			h->tree = -1;
			if (stat(h->path, &st) == 0 && S_ISREG(st.st_mode)) {
				h->tree = open_tree(AT_FDCWD, h->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
				if (h->tree < 0 || mount_setattr(h->tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
					int en = errno;
					session_nfiles++;
					session_files_close();
					errno = en;
					return fail(e, "session layer: copy %s: %s", h->path, strerror(en));
				}
			}
			session_nfiles++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The fresh copy for mount point mp, or -1 when mp is not a host file. */
static int session_host_file(const char *mp)
{
	int i;
	for (i = 0; i < session_nfiles; i++)
		if (strcmp(session_files[i].path, mp) == 0)
			return session_files[i].tree;
	return -2;
}

static int openat2_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(flags | O_PATH | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
}

/* A new detached mount of file system type, configured with the string
 * options kv (key, value pairs, n of them), with mount attributes attrs.
 * The fd, or -1 with errno set. */
static int new_mount(const char *type, const char *const *kv, size_t n, unsigned int attrs)
{
	int fsfd = fsopen(type, FSOPEN_CLOEXEC), m = -1, en;
	size_t i;

	if (fsfd < 0)
		return -1;
	for (i = 0; i + 1 < 2 * n && fsconfig(fsfd, FSCONFIG_SET_STRING, kv[i], kv[i + 1], 0) == 0; i += 2)
		;
	if (i + 1 >= 2 * n && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	en = errno;
	close(fsfd);
	errno = en;
	return m;
}

/* A detached tmpfs (mode 0700, root's) with upper/ (owner and mode of the
 * system's root, which the overlay's root shows) and work/. */
static int session_tmpfs(struct vsys_entry *e, const struct stat *root)
{
	static const char *const kv[] = { "mode", "0700", "source", "vsys-session" };
	int t = new_mount("tmpfs", kv, NELEM(kv) / 2, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);

	if (t < 0)
		return fail_errno(e, "session layer: tmpfs");
	if (mkdirat(t, "upper", 0700) < 0 || mkdirat(t, "work", 0700) < 0 ||
	    fchownat(t, "upper", root->st_uid, root->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(t, "upper", root->st_mode & 07777, 0) < 0) {
		int en = errno;
		close(t);
		errno = en;
		return fail_errno(e, "session layer: upper directory");
	}
	return t;
}

/* The overlay, detached: lower "/" (the system's tree: the process's root),
 * upper and work relative to the cwd (the tmpfs, attached). The mount flags
 * of the tree's root: nosuid, nodev, noexec as it has them. */
static int session_overlay(struct vsys_entry *e, const struct statfs *rootfs)
{
	char src[NAME_MAX_LEN + 16];
	const char *const kv[] = { "source", src, "lowerdir", "/", "upperdir", "upper", "workdir", "work",
				   "index", "off", "metacopy", "off", "redirect_dir", "off", "xino", "off" };
	unsigned int attrs = 0;
	int o;

	xsnprintf(src, sizeof src, "vsys-session:%s", e->system);
	if (rootfs->f_flags & ST_NOSUID)
		attrs |= MOUNT_ATTR_NOSUID;
	if (rootfs->f_flags & ST_NODEV)
		attrs |= MOUNT_ATTR_NODEV;
	if (rootfs->f_flags & ST_NOEXEC)
		attrs |= MOUNT_ATTR_NOEXEC;
	o = new_mount("overlay", kv, NELEM(kv) / 2, attrs);
	if (o < 0)
		return fail(e, "%s: session layer: overlay over the system's tree: %s", e->asked,
			    strerror(errno));
	return o;
}

/* After setns into the system's namespace; session_host_files ran before. */
static int enter_session(struct vsys_entry *e, int procfd)
{
	static char *mps[SESSION_MAX_MOUNTS];
	static char pool[SESSION_PATHS];
	struct statx sx;
	struct stat root;
	struct statfs rootfs;
	int oldroot = -1, t = -1, o = -1, n, i, r = -1;

	if (unshare(CLONE_NEWNS) < 0)
		return fail_errno(e, "session layer: unshare");
	/* nothing made here reaches the system's namespace or the host */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return fail_errno(e, "session layer: make / a slave");
	oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0 || fstat(oldroot, &root) < 0 || fstatfs(oldroot, &rootfs) < 0 ||
	    statx(oldroot, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID)) {
		r = fail_errno(e, "session layer: the system's root");
		goto out;
	}
	n = session_children(e, procfd, sx.stx_mnt_id, mps, SESSION_MAX_MOUNTS, pool, sizeof pool);
	if (n < 0)
		goto out;
	if ((t = session_tmpfs(e, &root)) < 0)
		goto out;
	/* the tmpfs attached on "/" (stacked: lookups from the root do not
	 * cross into it, the cwd does), only while the overlay is made */
	if (move_mount(t, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(t) < 0) {
		r = fail_errno(e, "session layer: attach the tmpfs");
		goto out;
	}
	if ((o = session_overlay(e, &rootfs)) < 0)
		goto out;
	/* on top of the tmpfs (which stays: no detach, whose RCU grace period
	 * would be most of a session's cost; the overlay holds its own private
	 * copy of the upper mount anyway) */
	if (move_mount(o, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = fail_errno(e, "session layer: attach the overlay");
		goto out;
	}
	/* the system's mounts, each onto the same path in the overlay (its
	 * submounts come along); the paths are the tree's own, real directories
	 * and files: no symlink is followed on either side */
	for (i = 0; i < n; i++) {
		int copy = session_host_file(mps[i]), src, dst, mv;
		if (copy == -1)
			continue; /* gone from the host: the tree's own file shows */
		src = copy >= 0 ? dup(copy) : openat2_beneath(oldroot, mps[i] + 1, 0);
		if (src < 0) {
			r = fail(e, "session layer: %s: %s", mps[i], strerror(errno));
			goto out;
		}
		dst = openat2_beneath(o, mps[i] + 1, 0);
		if (dst < 0) {
			close(src);
			r = fail(e, "session layer: %s in the overlay: %s", mps[i], strerror(errno));
			goto out;
		}
		mv = move_mount(src, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		close(src);
		close(dst);
		if (mv < 0) {
			r = fail(e, "session layer: move %s: %s", mps[i], strerror(errno));
			goto out;
		}
	}
	/* the overlay becomes the root. chroot, not pivot_root: the old root
	 * would have to be detached (an RCU grace period, milliseconds under
	 * load). What stays below the overlay, outside the root and out of
	 * /proc/self/mountinfo, is the system's bare tree (every mount of it
	 * moved) and the tmpfs (mode 0700 root): a chroot escape from a user
	 * namespace of one's own reaches nothing a launch without a session
	 * does not show. */
	if (fchdir(o) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		r = fail_errno(e, "session layer: chroot into the overlay");
		goto out;
	}
	r = 0;
out:
	session_files_close();
	if (oldroot >= 0)
		close(oldroot);
	if (t >= 0)
		close(t);
	if (o >= 0)
		close(o);
	return r;
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
		if (session_host_files(e) < 0) {
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
		r = enter_session(e, procfd);
	else
		r = 0;
	session_files_close();
	close(fd);
	if (procfd >= 0)
		close(procfd);
	return r;
}

/* --- an on-demand system (autofs) -------------------------------------------
 * Its tree is R/.auto/SYSTEM, mounted by the automounter on the first
 * lookup and unmounted when idle. Nothing is prepared for it: a namespace
 * that held a copy of the mount would keep the tree while autofs sees the
 * host's mount idle and expires it. Each entry instead:
 *   1. a child, as the caller, looks up R/.auto/SYSTEM (the automounter
 *      mounts it; a dead server blocks only that child, for at most
 *      VSYS_AUTOMOUNT_WAIT_MS) and a few names in it, and passes back an
 *      O_PATH fd of the mounted tree;
 *   2. detached copies, in the host's namespace: of that mount (recursive),
 *      of the shared tree's local parts R/.root/{proc,dev,sys,home,tmp},
 *      a new tmpfs for /run, the host files;
 *   3. unshare(CLONE_NEWNS) (a slave), the tree copy attached stacked on
 *      "/", the local parts and host files moved onto it where the tree
 *      has those real directories and files (no symlink followed), chroot.
 * The fd of step 1 stays open (e->hold_fd): the host's mount is in use
 * while it is, so autofs does not expire it under the entered process. */
#ifndef AUTOFS_SUPER_MAGIC
#define AUTOFS_SUPER_MAGIC 0x0187
#endif
static const char *const ondemand_parts[] = { "proc", "dev", "sys", "home", "tmp" };

/* The child of step 1; never returns. */
__attribute__((noreturn)) static void ondemand_lookup(const struct vsys_entry *e, int sock)
{
	char path[PATH_MAX], ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr msg;
	struct iovec iov;
	struct stat st;
	int fd, err = 0;
	size_t i;

	if (setgroups((size_t)e->ngroups, e->groups) < 0 || setresgid(e->gid, e->gid, e->gid) < 0 ||
	    setresuid(e->uid, e->uid, e->uid) < 0)
		_exit(1);
	xsnprintf(path, sizeof path, R "/.auto/%s", e->system);
	fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		/* the names the root part looks up next, as the caller first (a
		 * server that died since blocks here, not there) */
		for (i = 0; i < NELEM(ondemand_parts); i++)
			(void)fstatat(fd, ondemand_parts[i], &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "run", &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "etc", &st, AT_SYMLINK_NOFOLLOW);
	}
	memset(&msg, 0, sizeof msg);
	iov.iov_base = &err;
	iov.iov_len = sizeof err;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;
		memset(ctl, 0, sizeof ctl);
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof ctl;
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	_exit(sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? 1 : 0);
}

/* Step 1: the O_PATH fd of the mounted tree, or -1 with e->err set. */
static int ondemand_trigger(struct vsys_entry *e)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct pollfd p;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	int sv[2], err = 0, fd = -1, r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fail_errno(e, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return fail_errno(e, "fork");
	}
	if (pid == 0) {
		close(sv[0]);
		ondemand_lookup(e, sv[1]);
	}
	close(sv[1]);
	p.fd = sv[0];
	p.events = POLLIN;
	do
		r = poll(&p, 1, VSYS_AUTOMOUNT_WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, WNOHANG);
		close(sv[0]);
		return fail(e, "%s: on demand: not mounted within %d s (the automounter or its server does not answer)",
			    e->asked, VSYS_AUTOMOUNT_WAIT_MS / 1000);
	}
	memset(&msg, 0, sizeof msg);
	memset(ctl, 0, sizeof ctl);
	iov.iov_base = &err;
	iov.iov_len = sizeof err;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof ctl;
	r = (int)recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	close(sv[0]);
	(void)waitpid(pid, NULL, 0);
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
	if (r != (int)sizeof err || (fd < 0 && err == 0)) {
		if (fd >= 0)
			close(fd);
		return fail(e, "%s: on demand: the lookup of " R "/.auto/%s failed", e->asked, e->system);
	}
	if (fd < 0)
		return fail(e, "%s: on demand: " R "/.auto/%s: %s", e->asked, e->system,
			    err == ENOENT ? "the automounter did not mount it (no entry, or its mount failed)" : strerror(err));
	return fd;
}

static int enter_ondemand(struct vsys_entry *e)
{
	struct statfs sfs;
	struct statx sx;
	struct mount_attr attr;
	int parts[NELEM(ondemand_parts) + 1], autofd, hold = -1, tree = -1, r = -1, i, j;
	const int nparts = (int)NELEM(ondemand_parts) + 1;
	static const char *const run_kv[] = { "mode", "0755", "source", "tmpfs" };

	for (i = 0; i < nparts; i++)
		parts[i] = -1;
	autofd = openat(e->rootfd, ".auto", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (autofd < 0 || fstatfs(autofd, &sfs) < 0 || sfs.f_type != AUTOFS_SUPER_MAGIC) {
		if (autofd >= 0)
			close(autofd);
		return fail(e, "%s: on demand, but no automounter serves " R "/.auto", e->asked);
	}
	close(autofd);
	if ((hold = ondemand_trigger(e)) < 0)
		return -1;
	/* the tree: the mount of that fd, not autofs's own directory */
	if (fstatfs(hold, &sfs) < 0 || sfs.f_type == AUTOFS_SUPER_MAGIC ||
	    statx(hold, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
	    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		r = fail(e, "%s: on demand: " R "/.auto/%s is not a mount", e->asked, e->system);
		goto out;
	}
	tree = open_tree(hold, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_PRIVATE; /* never a peer of the host's */
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
		r = fail_errno(e, "on demand: copy the tree");
		goto out;
	}
	for (i = 0; i < nparts - 1; i++) {
		char rel[32];
		int fd;
		xsnprintf(rel, sizeof rel, ".root/%s", ondemand_parts[i]);
		fd = openat(e->rootfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
		    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
			if (fd >= 0)
				close(fd);
			r = fail(e, "%s: on demand: the shared tree is not up (" R "/%s; vsys-view shared-up)", e->asked, rel);
			goto out;
		}
		parts[i] = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
		close(fd);
		if (parts[i] < 0) {
			r = fail_errno(e, "on demand: copy a local part");
			goto out;
		}
	}
	if ((parts[nparts - 1] = new_mount("tmpfs", run_kv, NELEM(run_kv) / 2, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) {
		r = fail_errno(e, "on demand: tmpfs for /run");
		goto out;
	}
	if (session_host_files(e) < 0)
		goto out;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		r = fail_errno(e, "on demand: a mount namespace");
		goto out;
	}
	/* from here this process is in a namespace of its own: a failure
	 * leaves it there (the front end refuses and the process exits) */
	if (move_mount(tree, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = fail_errno(e, "on demand: attach the tree");
		goto out;
	}
	for (i = 0; i < nparts + session_nfiles; i++) {
		const char *rel = i < nparts - 1 ? ondemand_parts[i] : i == nparts - 1 ? "run"
										: session_files[i - nparts].path + 1;
		int src = i < nparts ? parts[i] : session_files[i - nparts].tree, dst;
		struct stat st;

		if (src < 0)
			continue;
		dst = openat2_beneath(tree, rel, 0);
		if (dst < 0 || fstat(dst, &st) < 0 || (i < nparts ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
			if (dst >= 0)
				close(dst);
			continue; /* the tree has no such real directory or file: left out */
		}
		j = move_mount(src, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		close(dst);
		if (j < 0) {
			r = fail(e, "on demand: mount on /%s: %s", rel, strerror(errno));
			goto out;
		}
	}
	if (fchdir(tree) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		r = fail_errno(e, "on demand: chroot into the tree");
		goto out;
	}
	e->hold_fd = hold;
	hold = -1;
	r = 0;
out:
	session_files_close();
	for (i = 0; i < nparts; i++)
		if (parts[i] >= 0)
			close(parts[i]);
	if (tree >= 0)
		close(tree);
	if (hold >= 0)
		close(hold);
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
		r = e->ondemand ? enter_ondemand(e) : enter_namespace(e);
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
