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
 *
 * (as in namespace mode; kmod mode: view_kmod.c). main() reads link= of
 * vsys.conf, takes that mode's struct link_ops (view.h) and calls the
 * one operation the command names. This file: main, the config and records,
 * and the steps both modes share on the host side (directories, propagation,
 * the shared tree's binds); view_binds.c: the binds of one system's tree.
 */
#include "mountinfo.h"
#include "names.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Directories of the shared tree that are real directories. */
const char *const tree_dirs[N_TREE_DIRS] = { "proc", "dev", "sys", "home", "tmp", "run", ".link" };
/* The local parts mounted at the top of a system's own tree (namespace
 * mode): a bind may not land in one of them (a hostile tree steering a bind
 * into the users' /home). */
const char *const local_dirs[N_LOCAL_DIRS] = { "proc", "dev", "sys", "home", "tmp", "run" };
/* Host directories bound (recursively, as slaves) into the shared tree. */
const char *const host_binds[N_HOST_BINDS] = { "/dev", "/sys", "/home", "/tmp" };
/* Names that are symlinks into the per-process link. */
const char *const link_dirs[N_LINK_DIRS] = { "bin", "boot", "etc", "lib", "lib32", "lib64",
	"libx32", "media", "mnt", "opt", "root", "sbin", "srv", "usr", "var" };

static struct record conf_rec;

__attribute__((noreturn)) static void usage(void)
{
	fputs("usage: vsys-view shared-up | shared-down | prepare NAME | release NAME | users NAME"
	      " | refresh NAME\n", stderr);
	exit(2);
}

int is_mountpoint(const char *path)
{
	struct statx st;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) < 0)
		return 0;
	return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int is_mount_root_fd(int fd)
{
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) < 0)
		return 0;
	return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* mkdir path (mode) unless it is already a real directory; refuse symlinks. */
void ensure_dir(const char *path, mode_t mode)
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

/* mkdir -p rel below the trusted root-owned directory dirfd, never through
 * a symlink (base: dirfd's path, for messages). */
