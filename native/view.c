/* vsys-view - builds the shared tree and the per-system mount namespaces.
 *
 * Run by root (the Java CLI), never setuid. See DESIGN.md, "The shared tree
 * and the per-system view". Exit: 0 ok, 1 failure (one line on stderr), 2 usage.
 *
 *   shared-up          build R/.root (proc, dev, sys, home, tmp, bind=) and R/.ns
 *   shared-down        undo shared-up; refuses while any R/.ns/NAME exists
 *   prepare NAME       (re)make the system's namespace, bind it at R/.ns/NAME
 *   release NAME       detach R/.ns/NAME and remove the file
 *   users NAME         print the pids whose mount namespace is the system's
 *   refresh NAME       re-bind the host files (hostfiles=) inside the prepared
 *                      namespace, for the commands already running too (a file
 *                      bind pins the inode: useradd's rename is not seen before)
 */
#include "names.h"
#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define R VSYS_ROOT
#define ROOT_TREE R "/.root"
#define NS_DIR R "/.ns"
#define VAR_DIR R "/.var"

/* Directories of the shared tree that are real directories. */
static const char *const tree_dirs[] = { "proc", "dev", "sys", "home", "tmp", "run", ".link" };
/* The local parts mounted at the top of a system's own tree (namespace
 * mode): a bind may not land in one of them (a hostile tree steering a bind
 * into the users' /home). */
static const char *const local_dirs[] = { "proc", "dev", "sys", "home", "tmp", "run" };
/* Host directories bound (recursively, as slaves) into the shared tree. */
static const char *const host_binds[] = { "/dev", "/sys", "/home", "/tmp" };
/* Names that are symlinks into the per-process link. */
static const char *const link_dirs[] = { "bin", "boot", "etc", "lib", "lib32", "lib64",
	"libx32", "media", "mnt", "opt", "root", "sbin", "srv", "usr", "var" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct record conf_rec;

__attribute__((noreturn)) static void usage(void)
{
	fputs("usage: vsys-view shared-up | shared-down | prepare NAME | release NAME | users NAME"
	      " | refresh NAME\n", stderr);
	exit(2);
}

static int is_mountpoint(const char *path)
{
	struct statx st;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) < 0)
		return 0;
	return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* mkdir path (mode) unless it is already a real directory; refuse symlinks. */
static void ensure_dir(const char *path, mode_t mode)
{
	struct stat st;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		die_errno("mkdir %s", path);
	if (lstat(path, &st) < 0)
		die_errno("%s", path);
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", path);
	if (st.st_uid != 0)
		die("%s: not owned by root", path);
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
		die_errno("chmod %s", path);
}

/* mkdir -p below a trusted root-owned base, never through a symlink. */
static void ensure_dirs_below(const char *base, const char *rel)
{
	int fd = open(base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char comp[4096];
	const char *p = rel;

	if (fd < 0)
		die_errno("%s", base);
	while (*p) {
		const char *s;
		size_t n;
		int nfd;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = strchr(p, '/');
		n = s ? (size_t)(s - p) : strlen(p);
		if (n >= sizeof comp)
			die("%s: path too long", rel);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
			die_errno("mkdir %s/%s", base, rel);
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			die_errno("%s/%s", base, rel);
		close(fd);
		fd = nfd;
		p += n;
	}
	close(fd);
}

/* Unescape a mountinfo field (\040 etc.) in place. */
static void unescape(char *s)
{
	char *d = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* An absolute host path opened O_PATH without following any symlink on the
 * way (a bind= path below a user-writable directory cannot be redirected). */
static int open_no_symlinks(const char *path, int flags)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(flags | O_PATH | O_CLOEXEC);
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0 && errno == ELOOP)
		die("%s: a symlink on the way (give the real path)", path);
	if (fd < 0)
		die_errno("%s", path);
	return fd;
}

static unsigned long long mount_id_of(int fd, const char *what)
{
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) < 0)
		die_errno("%s", what);
	if (!(st.stx_mask & STATX_MNT_ID))
		die("%s: kernel gives no mount id", what);
	return st.stx_mnt_id;
}

/* Change the propagation of the mount whose mount point is mp (as in
 * mountinfo), reached without symlinks; only if it is still mount id. */
static int set_propagation(const char *mp, unsigned long long id, unsigned long how)
{
	char self[64];
	int fd = open_no_symlinks(mp, 0), r = 0;

	if (mount_id_of(fd, mp) == id) {
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		r = mount(NULL, self, NULL, how, NULL);
	}
	close(fd);
	return r;
}

/* R/.var/shared-made: the host mounts shared-up made shared ("ID WAS MP",
 * WAS = private or slave, MP escaped as in mountinfo); shared-down puts them
 * back. Written whole to a temporary file, then renamed. */
#define MADE_SHARED VAR_DIR "/shared-made"

static void made_shared_add(unsigned long long id, int was_slave, const char *mp_escaped)
{
	char buf[16384], line[4200];
	ssize_t n = 0;
	int fd = open(MADE_SHARED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		n = read_all(fd, buf, sizeof buf - sizeof line);
		close(fd);
		if (n < 0)
			die_errno(MADE_SHARED);
	} else if (errno != ENOENT) {
		die_errno(MADE_SHARED);
	}
	xsnprintf(line, sizeof line, "%llu %s %s\n", id, was_slave ? "slave" : "private", mp_escaped);
	memcpy(buf + n, line, strlen(line));
	n += (ssize_t)strlen(line);
	fd = open(MADE_SHARED ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(MADE_SHARED ".tmp", MADE_SHARED) < 0)
		die_errno(MADE_SHARED);
}

/* shared-down: the mounts shared-up made shared get their old propagation. */
static void made_shared_undo(void)
{
	char buf[16384], *line, *save = NULL;
	ssize_t n;
	int fd = open(MADE_SHARED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return;
		die_errno(MADE_SHARED);
	}
	n = read_all(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		die_errno(MADE_SHARED);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;
		char was[16], mp[4096];
		if (sscanf(line, "%llu %15s %4095s", &id, was, mp) != 3)
			die(MADE_SHARED ": unexpected line");
		unescape(mp);
		if (set_propagation(mp, id, strcmp(was, "slave") == 0 ? MS_SLAVE : MS_PRIVATE) < 0)
			die_errno("make %s %s again", mp, was);
	}
	if (unlink(MADE_SHARED) < 0)
		die_errno("remove " MADE_SHARED);
}

/* Make the mount that holds fd (path, for messages) shared, unless it
 * already is (as systemd does at boot for "/"), so that binds of it can be
 * its slaves; remembered in MADE_SHARED for shared-down. */
static void make_source_shared(int srcfd, const char *path)
{
	unsigned long long want = mount_id_of(srcfd, path);
	FILE *f;
	char line[8192], esc[4096];
	int found = 0;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die_errno("/proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		unsigned long long id;
		char *save = NULL, *tok, *mp = NULL;
		int i, shared = 0, slave = 0;

		if (sscanf(line, "%llu", &id) != 1 || id != want)
			continue;
		found = 1;
		tok = strtok_r(line, " \n", &save);
		for (i = 0; tok; i++, tok = strtok_r(NULL, " \n", &save)) {
			if (i == 4)
				mp = tok;
			if (i >= 6 && strcmp(tok, "-") == 0)
				break;
			if (i >= 6 && strncmp(tok, "shared:", 7) == 0)
				shared = 1;
			if (i >= 6 && strncmp(tok, "master:", 7) == 0)
				slave = 1;
		}
		if (!mp)
			die("/proc/self/mountinfo: unexpected line");
		if (shared)
			break;
		xstrlcpy(esc, mp, sizeof esc);
		unescape(mp);
		made_shared_add(id, slave, esc);
		if (set_propagation(mp, id, MS_SHARED) < 0)
			die_errno("make %s shared", mp);
		break;
	}
	fclose(f);
	if (!found)
		die("%s: mount %llu not in /proc/self/mountinfo", path, want);
}

/* The path of the vsys.conf in use: VSYS_CONF, or when it does not exist
 * VSYS_CONF_OLD (util.h). */
static const char *conf_path(void)
{
	struct stat st;
	if (lstat(VSYS_CONF, &st) < 0 && errno == ENOENT)
		return VSYS_CONF_OLD;
	return VSYS_CONF;
}

/* Read and check vsys.conf (conf_path); absent = defaults. Returns NULL if absent. */
static const struct record *read_conf(void)
{
	static char buf[RECORD_MAX_SIZE + 2];
	const char *path = conf_path();
	char err[256];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		die_errno("%s", path);
	}
	if (fstat(fd, &st) < 0)
		die_errno("%s", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		die("%s: not a root-owned regular file writable only by root", path);
	n = read_all(fd, buf, sizeof buf);
	if (n < 0)
		die_errno("%s", path);
	close(fd);
	if (record_parse(&conf_rec, buf, (size_t)n, err, sizeof err) < 0)
		die("%s: %s", path, err);
	return &conf_rec;
}

enum bind_kind {
	BIND_TREE,    /* mounted once in the shared tree (e.g. /scratch) */
	BIND_SYSTEM,  /* below a system directory (e.g. /srv/projects): bound inside
			 each prepared namespace, where the system has that directory */
	BIND_SHOWN,   /* below /home or /tmp: already shown */
};

/* A bind= path: absolute, normalised, not "/" and not in proc, dev, sys, run. */
static enum bind_kind check_bind_path(const char *p)
{
	size_t i, n = strlen(p);
	char first[256];
	const char *s;

	if (n < 2 || p[0] != '/' || p[n - 1] == '/' || strstr(p, "//") || strstr(p, "/./") ||
	    strstr(p, "/../") || (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(p + n - 3, "/..") == 0) || strchr(p, ' '))
		die("bind %s: not an absolute normalised path", p);
	s = strchr(p + 1, '/');
	n = s ? (size_t)(s - p - 1) : strlen(p + 1);
	if (n >= sizeof first)
		die("bind %s: path too long", p);
	memcpy(first, p + 1, n);
	first[n] = '\0';
	if (strcmp(first, "home") == 0 || strcmp(first, "tmp") == 0)
		return BIND_SHOWN;
	for (i = 0; i < NELEM(tree_dirs); i++)
		if (strcmp(first, tree_dirs[i]) == 0)
			die("bind %s: inside the fixed layout of the shared tree", p);
	for (i = 0; i < NELEM(link_dirs); i++) {
		if (strcmp(first, link_dirs[i]) == 0) {
			if (!s)
				die("bind %s: would hide the system's /%s", p, first);
			return BIND_SYSTEM;
		}
	}
	return BIND_TREE;
}

/* A recursive copy of the host directory srcfd (path: for messages), a
 * slave of it, detached (open_tree). */
static int slave_copy(int srcfd, const char *path)
{
	struct mount_attr attr;
	struct stat st;
	int tree;

	if (fstat(srcfd, &st) < 0)
		die_errno("bind %s", path);
	if (!S_ISDIR(st.st_mode))
		die("bind %s: not a directory", path);
	make_source_shared(srcfd, path);
	tree = open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		die_errno("open_tree %s", path);
	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_SLAVE;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		die_errno("make the copy of %s a slave", path);
	return tree;
}

/* Recursive bind of a host directory into the shared tree, made a slave.
 * follow: the path may hold symlinks (the fixed /dev, /sys, /home, /tmp,
 * set by root); a bind= path is taken literally. Both ends by fds. */