void ensure_dirs_at(int dirfd, const char *rel, const char *base)
{
	char comp[4096];
	const char *p = rel;
	int fd = dup(dirfd);

	if (fd < 0)
		die_errno("dup");
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

/* An absolute host path opened O_PATH without following any symlink on the
 * way (a bind= path below a user-writable directory cannot be redirected). */
int open_no_symlinks(const char *path, int flags)
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

void check_name(const char *name)
{
	const char *why = name_check(name);
	if (why)
		die("%s: %s", name, why);
}

/* Detach every bind stacked on path; keep the file. */
void detach_all(const char *path)
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

/* The mount point nearest the top of all mounts below prefix (prefix
 * itself excluded), into victim (size n); 0 when there is none. */
static int top_mount_below(const char *prefix, char *victim, size_t n)
{
	size_t pl = strlen(prefix);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	if (!f)
		die_errno("/proc/self/mountinfo");
	victim[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		struct mountinfo_entry e;
		const char *mp;

		if (mountinfo_parse(line, &e) < 0)
			continue;
		mp = e.mount_point;
		if (strncmp(mp, prefix, pl) == 0 && mp[pl] == '/' &&
		    (!victim[0] || strlen(mp) < strlen(victim)))
			xstrlcpy(victim, mp, n);
	}
	fclose(f);
	return victim[0] != '\0';
}

int has_mounts_below(const char *prefix)
{
	char victim[4096];
	return top_mount_below(prefix, victim, sizeof victim);
}

/* Detach every mount whose mount point is below prefix (prefix itself
 * excluded): the one nearest the top first (a lazy detach takes the mounts
 * below it along), reached without symlinks and detached by its fd, so a
 * user's directory inside a bind cannot redirect it. */
void detach_below(const char *prefix)
{
	char victim[4096], self[64];
	int round, fd;

	for (round = 0; round < 10000; round++) {
		if (!top_mount_below(prefix, victim, sizeof victim))
			return;
		fd = open_no_symlinks(victim, 0); /* the top-most mount there */
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		if (umount2(self, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			die_errno("unmount %s", victim);
		close(fd);
	}
	die("%s: mounts keep reappearing", prefix);
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

/* /run/vsys/made-shared: the host mounts a shared-up made shared, one line
 * per mount and vsys root that relies on it (mountinfo.h), host-wide so
 * that one root's shared-down does not cut another root's tree off from
 * later host mounts: a mount gets its old propagation back only when no
 * root relies on it any more. On /run (tmpfs), gone at boot as the
 * propagation changes are. Read and written under an flock of
 * made-shared.lock, written whole to a temporary file, then renamed.
 * OLD_MADE, the per-root list of older versions, is taken in once. */
#define MADE_DIR "/run/vsys"
#define MADE_SHARED MADE_DIR "/made-shared"
#define OLD_MADE VAR_DIR "/shared-made"
#define MADE_MAX 256

struct made_list {
	struct shared_made_entry *e;
	size_t n;
};

/* Whether mount id is in /proc/self/mountinfo with mount point mp. */
static int mount_present(unsigned long long id, const char *mp)
{
	char line[8192];
	int found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		die_errno("/proc/self/mountinfo");
	while (!found && fgets(line, sizeof line, f)) {
		struct mountinfo_entry m;
		if (mountinfo_parse(line, &m) == 0 && m.id == id && strcmp(m.mount_point, mp) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

static int made_find(const struct made_list *l, unsigned long long id, const char *root)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		if (l->e[i].id == id && (!root || strcmp(l->e[i].root, root) == 0))
			return (int)i;
	return -1;
}

/* Add a line unless the root already has one for the mount. */
static void made_push(struct made_list *l, const struct shared_made_entry *e)
{
	if (made_find(l, e->id, e->root) >= 0)
		return;
	if (l->n >= MADE_MAX)
		die(MADE_SHARED ": more than %d lines", MADE_MAX);
	l->e[l->n++] = *e;
}

/* Read path's lines into l (root: for old lines without one); stale ones,
 * whose mount is gone, are dropped. */
static void made_read(const char *path, const char *root, struct made_list *l)
{
	static char buf[65536];
	char *line, *save = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return;
		die_errno("%s", path);
	}
	n = read_all(fd, buf, sizeof buf - 1, -1);
	close(fd);
	if (n < 0)
		die_errno("%s", path);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct shared_made_entry e;
		if (shared_made_parse(line, &e) < 0)
			die("%s: unexpected line", path);
		if (!e.root[0]) {
			if (!root)
				die("%s: a line without its root", path);
			snprintf(e.root, sizeof e.root, "%s", root);
		}
		if (mount_present(e.id, e.mount_point))
			made_push(l, &e);
	}
}

/* Lock the record and read it, with this root's old list taken in.
 * Returns the lock's fd. */
static int made_load(struct made_list *l)
{
	int fd;

	l->n = 0;
	l->e = calloc(MADE_MAX, sizeof *l->e);
	if (!l->e)
		die("out of memory");
	if (mkdir(MADE_DIR, 0755) < 0 && errno != EEXIST)
		die_errno(MADE_DIR);
	fd = open(MADE_SHARED ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		die_errno(MADE_SHARED ".lock");
	made_read(MADE_SHARED, NULL, l);
	made_read(OLD_MADE, R, l);
	return fd;
}

/* Write l back, drop this root's old list, unlock. */
static void made_save(struct made_list *l, int lockfd)
{
	char line[8400];
	size_t i;
	int fd, len;

	if (l->n == 0) {
		if (unlink(MADE_SHARED) < 0 && errno != ENOENT)
			die_errno("remove " MADE_SHARED);
	} else {
		fd = open(MADE_SHARED ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			die_errno(MADE_SHARED);
		for (i = 0; i < l->n; i++) {
			const struct shared_made_entry *e = &l->e[i];
			len = shared_made_format(line, sizeof line, e->id, e->was_slave, e->mount_point, e->root);
			if (len < 0)
				die("%s: path too long", e->mount_point);
			if (write(fd, line, (size_t)len) != len)
				die_errno(MADE_SHARED);
		}
		if (fsync(fd) < 0 || close(fd) < 0 || rename(MADE_SHARED ".tmp", MADE_SHARED) < 0)
			die_errno(MADE_SHARED);
	}
	if (unlink(OLD_MADE) < 0 && errno != ENOENT)
		die_errno("remove " OLD_MADE);
	free(l->e);
	close(lockfd);
}

/* shared-down: this root relies on none of its mounts any more; those no
 * other root relies on get their old propagation back. */
void made_shared_undo(void)
{
	struct made_list l;
	int lockfd = made_load(&l);
	size_t i, k = 0;

	for (i = 0; i < l.n; i++) {
		struct shared_made_entry e = l.e[i];
		if (strcmp(e.root, R) != 0) {
			l.e[k++] = e;
			continue;
		}
		/* another root's line, later or earlier, keeps it shared */
		l.e[i].id = 0;
		if (made_find(&l, e.id, NULL) >= 0)
			continue;
		if (set_propagation(e.mount_point, e.id, e.was_slave ? MS_SLAVE : MS_PRIVATE) < 0)
			die_errno("make %s %s again", e.mount_point, e.was_slave ? "slave" : "private");
	}
	l.n = k;
	made_save(&l, lockfd);
}

/* Make the mount that holds fd (path, for messages) shared, unless it
 * already is (as systemd does at boot for "/"), so that binds of it can be
 * its slaves; remembered in MADE_SHARED for shared-down. A mount already
 * made shared by another root's shared-up is remembered for this one too. */
static void make_source_shared(int srcfd, const char *path)
{
	unsigned long long want = mount_id_of(srcfd, path);
	struct shared_made_entry m;
	struct made_list l;
	FILE *f;
	char line[8192];
	int found = 0, lockfd, other;

	lockfd = made_load(&l);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die_errno("/proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		struct mountinfo_entry e;
		int r = mountinfo_parse(line, &e);

		if (e.id != want)
			continue;
		found = 1;
		if (r < 0)
			die("/proc/self/mountinfo: unexpected line");
		other = made_find(&l, e.id, NULL);
		if (e.shared && other < 0)
			break; /* shared by the host itself */
		memset(&m, 0, sizeof m);
		m.id = e.id;
		m.was_slave = e.shared ? l.e[other].was_slave : e.slave;
		snprintf(m.mount_point, sizeof m.mount_point, "%s", e.mount_point);
		snprintf(m.root, sizeof m.root, "%s", R);
		made_push(&l, &m);
		made_save(&l, lockfd);
		lockfd = -1;
		if (!e.shared && set_propagation(e.mount_point, e.id, MS_SHARED) < 0)
			die_errno("make %s shared", e.mount_point);
		break;
	}
	fclose(f);
	if (lockfd >= 0)
		made_save(&l, lockfd);
	if (!found)
		die("%s: mount %llu not in /proc/self/mountinfo", path, want);
}

/* Read the root-owned regular file path, writable only by root, into buf
 * (checked through the fd, never by path). Returns its length, or -1 when
 * it does not exist. */
static ssize_t read_root_file(const char *path, char *buf, size_t cap)
{
	const char *why;
	struct stat st;
	ssize_t n;
	int fd = open_checked_at(AT_FDCWD, path, S_IFREG, 0, &st, &why);

	if (fd < 0) {
		if (why)
			die("%s: not a root-owned regular file writable only by root", path);
		if (errno == ENOENT)
			return -1;
		die_errno("%s", path);
	}
	n = read_all(fd, buf, cap, st.st_size);
	if (n < 0)
		die_errno("%s", path);
	close(fd);
	return n;
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
const struct record *read_conf(void)
{
	static char buf[RECORD_MAX_SIZE + 2];
	const char *path = conf_path();
	char err[256];
	ssize_t n = read_root_file(path, buf, sizeof buf);

	if (n < 0)
		return NULL;
	if (record_parse(&conf_rec, buf, (size_t)n, err, sizeof err) < 0)
		die("%s: %s", path, err);
	return &conf_rec;
}

/* The system record's facts (hostfiles, view); absent record = defaults. */
const struct system_info *record_info(const char *name)
{
	static struct record rec;
	static char buf[RECORD_MAX_SIZE + 2];
	static struct system_info info;
	char path[256], err[256];
	ssize_t n;

	xsnprintf(path, sizeof path, R "/etc/systems/%s", name);
	n = read_root_file(path, buf, sizeof buf);
	if (n < 0) {
		memset(&info, 0, sizeof info);
		info.hostfiles = RECORD_DEFAULT_HOSTFILES;
		return &info;
	}
	if (record_parse(&rec, buf, (size_t)n, err, sizeof err) < 0 ||
	    record_system(&rec, name, 1, &info, err, sizeof err) < 0)
		die("%s: corrupt record: %s", path, err);
	return &info;
}

/* The link mode of R/etc/vsys.conf (link=). */
static const struct link_ops *link_mode(void)
{
	struct config_info ci;
	char err[256];

	if (record_config(read_conf(), &ci, err, sizeof err) < 0)
		die("%s: %s", conf_path(), err);
	return ci.link == LINK_KMOD ? &kmod_link_ops : &namespace_link_ops;
}

/* Where the system's tree is mounted on the host: R/.private/NAME (root's,
 * 0700, so no user reaches it by any path) for a restricted system, one with
 * users= or groups= in its record, else R/NAME (docs/DESIGN.md "Restricted
 * systems"). A restricted one must be a mount: vsys moves a tree there when
 * users= is set, and an interrupted move must not make an empty directory the
 * system's "/". */
int restricted(const struct system_info *info)
{
	return (info->users && *info->users) || (info->groups && *info->groups);
}

void system_dir(const char *name, char *buf, size_t size)
{
	int restricted_ = restricted(record_info(name));

	xsnprintf(buf, size, restricted_ ? R "/.private/%s" : R "/%s", name);
	if (restricted_ && !is_mountpoint(buf))
		die("%s: %s is not mounted (its record restricts it: vsys check --repair)", name, buf);
}

/* Before prepare: the system's tree (system_dir) is a real directory. */
void check_system_dir(const char *name)
{
	char sys[4096];
	struct stat st;

	system_dir(name, sys, sizeof sys);
	if (lstat(sys, &st) < 0)
		die_errno("%s", sys);
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", sys);
}

/* R/.var/NAME/tmp, the source of the system's /var/tmp and /usr/tmp. */
void ensure_var_dirs(const char *name, const struct system_info *info)
{
	char var[4096];

	xsnprintf(var, sizeof var, VAR_DIR "/%s", name);
	ensure_dir(VAR_DIR, 0755);
	ensure_dir(var, 0755);
	/* a restricted system's /var/tmp is its users' only: no path of the host to it */
	if (chmod(var, restricted(info) ? 0700 : 0755) < 0)
		die_errno("%s", var);
	xsnprintf(var, sizeof var, VAR_DIR "/%s/tmp", name);
	ensure_dir(var, 01777);
}

/* A bind= path: absolute, normalised, not "/" and not in proc, dev, sys, run. */
enum bind_kind check_bind_path(const char *p)
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

/* A bind= path handled in the shared tree (BIND_TREE) and not below an
 * earlier one (whose recursive copy already holds it). */
int tree_bind_wanted(const struct record *conf, size_t idx)
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
int is_tree_bind_top(const struct record *conf, const char *name)
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

int is_tree_dir(const char *name)
{
	size_t i;
	for (i = 0; i < NELEM(tree_dirs); i++)
		if (strcmp(name, tree_dirs[i]) == 0)
			return 1;
	return 0;
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
void bind_slave(const char *src, const char *dst, int follow)
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
void shared_binds(const struct record *conf, int make_dirs)
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
		if (make_dirs) {
			int rootfd = open(ROOT_TREE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (rootfd < 0)
				die_errno(ROOT_TREE);
			ensure_dirs_at(rootfd, b + 1, ROOT_TREE);
			close(rootfd);
		}
		xsnprintf(path, sizeof path, ROOT_TREE "%s", b);
		bind_slave(b, path, 0);
	}
}

/* The fixed host binds of the shared tree: R/.root/{dev,sys,home,tmp},
 * recursive slaves of the host's directories. */
void host_binds_up(void)
{
	char path[4096];
	size_t i;

	for (i = 0; i < NELEM(host_binds); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "%s", host_binds[i]);
		bind_slave(host_binds[i], path, 1);
	}
}

/* R, R/.root, R/.ns and R/.var: root-owned real directories. */
void shared_tree_dirs(void)
{
	ensure_dir(R, 0755);
	ensure_dir(ROOT_TREE, 0755);
	ensure_dir(NS_DIR, 0755);
	ensure_dir(VAR_DIR, 0755);
}

/* R/.ns: a private self-bind (what is bound in it stays out of the host's
 * other namespaces); ns_dir_down detaches it. */
void ns_dir_up(void)
{
	if (!is_mountpoint(NS_DIR) && mount(NS_DIR, NS_DIR, NULL, MS_BIND, NULL) < 0)
		die_errno("bind " NS_DIR " on itself");
	if (mount(NULL, NS_DIR, NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " NS_DIR " private");
}

void ns_dir_down(void)
{
	int i;

	for (i = 0; i < 100 && is_mountpoint(NS_DIR); i++)
		if (umount2(NS_DIR, MNT_DETACH) < 0)
			die_errno("unmount " NS_DIR);
}

/* R locked (flock of the directory, held until exit): exclusive for
 * shared-up and shared-down, shared for a system's prepare, release and
 * refresh. Without it a shared-down could take R/.ns away between a
 * prepare's check that it is up and its bind, which then landed on the
 * directory below (the host's root mount); the next shared-up bound R/.ns
 * over that bind, hiding it, and the system's release could neither
 * detach it nor remove the file (EBUSY). Systems are prepared in parallel;
 * vsys's own lock (R/etc/.lock) does not cover callers of vsys-view. */
static void lock_root(int how)
{
	int fd = open(R, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && how == LOCK_EX) {
		ensure_dir(R, 0755); /* shared-up makes it */
		fd = open(R, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		die_errno("%s", R);
	while (flock(fd, how) < 0)
		if (errno != EINTR)
			die_errno("lock %s", R);
	/* fd stays open: the lock goes with the process */
}

/* The operation of ops that argv names (a system's name checked), or usage. */
static void run_command(const struct link_ops *ops, int argc, char **argv)
{
	void (*on_system)(const char *) = NULL;

	if (argc == 2 && strcmp(argv[1], "shared-up") == 0) {
		lock_root(LOCK_EX);
		ops->shared_up();
		return;
	}
	if (argc == 2 && strcmp(argv[1], "shared-down") == 0) {
		lock_root(LOCK_EX);
		ops->shared_down();
		return;
	}
	if (argc == 3 && strcmp(argv[1], "prepare") == 0)
		on_system = ops->prepare;
	else if (argc == 3 && strcmp(argv[1], "release") == 0)
		on_system = ops->release;
	else if (argc == 3 && strcmp(argv[1], "users") == 0)
		on_system = ops->users;
	else if (argc == 3 && strcmp(argv[1], "refresh") == 0)
		on_system = ops->refresh;
	else
		usage();
	check_name(argv[2]);
	if (on_system != ops->users)
		lock_root(LOCK_SH);
	on_system(argv[2]);
}

int main(int argc, char **argv)
{
	die_prefix = "vsys-view";
	die_status = 1;
	umask(022);
	if (argc < 2)
		usage();
	if (geteuid() != 0)
		die("must run as root");
	if (argc > 3)
		usage();
	run_command(link_mode(), argc, argv);
	return 0;
}