static void bind_slave(const char *src, const char *dst, int follow)
{
	struct mount_attr attr;
	int srcfd, dstfd, tree;

	if (is_mountpoint(dst)) {
		/* idempotent: already there; keep it a slave */
		dstfd = open_no_symlinks(dst, O_DIRECTORY);
		memset(&attr, 0, sizeof attr);
		attr.propagation = MS_SLAVE;
		if (mount_setattr(dstfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
			die_errno("make %s a slave", dst);
		close(dstfd);
		return;
	}
	srcfd = follow ? open(src, O_PATH | O_DIRECTORY | O_CLOEXEC) : open_no_symlinks(src, 0);
	if (srcfd < 0)
		die_errno("bind %s", src);
	tree = slave_copy(srcfd, src);
	close(srcfd);
	dstfd = open_no_symlinks(dst, O_DIRECTORY);
	if (move_mount(tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_errno("bind %s on %s", src, dst);
	close(dstfd);
	close(tree);
}

/* The bind= paths in the shared tree (make_dirs: their mount points made
 * below R/.root first); those below system directories are bound by prepare
 * inside each namespace, as slaves: here only their sources made shared. */
static void shared_binds(const struct record *conf, int make_dirs)
{
	char path[4096];
	struct stat st;
	size_t i;

	for (i = 0; conf && i < conf->nent; i++) {
		const char *b = conf->ent[i].value;
		int fd;
		if (strcmp(conf->ent[i].key, "bind") != 0)
			continue;
		switch (check_bind_path(b)) {
		case BIND_SHOWN:
			continue;
		case BIND_SYSTEM:
			fd = open_no_symlinks(b, 0);
			if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
				die("bind %s: not a directory", b);
			make_source_shared(fd, b);
			close(fd);
			continue;
		case BIND_TREE:
			break;
		}
		if (make_dirs)
			ensure_dirs_below(ROOT_TREE, b + 1);
		xsnprintf(path, sizeof path, ROOT_TREE "%s", b);
		bind_slave(b, path, 0);
	}
}

static void cmd_shared_up(void)
{
	const struct record *conf = read_conf();
	char path[4096];
	size_t i;

	ensure_dir(R, 0755);
	ensure_dir(ROOT_TREE, 0755);
	ensure_dir(NS_DIR, 0755);
	ensure_dir(VAR_DIR, 0755);
	if (is_mountpoint(ROOT_TREE))
		die(ROOT_TREE ": still up in kmod link mode (vsys-view shared-down with link=kmod first)");
	{
		char cur[64];
		ssize_t n = readlink(ROOT_TREE "/.link", cur, sizeof cur - 1);
		if (n >= 0) { /* left by the kmod link mode */
			cur[n] = '\0';
			if (strcmp(cur, ".vsys/link") != 0 || unlink(ROOT_TREE "/.link") < 0)
				die(ROOT_TREE "/.link: unexpected symlink");
		}
	}
	/* the sources of the local parts (a system's own tree is its "/": no
	 * link, no symlinks here; those of the kmod mode, if left, are unused) */
	for (i = 0; i < NELEM(local_dirs); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", local_dirs[i]);
		if (is_mountpoint(path))
			continue; /* already up: never chmod the host's /home or /tmp */
		ensure_dir(path, strcmp(local_dirs[i], "tmp") == 0 ? 01777 : 0755);
	}

	if (!is_mountpoint(ROOT_TREE "/proc") &&
	    mount("proc", ROOT_TREE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount proc on " ROOT_TREE "/proc");
	if (mount(NULL, ROOT_TREE "/proc", NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " ROOT_TREE "/proc private");

	for (i = 0; i < NELEM(host_binds); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "%s", host_binds[i]);
		bind_slave(host_binds[i], path, 1);
	}
	shared_binds(conf, 1);

	if (!is_mountpoint(NS_DIR) && mount(NS_DIR, NS_DIR, NULL, MS_BIND, NULL) < 0)
		die_errno("bind " NS_DIR " on itself");
	if (mount(NULL, NS_DIR, NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " NS_DIR " private");
}

/* Names in R/.ns (the prepared systems); returns how many, first in *first. */
static int prepared_systems(char *first, size_t n)
{
	DIR *d = opendir(NS_DIR);
	struct dirent *e;
	int count = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		die_errno(NS_DIR);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (count++ == 0)
			xstrlcpy(first, e->d_name, n);
	}
	closedir(d);
	return count;
}

/* Detach every mount whose mount point is below prefix (prefix itself
 * excluded): the one nearest the top first (a lazy detach takes the mounts
 * below it along), reached without symlinks and detached by its fd, so a
 * user's directory inside a bind cannot redirect it. */
static void detach_below(const char *prefix)
{
	size_t pl = strlen(prefix);
	int round;

	for (round = 0; round < 10000; round++) {
		FILE *f = fopen("/proc/self/mountinfo", "re");
		char line[8192], victim[4096], self[64];
		int fd;

		if (!f)
			die_errno("/proc/self/mountinfo");
		victim[0] = '\0';
		while (fgets(line, sizeof line, f)) {
			char *save = NULL, *tok, *mp = NULL;
			int i;
			tok = strtok_r(line, " \n", &save);
			for (i = 0; tok && i < 4; i++)
				tok = strtok_r(NULL, " \n", &save);
			mp = tok;
			if (!mp)
				continue;
			unescape(mp);
			if (strncmp(mp, prefix, pl) == 0 && mp[pl] == '/' &&
			    (!victim[0] || strlen(mp) < strlen(victim))) {
				xstrlcpy(victim, mp, sizeof victim);
			}
		}
		fclose(f);
		if (!victim[0])
			return;
		fd = open_no_symlinks(victim, 0); /* the top-most mount there */
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		if (umount2(self, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			die_errno("unmount %s", victim);
		close(fd);
	}
	die("%s: mounts keep reappearing", prefix);
}

static void cmd_shared_down(void)
{
	char first[256];
	int n = prepared_systems(first, sizeof first);
	int i;

	if (n > 0)
		die("shared-down: %d system(s) still prepared (e.g. %s); release them first", n, first);
	detach_below(ROOT_TREE);
	for (i = 0; i < 100 && is_mountpoint(NS_DIR); i++)
		if (umount2(NS_DIR, MNT_DETACH) < 0)
			die_errno("unmount " NS_DIR);
	made_shared_undo();
}

static void check_name(const char *name)
{
	const char *why = name_check(name);
	if (why)
		die("%s: %s", name, why);
}

/* Detach every bind stacked on path; keep the file. */
static void detach_all(const char *path)
{
	int i;
	for (i = 0; i < 1000; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
			if (errno == EINVAL || errno == ENOENT)
				return;
			die_errno("detach %s", path);
		}
	}
	die("%s: too many stacked mounts", path);
}

/* The system record's facts (hostfiles, view); absent record = defaults. */
static const struct system_info *record_info(const char *name)
{
	static struct record rec;
	static char buf[RECORD_MAX_SIZE + 2];
	static struct system_info info;
	char path[256], err[256];
	struct stat st;
	ssize_t n;
	int fd;

	xsnprintf(path, sizeof path, R "/etc/systems/%s", name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			memset(&info, 0, sizeof info);
			info.hostfiles = "passwd,group,hosts,resolv.conf,localtime";
			return &info;
		}
		die_errno("%s", path);
	}
	if (fstat(fd, &st) < 0)
		die_errno("%s", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		die("%s: not a root-owned regular file writable only by root", path);
	n = read_all(fd, buf, sizeof buf);
	if (n < 0)
		die_errno("%s", path);
	close(fd);
	if (record_parse(&rec, buf, (size_t)n, err, sizeof err) < 0 ||
	    record_system(&rec, name, 1, &info, err, sizeof err) < 0)
		die("%s: corrupt record: %s", path, err);
	return &info;
}

/* Where the system's tree is mounted on the host: R/.private/NAME (root's,
 * 0700, so no user reaches it by any path) for a restricted system, one with
 * users= or groups= in its record, else R/NAME (docs/DESIGN.md "Restricted
 * systems"). A restricted one must be a mount: vsys moves a tree there when
 * users= is set, and an interrupted move must not make an empty directory the
 * system's "/". */
static int restricted(const struct system_info *info)
{
	return (info->users && *info->users) || (info->groups && *info->groups);
}

static void system_dir(const char *name, char *buf, size_t size)
{
	int restricted_ = restricted(record_info(name));

	xsnprintf(buf, size, restricted_ ? R "/.private/%s" : R "/%s", name);
	if (restricted_ && !is_mountpoint(buf))
		die("%s: %s is not mounted (its record restricts it: vsys check --repair)", name, buf);
}

#define MAX_HOSTFILES 32
#define MAX_BINDS 128

struct pending_bind {
	char rel[300];   /* target, relative to the system's tree */
	int tree;        /* detached mount (open_tree) */
	int want_dir;
};

static int openat2_in_root(int rootfd, const char *rel, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(flags | O_PATH | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
}

/* A detached, private copy of path with the given attributes (e.g. read-only). */
static int detached_copy(const char *path, unsigned long long attrs)
{
	struct mount_attr attr;
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		die_errno("open_tree %s", path);
	memset(&attr, 0, sizeof attr);
	attr.attr_set = attrs;
	attr.propagation = MS_PRIVATE; /* never a peer of the host's mount */
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		die_errno("mount_setattr %s", path);
	return fd;
}

/* Detached read-only copies of the host's /etc files named in hostfiles
 * (those that exist as regular files), with their targets. Returns the count. */
static size_t host_file_copies(const char *hostfiles, struct pending_bind *binds, size_t max)
{
	const char *p;
	size_t nb = 0;

	if (strcmp(hostfiles, "none") == 0)
		return 0;
	for (p = hostfiles; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		char file[256], path[300];
		struct stat st;

		if (n && n < sizeof file && hostfile_name_ok(p, n)) {
			memcpy(file, p, n);
			file[n] = '\0';
			xsnprintf(path, sizeof path, "/etc/%s", file);
			if (nb < max && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				binds[nb].tree = detached_copy(path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
									MOUNT_ATTR_NODEV);
				xsnprintf(binds[nb].rel, sizeof binds[nb].rel, "etc/%s", file);
				binds[nb].want_dir = 0;
				nb++;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return nb;
}

/* Recursive detached copies of the bind= paths below system directories
 * (they stay slaves of the host's mounts). Returns the count. */
static size_t system_bind_copies(struct pending_bind *binds, size_t max)
{
	const struct record *conf = read_conf();
	size_t i, nb = 0;

	if (!conf)
		return 0;
	for (i = 0; i < conf->nent && nb < max; i++) {
		const char *b = conf->ent[i].value;
		struct stat st;
		int fd;

		int src;

		if (strcmp(conf->ent[i].key, "bind") != 0 || check_bind_path(b) != BIND_SYSTEM)
			continue;
		src = open_no_symlinks(b, 0);
		if (fstat(src, &st) < 0 || !S_ISDIR(st.st_mode)) {
			close(src);
			continue;
		}
		fd = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (fd < 0)
			die_errno("open_tree %s", b);
		close(src);
		binds[nb].tree = fd;
		xstrlcpy(binds[nb].rel, b + 1, sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	return nb;
}

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

/* The view= directory of a record: under R/.store, opened from R/.store
 * without following any symlink, a root-owned directory. Returns an O_PATH fd. */
static int open_view(const char *name, const char *view)
{
	static const char store[] = R "/.store/";
	struct open_how how;
	struct stat st;
	int sfd, fd;

	if (strncmp(view, store, sizeof store - 1) != 0 || !view[sizeof store - 1])
		die("%s: view outside " R "/.store", name);
	sfd = open(R "/.store", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		die_errno(R "/.store");
	if (fstat(sfd, &st) < 0)
		die_errno(R "/.store");
	if (st.st_uid != 0 || (st.st_mode & 022))
		die(R "/.store: not owned by root or writable by group or others");
	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, sfd, view + sizeof store - 1, &how, sizeof how);
	if (fd < 0) {
		if (errno == ELOOP || errno == EXDEV)
			die("%s: view %s: a symlink on the way", name, view);
		die_errno("%s: view %s", name, view);
	}
	close(sfd);
	if (fstat(fd, &st) < 0)
		die_errno("%s: view %s", name, view);
	if (!S_ISDIR(st.st_mode))
		die("%s: view %s: not a directory", name, view);
	return fd;
}

/* With view=: recursive copies of the file systems mounted below R/NAME (the
 * system's fs= other than "/", e.g. an NFS /proj), to be bound at the same
 * paths in the view where it has those directories. slave: make them slaves
 * (the host namespace); in a prepared namespace they already are. */
static size_t live_submount_copies(const char *name, struct pending_bind *binds, size_t max,
				   int slave)
{
	char prefix[4096], line[8192], tops[64][300];
	size_t pl, nt = 0, nb = 0, i;
	FILE *f;

	system_dir(name, prefix, sizeof prefix - 1);
	strcat(prefix, "/");
	pl = strlen(prefix);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die_errno("/proc/self/mountinfo");
	while (fgets(line, sizeof line, f) && nt < NELEM(tops)) {
		char *save = NULL, *tok = strtok_r(line, " \n", &save);
		int k;
		for (k = 0; tok && k < 4; k++)
			tok = strtok_r(NULL, " \n", &save);
		if (!tok)
			continue;
		unescape(tok);
		if (strncmp(tok, prefix, pl) != 0 || strlen(tok + pl) >= sizeof tops[0] - 7)
			continue;
		for (i = 0; i < nt; i++) /* below one already listed: in its recursive copy */
			if (strncmp(tok + pl, tops[i], strlen(tops[i])) == 0 &&
			    tok[pl + strlen(tops[i])] == '/')
				break;
		if (i == nt) {
			size_t j, w = 0;
			for (j = 0; j < nt; j++) /* one listed earlier below this one: drop it */
				if (!(strncmp(tops[j], tok + pl, strlen(tok + pl)) == 0 &&
				      tops[j][strlen(tok + pl)] == '/'))
					memmove(tops[w++], tops[j], sizeof tops[0]);
			nt = w;
			xstrlcpy(tops[nt++], tok + pl, sizeof tops[0]);
		}
	}
	fclose(f);
	for (i = 0; i < nt && nb < max; i++) {
		char path[4096];
		xsnprintf(path, sizeof path, "%s%s", prefix, tops[i]);
		binds[nb].tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							 AT_RECURSIVE);
		if (binds[nb].tree < 0)
			die_errno("open_tree %s", path);
		if (slave) {
			struct mount_attr sa;
			memset(&sa, 0, sizeof sa);
			sa.propagation = MS_SLAVE;
			if (mount_setattr(binds[nb].tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &sa,
					  sizeof sa) < 0)
				die_errno("mount_setattr %s", path);
		}
		xstrlcpy(binds[nb].rel, tops[i], sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	return nb;
}

/* A bind= path handled in the shared tree (BIND_TREE) and not below an
 * earlier one (whose recursive copy already holds it). */
static int tree_bind_wanted(const struct record *conf, size_t idx)
{
	const char *b = conf->ent[idx].value;
	size_t i;

	if (strcmp(conf->ent[idx].key, "bind") != 0 || check_bind_path(b) != BIND_TREE)
		return 0;
	for (i = 0; i < idx; i++) {
		const char *a = conf->ent[i].value;
		size_t al = strlen(a);
		if (strcmp(conf->ent[i].key, "bind") == 0 && check_bind_path(a) == BIND_TREE &&
		    strncmp(a, b, al) == 0 && (b[al] == '/' || b[al] == '\0'))
			return 0;
	}
	return 1;
}

/* Is name the first component of a bind= path of the shared tree? */
static int is_tree_bind_top(const struct record *conf, const char *name)
{
	size_t i, n = strlen(name);

	if (!conf)
		return 0;
	for (i = 0; i < conf->nent; i++) {
		const char *b = conf->ent[i].value;
		if (strcmp(conf->ent[i].key, "bind") == 0 && check_bind_path(b) == BIND_TREE &&
		    strncmp(b + 1, name, n) == 0 && (b[1 + n] == '/' || b[1 + n] == '\0'))
			return 1;
	}
	return 0;
}

static int is_tree_dir(const char *name)
{
	size_t i;
	for (i = 0; i < NELEM(tree_dirs); i++)
		if (strcmp(name, tree_dirs[i]) == 0)
			return 1;
	return 0;
}

/* Where no bind may land in a system's tree: its root, and the local parts
 * at its top (proc, dev, sys, home, tmp, run) and anything below them. */
struct tree_guard {
	struct stat root;
	struct stat local[NELEM(local_dirs)];
	int have[NELEM(local_dirs)];
};

static int same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void guard_init(struct tree_guard *g, int sysfd)
{
	size_t i;

	if (fstat(sysfd, &g->root) < 0)
		die_errno("stat the system's tree");
	for (i = 0; i < NELEM(local_dirs); i++)
		g->have[i] = fstatat(sysfd, local_dirs[i], &g->local[i], AT_SYMLINK_NOFOLLOW) == 0 &&
			     S_ISDIR(g->local[i].st_mode);
}

/* The name of the part of the system's tree the directory dirfd lies in
 * ("/" for the root itself, "/home" for anything in home, ...), or NULL
 * for anywhere else; walks ".." up to the tree's root. */
static const char *guard_hit(const struct tree_guard *g, int dirfd)
{
	static char hit[16];
	struct stat st;
	int cur = dup(dirfd), depth, first = 1;
	size_t i;

	if (cur < 0)
		die_errno("dup");
	for (depth = 0; depth < 4096; depth++, first = 0) {
		int up;
		if (fstat(cur, &st) < 0)
			die_errno("stat a bind target");
		if (same_inode(&st, &g->root)) {
			close(cur);
			return first ? "/" : NULL;
		}
		for (i = 0; i < NELEM(local_dirs); i++) {
			if (g->have[i] && same_inode(&st, &g->local[i])) {
				close(cur);
				xsnprintf(hit, sizeof hit, "/%s", local_dirs[i]);
				return hit;
			}
		}
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			die_errno("walk up from a bind target");
		close(cur);
		cur = up;
	}
	die("a bind target: deeper than 4096 directories");
}

/* The target of b in the system's tree sysfd: its directory resolved inside
 * the tree (RESOLVE_IN_ROOT: the tree's own symlinks are followed as the
 * system would, never out of it), its last component not followed. Returns
 * an O_PATH fd, or -1 when the tree has no such directory or file (left
 * out: the tree is read-only and never changed). A target landing on the
 * tree's root or in one of its local parts (a tree whose /var is a symlink
 * to /home/victim) is refused. */
static int bind_target(const char *name, int sysfd, const struct tree_guard *g,
		       const struct pending_bind *b)
{
	char dir[300];
	const char *slash = strrchr(b->rel, '/'), *base, *hit;
	struct stat st;
	int dfd, fd;

	if (slash) {
		xsnprintf(dir, sizeof dir, "%.*s", (int)(slash - b->rel), b->rel);
		base = slash + 1;
	} else {
		xstrlcpy(dir, ".", sizeof dir);
		base = b->rel;
	}
	dfd = openat2_in_root(sysfd, dir, O_DIRECTORY);
	if (dfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return -1;
		die_errno("%s: /%s", name, dir);
	}
	fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		close(dfd);
		if (errno == ENOENT)
			return -1;
		die_errno("%s: /%s", name, b->rel);
	}
	if (fstat(fd, &st) < 0)
		die_errno("%s: /%s", name, b->rel);
	if (b->want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		close(fd);
		close(dfd);
		return -1;
	}
	hit = guard_hit(g, b->want_dir ? fd : dfd);
	if (hit && !(strcmp(hit, "/") == 0 && !b->want_dir)) {
		die("%s: /%s: lands on %s of the system's tree, a local part: refused", name,
		    b->rel, hit);
	}
	close(dfd);
	return fd;
}

/* Mount each pending bind on its target in the system's tree sysfd (see
 * bind_target); closes the detached copies. */
static void attach_binds(const char *name, int sysfd, struct pending_bind *binds, size_t nb)
{
	struct tree_guard g;
	size_t i;

	guard_init(&g, sysfd);
	for (i = 0; i < nb; i++) {
		int round;
		for (round = 0; round < 3; round++) {
			int fd = bind_target(name, sysfd, &g, &binds[i]), r;
			if (fd < 0)
				break;
			r = move_mount(binds[i].tree, "", fd, "",
				       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
			close(fd);
			if (r == 0)
				break;
			/* ENOENT: the target was replaced meanwhile (a rename in
			 * the tree): look it up again */
			if (errno != ENOENT || round == 2)
				die_errno("bind on %s/%s", name, binds[i].rel);
		}
		close(binds[i].tree);
	}
}

/* The per-system /var/tmp (and /usr/tmp) sources, R/.var/NAME/tmp. */
static size_t var_tmp_copies(const char *name, struct pending_bind *binds)
{
	char vartmp[4096];
	size_t i;

	xsnprintf(vartmp, sizeof vartmp, VAR_DIR "/%s/tmp", name);
	for (i = 0; i < 2; i++) {
		binds[i].tree = detached_copy(vartmp, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		xstrlcpy(binds[i].rel, i == 0 ? "var/tmp" : "usr/tmp", sizeof binds[i].rel);
		binds[i].want_dir = 1;
	}
	return 2;
}

/* A local part (proc, dev, sys, home, tmp, run) goes only on a real
 * directory at the top of the tree, never through a symlink. */
static int local_target(int sysfd, const char *dir)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, sysfd, dir, &how, sizeof how);
}

/* The child: build the system's namespace. Never returns on error.
 *
 * The system's own tree becomes "/" (R/NAME, or the view= directory viewfd,
 * O_PATH, checked by the caller, bound read-only, nosuid, nodev): its
 * top-level entries are the system's, with nothing added. On it, where the
 * tree has the directory (or file): first the system's own binds (the
 * per-system /var/tmp, the view's other file systems, the host files,
 * bind= entries), each resolved inside the tree (bind_target); then the
 * local parts: recursive copies of R/.root/{proc,dev,sys,home,tmp}, which
 * stay slaves of the host's mounts, and a fresh tmpfs on /run. Nothing of
 * this is in the host's mount table; the tree is never written to. */
static void build_namespace(const char *name, const char *hostfiles, int viewfd)
{
	struct pending_bind binds[MAX_BINDS];
	int shared[NELEM(host_binds) + 1];
	const struct record *conf = read_conf();
	size_t nb = 0, i;
	char path[4096];
	int sysfd, systree, fd, fsfd, run;

	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die_errno("make / a slave");

	/* The system's tree: copied here, after the namespace became a slave, so
	 * the copy is a slave too (never a peer of the host's mount). */
	if (viewfd < 0) {
		system_dir(name, path, sizeof path);
		systree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (systree < 0)
			die_errno("open_tree %s", path);
	} else {
		struct mount_attr attr;
		/* the caller's fd is of the host's namespace: open it again in ours */
		close(viewfd);
		viewfd = open_view(name, record_info(name)->view);
		systree = open_tree(viewfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
						 AT_EMPTY_PATH);
		if (systree < 0)
			die_errno("%s: open_tree of its view", name);
		memset(&attr, 0, sizeof attr);
		attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
		attr.propagation = MS_PRIVATE;
		if (mount_setattr(systree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
			die_errno("%s: make its view read-only", name);
		close(viewfd);
	}

	/* Sources first, while the host tree is still reachable. */
	nb += var_tmp_copies(name, binds);
	if (viewfd >= 0) /* first: the host files and bind= go over them */
		nb += live_submount_copies(name, binds + nb, NELEM(binds) - nb, 0);
	nb += host_file_copies(hostfiles, binds + nb, NELEM(binds) - nb);
	nb += system_bind_copies(binds + nb, NELEM(binds) - nb);
	/* bind= paths of the shared tree: copies of their R/.root mounts */
	for (i = 0; conf && i < conf->nent && nb < NELEM(binds); i++) {
		if (!tree_bind_wanted(conf, i))
			continue;
		xsnprintf(path, sizeof path, ROOT_TREE "%s", conf->ent[i].value);
		if (!is_mountpoint(path))
			die("bind %s: not mounted in the shared tree (vsys-view shared-up)",
			    conf->ent[i].value);
		binds[nb].tree = open_tree(AT_FDCWD, path,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (binds[nb].tree < 0)
			die_errno("open_tree %s", path);
		xstrlcpy(binds[nb].rel, conf->ent[i].value + 1, sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	/* The local parts: recursive copies of the host's R/.root mounts (a copy
	 * of a slave is a slave of the same master: host mounts made later under
	 * /home still show up in running systems). */
	for (i = 0; i < NELEM(shared); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", i == 0 ? "proc" : host_binds[i - 1] + 1);
		shared[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (shared[i] < 0)
			die_errno("open_tree %s", path);
	}
	fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die_errno("make a tmpfs for /run");
	run = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (run < 0)
		die_errno("make a tmpfs for /run");
	close(fsfd);

	/* The tree, attached over R/.root (in this namespace only). */
	if (move_mount(systree, "", AT_FDCWD, ROOT_TREE, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("mount %s on " ROOT_TREE, name);
	close(systree);
	sysfd = open(ROOT_TREE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sysfd < 0)
		die_errno(ROOT_TREE);
	attach_binds(name, sysfd, binds, nb);
	for (i = 0; i <= NELEM(shared); i++) {
		const char *dir = i == NELEM(shared) ? "run" : i == 0 ? "proc" : host_binds[i - 1] + 1;
		int tree = i == NELEM(shared) ? run : shared[i];
		fd = local_target(sysfd, dir);
		if (fd >= 0) {
			if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				die_errno("mount on %s/%s", name, dir);
			close(fd);
		} else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != EXDEV) {
			die_errno("%s: /%s", name, dir);
		}
		close(tree);
	}
	close(sysfd);

	if (chdir(ROOT_TREE) < 0)
		die_errno("chdir " ROOT_TREE);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root " ROOT_TREE);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("detach the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
}

/* Put the namespace of pid at ns without a moment where ns is not a prepared
 * namespace: the new one goes beneath the current one, which is then detached
 * (kernel >= 6.5, MOVE_MOUNT_BENEATH). Older kernels: stacked on top of it (the
 * launcher opens the top-most; release detaches the whole stack). */
static int install_namespace(const char *ns, pid_t pid)
{
	char proc[64];
	int tree;

	xsnprintf(proc, sizeof proc, "/proc/%d/ns/mnt", (int)pid);
	if (!is_mountpoint(ns))
		return mount(proc, ns, NULL, MS_BIND, NULL);
	tree = open_tree(AT_FDCWD, proc, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -1;
	if (move_mount(tree, "", AT_FDCWD, ns, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH) == 0) {
		close(tree);
		if (umount2(ns, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			die_errno("detach the previous namespace on %s", ns);
		return 0;
	}
	if (errno != EINVAL) {
		int e = errno;
		close(tree);
		errno = e;
		return -1;
	}
	if (move_mount(tree, "", AT_FDCWD, ns, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		int e = errno;
		close(tree);
		errno = e;
		return -1;
	}
	close(tree);
	return 0;
}

static void cmd_prepare(const char *name)
{
	char sys[4096], var[4096], ns[4096];
	const struct system_info *info;
	struct stat st;
	int ready[2], done[2], status, fd, viewfd = -1;
	pid_t pid;
	char c;

	check_name(name);
	if (!is_mountpoint(NS_DIR) || !is_mountpoint(ROOT_TREE "/proc"))
		die("prepare %s: the shared tree is not up (vsys-view shared-up)", name);
	system_dir(name, sys, sizeof sys);
	if (lstat(sys, &st) < 0)
		die_errno("%s", sys);
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", sys);
	info = record_info(name);
	if (info->view)
		viewfd = open_view(name, info->view);

	xsnprintf(var, sizeof var, VAR_DIR "/%s", name);
	ensure_dir(VAR_DIR, 0755);
	ensure_dir(var, 0755);
	/* a restricted system's /var/tmp is its users' only: no path of the host to it */
	if (chmod(var, restricted(info) ? 0700 : 0755) < 0)
		die_errno("%s", var);
	xsnprintf(var, sizeof var, VAR_DIR "/%s/tmp", name);
	ensure_dir(var, 01777);

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		die_errno("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		build_namespace(name, info->hostfiles, viewfd);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		while (read(done[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	if (viewfd >= 0)
		close(viewfd);
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			exit(1); /* the child said why, in one line */
		die("prepare %s: building the namespace failed", name);
	}

	xsnprintf(ns, sizeof ns, NS_DIR "/%s", name);
	fd = open(ns, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0) {
		kill(pid, SIGKILL);
		die_errno("%s", ns);
	}
	close(fd);
	if (install_namespace(ns, pid) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		errno = e;
		die_errno("bind the namespace of %s on %s", name, ns);
	}
	close(done[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("prepare %s: helper exited abnormally", name);
}

static void cmd_release(const char *name)
{
	char ns[4096];
	check_name(name);
	xsnprintf(ns, sizeof ns, NS_DIR "/%s", name);
	detach_all(ns);
	if (unlink(ns) < 0 && errno != ENOENT)
		die_errno("remove %s", ns);
}

static void cmd_users(const char *name)
{
	char ns[4096], path[64];
	struct stat want, st;
	DIR *d;
	struct dirent *e;

	check_name(name);
	xsnprintf(ns, sizeof ns, NS_DIR "/%s", name);
	if (stat(ns, &want) < 0)
		die_errno("%s", ns);
	if (!is_mountpoint(ns))
		die("%s: not prepared", name);
	d = opendir("/proc");
	if (!d)
		die_errno("/proc");
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/ns/mnt", pid);
		if (stat(path, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
			printf("%ld\n", pid);
	}
	closedir(d);
	if (fflush(stdout) != 0)
		die_errno("stdout");
}

/* Open the prepared namespace of name; dies unless it is an nsfs bind. */
static int open_prepared(const char *name)
{
	char ns[4096];
	struct statfs sfs;
	int fd;

	xsnprintf(ns, sizeof ns, NS_DIR "/%s", name);
	fd = open(ns, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno("%s", ns);
	if (fstatfs(fd, &sfs) < 0)
		die_errno("%s", ns);
	if (sfs.f_type != NSFS_MAGIC)
		die("%s: not prepared", name);
	return fd;
}

static int is_mount_root_fd(int fd)
{
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) < 0)
		return 0;
	return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb);

static void cmd_refresh(const char *name)
{
	struct pending_bind binds[MAX_HOSTFILES];
	const char *hostfiles;
	size_t nb;
	int nsfd, rootfd;

	check_name(name);
	nsfd = open_prepared(name);
	hostfiles = record_info(name)->hostfiles;
	nb = host_file_copies(hostfiles, binds, NELEM(binds));
	if (setns(nsfd, CLONE_NEWNS) < 0)
		die_errno("enter the namespace of %s", name);
	close(nsfd);
	if (chdir("/") < 0)
		die_errno("chdir /");
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die_errno("open /");
	rebind_host_files(name, rootfd, binds, nb);
	close(rootfd);
}

/* Bind the new host file copies over their targets in the system's tree
 * rootfd with no moment where a reader sees anything but a host file: the
 * new copy goes beneath the current bind (MOVE_MOUNT_BENEATH, kernel >= 6.5),
 * which is then detached by its fd. Older kernels: the old binds are
 * detached first, then the new copy is bound (a short window). */
static void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb)
{
	struct tree_guard g;
	size_t i;

	guard_init(&g, rootfd);
	for (i = 0; i < nb; i++) {
		char self[64];
		int fd = bind_target(name, rootfd, &g, &binds[i]);

		if (fd < 0) {
			close(binds[i].tree);
			continue;
		}
		if (is_mount_root_fd(fd) &&
		    move_mount(binds[i].tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH |
			       MOVE_MOUNT_T_EMPTY_PATH | MOVE_MOUNT_BENEATH) == 0) {
			snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
			if (umount2(self, MNT_DETACH) < 0)
				die_errno("detach the old bind on %s/%s", name, binds[i].rel);
			close(fd);
			close(binds[i].tree);
			continue;
		}
		if (errno != EINVAL && is_mount_root_fd(fd))
			die_errno("bind beneath %s/%s", name, binds[i].rel);
		/* kernel < 6.5: nothing goes beneath, and nothing can go on a copy
		 * whose file was replaced (useradd's rename): detach the old copies
		 * first (a short moment with the system's own file) */
		while (fd >= 0 && is_mount_root_fd(fd)) {
			snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
			if (umount2(self, MNT_DETACH) < 0)
				die_errno("detach the old bind on %s/%s", name, binds[i].rel);
			close(fd);
			fd = bind_target(name, rootfd, &g, &binds[i]);
		}
		if (fd >= 0 && move_mount(binds[i].tree, "", fd, "",
					  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			die_errno("bind on %s/%s", name, binds[i].rel);
		if (fd >= 0)
			close(fd);
		close(binds[i].tree);
	}
}

#include "kmod_view.inc"

int main(int argc, char **argv)
{
	die_prefix = "vsys-view";
	die_status = 1;
	umask(022);
	if (argc < 2)
		usage();
	if (geteuid() != 0)
		die("must run as root");
	if (argc <= 3 && kmod_mode()) {
		kmod_main(argc, argv);
		return 0;
	}
	if (strcmp(argv[1], "shared-up") == 0 && argc == 2)
		cmd_shared_up();
	else if (strcmp(argv[1], "shared-down") == 0 && argc == 2)
		cmd_shared_down();
	else if (strcmp(argv[1], "prepare") == 0 && argc == 3)
		cmd_prepare(argv[2]);
	else if (strcmp(argv[1], "release") == 0 && argc == 3)
		cmd_release(argv[2]);
	else if (strcmp(argv[1], "users") == 0 && argc == 3)
		cmd_users(argv[2]);
	else if (strcmp(argv[1], "refresh") == 0 && argc == 3)
		cmd_refresh(argv[2]);
	else
		usage();
	return 0;
}
