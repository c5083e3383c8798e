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

/* Make the mount that holds path shared, unless it already is (as systemd
 * does at boot for "/"), so that binds of it can be its slaves. */
static void make_source_shared(const char *path)
{
	struct statx st;
	FILE *f;
	char line[8192];
	int found = 0;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &st) < 0)
		die_errno("%s", path);
	if (!(st.stx_mask & STATX_MNT_ID))
		die("%s: kernel gives no mount id", path);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die_errno("/proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		unsigned long long id;
		char *save = NULL, *tok, *mp = NULL;
		int i, shared = 0;

		if (sscanf(line, "%llu", &id) != 1 || id != st.stx_mnt_id)
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
		}
		if (!mp)
			die("/proc/self/mountinfo: unexpected line");
		unescape(mp);
		if (!shared && mount(NULL, mp, NULL, MS_SHARED, NULL) < 0)
			die_errno("make %s shared", mp);
		break;
	}
	fclose(f);
	if (!found)
		die("%s: mount %llu not in /proc/self/mountinfo", path,
		    (unsigned long long)st.stx_mnt_id);
}

/* Read and check R/etc/vsys.conf; absent = defaults. Returns NULL if absent. */
static const struct record *read_conf(void)
{
	static char buf[RECORD_MAX_SIZE + 2];
	char err[256];
	struct stat st;
	ssize_t n;
	int fd = open(R "/etc/vsys.conf", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		die_errno(R "/etc/vsys.conf");
	}
	if (fstat(fd, &st) < 0)
		die_errno(R "/etc/vsys.conf");
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		die(R "/etc/vsys.conf: not a root-owned regular file writable only by root");
	n = read_all(fd, buf, sizeof buf);
	if (n < 0)
		die_errno(R "/etc/vsys.conf");
	close(fd);
	if (record_parse(&conf_rec, buf, (size_t)n, err, sizeof err) < 0)
		die(R "/etc/vsys.conf: %s", err);
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

/* Recursive bind of a host directory into the shared tree, made a slave. */
static void bind_slave(const char *src, const char *dst)
{
	struct stat st;
	if (stat(src, &st) < 0)
		die_errno("bind %s", src);
	if (!S_ISDIR(st.st_mode))
		die("bind %s: not a directory", src);
	if (is_mountpoint(dst)) {
		/* idempotent: already there; keep it a slave */
		if (mount(NULL, dst, NULL, MS_SLAVE | MS_REC, NULL) < 0)
			die_errno("make %s a slave", dst);
		return;
	}
	make_source_shared(src);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno("bind %s on %s", src, dst);
	if (mount(NULL, dst, NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die_errno("make %s a slave", dst);
}

static void cmd_shared_up(void)
{
	const struct record *conf = read_conf();
	char path[4096];
	struct stat st;
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
	for (i = 0; i < NELEM(tree_dirs); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", tree_dirs[i]);
		if (is_mountpoint(path))
			continue; /* already up: never chmod the host's /home or /tmp */
		ensure_dir(path, strcmp(tree_dirs[i], "tmp") == 0 ? 01777 : 0755);
	}
	for (i = 0; i < NELEM(link_dirs); i++) {
		char target[64], cur[64];
		ssize_t n;
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", link_dirs[i]);
		xsnprintf(target, sizeof target, ".link/%s", link_dirs[i]);
		n = readlink(path, cur, sizeof cur - 1);
		if (n >= 0) {
			cur[n] = '\0';
			if (strcmp(cur, target) == 0)
				continue;
			die("%s: unexpected symlink to %s", path, cur);
		}
		if (errno != ENOENT)
			die("%s: exists and is not the expected symlink", path);
		if (symlink(target, path) < 0)
			die_errno("symlink %s", path);
	}

	if (!is_mountpoint(ROOT_TREE "/proc") &&
	    mount("proc", ROOT_TREE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount proc on " ROOT_TREE "/proc");
	if (mount(NULL, ROOT_TREE "/proc", NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " ROOT_TREE "/proc private");

	for (i = 0; i < NELEM(host_binds); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "%s", host_binds[i]);
		bind_slave(host_binds[i], path);
	}
	if (conf) {
		for (i = 0; i < conf->nent; i++) {
			const char *b = conf->ent[i].value;
			if (strcmp(conf->ent[i].key, "bind") != 0)
				continue;
			switch (check_bind_path(b)) {
			case BIND_SHOWN:
				continue;
			case BIND_SYSTEM:
				/* bound by prepare inside each namespace, as a slave */
				if (stat(b, &st) < 0 || !S_ISDIR(st.st_mode))
					die("bind %s: not a directory", b);
				make_source_shared(b);
				continue;
			case BIND_TREE:
				break;
			}
			ensure_dirs_below(ROOT_TREE, b + 1);
			xsnprintf(path, sizeof path, ROOT_TREE "%s", b);
			bind_slave(b, path);
		}
	}

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

/* Detach every mount whose mount point is below prefix (prefix itself excluded). */
static void detach_below(const char *prefix)
{
	size_t pl = strlen(prefix);
	int round;

	for (round = 0; round < 10000; round++) {
		FILE *f = fopen("/proc/self/mountinfo", "re");
		char line[8192], victim[4096];
		int any = 0;

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
			if (strncmp(mp, prefix, pl) == 0 && mp[pl] == '/') {
				xstrlcpy(victim, mp, sizeof victim);
				any = 1;
				break;
			}
		}
		fclose(f);
		if (!any)
			return;
		if (umount2(victim, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			die_errno("unmount %s", victim);
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

#define MAX_HOSTFILES 32
#define MAX_BINDS 128

struct pending_bind {
	char rel[300];   /* target, relative to the new root */
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
				xsnprintf(binds[nb].rel, sizeof binds[nb].rel, ".link/etc/%s", file);
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

		if (strcmp(conf->ent[i].key, "bind") != 0 || check_bind_path(b) != BIND_SYSTEM)
			continue;
		if (stat(b, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		fd = open_tree(AT_FDCWD, b, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fd < 0)
			die_errno("open_tree %s", b);
		binds[nb].tree = fd;
		xsnprintf(binds[nb].rel, sizeof binds[nb].rel, ".link%s", b);
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

	xsnprintf(prefix, sizeof prefix, R "/%s/", name);
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
		xsnprintf(binds[nb].rel, sizeof binds[nb].rel, ".link/%s", tops[i]);
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

#define MAX_TOP_ENTRIES 65536

/* The child: build the system's namespace. Never returns on error.
 *
 * The namespace gets a root of its own: a small tmpfs (only in this
 * namespace, never in the host's mount table) holding the mount points of the
 * shared tree (recursive copies of R/.root/{proc,dev,sys,home,tmp} and of the
 * bind= paths, which stay slaves of the host's mounts), a fresh tmpfs on /run,
 * the system's tree on /.link, and a symlink X -> .link/X for every top-level
 * entry X of the system's tree; then it is made read-only and becomes "/".
 * The system's tree is R/NAME, or the view= directory viewfd (O_PATH, checked
 * by the caller), bound read-only, nosuid, nodev. */
static void build_namespace(const char *name, const char *hostfiles, int viewfd)
{
	struct pending_bind binds[MAX_BINDS];
	struct pending_bind shared[MAX_BINDS];
	const struct record *conf = read_conf();
	size_t nb = 0, ns = 0, i, ntop = 0;
	char path[4096], vartmp[4096], opts[128];
	int rootfd, sysfd, systree;
	DIR *d;
	struct dirent *e;

	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die_errno("make / a slave");

	/* The system's tree: copied here, after the namespace became a slave, so
	 * the copy is a slave too (never a peer of the host's mount). */
	if (viewfd < 0) {
		xsnprintf(path, sizeof path, R "/%s", name);
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
	xsnprintf(vartmp, sizeof vartmp, VAR_DIR "/%s/tmp", name);
	for (i = 0; i < 2; i++) {
		binds[nb].tree = detached_copy(vartmp, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		xstrlcpy(binds[nb].rel, i == 0 ? ".link/var/tmp" : ".link/usr/tmp", sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	if (viewfd >= 0) /* first: the host files and bind= go over them */
		nb += live_submount_copies(name, binds + nb, NELEM(binds) - nb, 0);
	nb += host_file_copies(hostfiles, binds + nb, NELEM(binds) - nb);
	nb += system_bind_copies(binds + nb, NELEM(binds) - nb);

	/* The shared mounts: recursive copies of the host's R/.root mounts (a copy
	 * of a slave is a slave of the same master: host mounts made later under
	 * /home still show up in running systems). */
	for (i = 0; i < NELEM(host_binds) + 1; i++) {
		const char *rel = i == 0 ? "proc" : host_binds[i - 1] + 1;
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", rel);
		shared[ns].tree = open_tree(AT_FDCWD, path,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (shared[ns].tree < 0)
			die_errno("open_tree %s", path);
		xstrlcpy(shared[ns].rel, rel, sizeof shared[ns].rel);
		shared[ns].want_dir = 1;
		ns++;
	}
	for (i = 0; conf && i < conf->nent && ns < NELEM(shared); i++) {
		if (!tree_bind_wanted(conf, i))
			continue;
		xsnprintf(path, sizeof path, ROOT_TREE "%s", conf->ent[i].value);
		if (!is_mountpoint(path))
			die("bind %s: not mounted in the shared tree (vsys-view shared-up)",
			    conf->ent[i].value);
		shared[ns].tree = open_tree(AT_FDCWD, path,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (shared[ns].tree < 0)
			die_errno("open_tree %s", path);
		xstrlcpy(shared[ns].rel, conf->ent[i].value + 1, sizeof shared[ns].rel);
		shared[ns].want_dir = 1;
		ns++;
	}

	/* The system's top-level entries (a count first, for the tmpfs's size). */
	sysfd = openat(systree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sysfd < 0)
		die_errno("%s: open its tree", name);
	d = fdopendir(sysfd);
	if (!d)
		die_errno("%s: read its tree", name);
	while ((e = readdir(d)) != NULL)
		if (++ntop > MAX_TOP_ENTRIES)
			die("%s: more than %d top-level entries", name, MAX_TOP_ENTRIES);

	/* The namespace's own root, over R/.root (this namespace only). */
	xsnprintf(opts, sizeof opts, "mode=0755,nr_inodes=%zu,size=%zuk", ntop + 256,
		  (ntop + 256) * 4);
	if (mount("vsys-root", ROOT_TREE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		die_errno("mount tmpfs on " ROOT_TREE);
	rootfd = open(ROOT_TREE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		die_errno(ROOT_TREE);
	for (i = 0; i < NELEM(tree_dirs); i++)
		if (mkdirat(rootfd, tree_dirs[i], 0755) < 0)
			die_errno("mkdir %s in the namespace's root", tree_dirs[i]);
	for (i = NELEM(host_binds) + 1; i < ns; i++)
		ensure_dirs_below(ROOT_TREE, shared[i].rel);
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		char target[300];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    is_tree_dir(e->d_name) || is_tree_bind_top(conf, e->d_name))
			continue;
		xsnprintf(target, sizeof target, ".link/%s", e->d_name);
		if (symlinkat(target, rootfd, e->d_name) < 0)
			die_errno("symlink /%s in the namespace's root", e->d_name);
	}
	closedir(d);

	for (i = 0; i < ns; i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", shared[i].rel);
		if (move_mount(shared[i].tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die_errno("mount on %s", path);
		close(shared[i].tree);
	}
	if (move_mount(systree, "", AT_FDCWD, ROOT_TREE "/.link", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("mount %s on " ROOT_TREE "/.link", name);
	close(systree);
	if (mount("tmpfs", ROOT_TREE "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die_errno("mount tmpfs on " ROOT_TREE "/run");
	/* nothing written at the top of a system lands anywhere */
	if (mount(NULL, ROOT_TREE, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("make the namespace's root read-only");
	close(rootfd);

	if (chdir(ROOT_TREE) < 0)
		die_errno("chdir " ROOT_TREE);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root " ROOT_TREE);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("detach the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");

	/* Targets resolved inside the new root: no symlink can point outside. */
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die_errno("open /");
	for (i = 0; i < nb; i++) {
		struct stat st;
		int fd = openat2_in_root(rootfd, binds[i].rel, O_NOFOLLOW);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				goto skip;
			die_errno("%s/%s", name, binds[i].rel + 6);
		}
		if (fstat(fd, &st) < 0)
			die_errno("%s/%s", name, binds[i].rel + 6);
		if (binds[i].want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
			close(fd);
			goto skip;
		}
		if (move_mount(binds[i].tree, "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			die_errno("bind on %s/%s", name, binds[i].rel + 6);
		close(fd);
skip:
		close(binds[i].tree);
	}
	close(rootfd);
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
	xsnprintf(sys, sizeof sys, R "/%s", name);
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

static void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb,
			      size_t skip);

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
	rebind_host_files(name, rootfd, binds, nb, 0);
	close(rootfd);
}

/* Bind the host file copies over their targets below rootfd (rel + skip),
 * detaching earlier binds of them first. */
static void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb,
			      size_t skip)
{
	size_t i;

	for (i = 0; i < nb; i++) {
		struct stat st;
		char self[64];
		int fd, round;

		for (round = 0; round < 100; round++) {
			fd = openat2_in_root(rootfd, binds[i].rel + skip, O_NOFOLLOW);
			if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !is_mount_root_fd(fd))
				break;
			/* an earlier bind of the host file: detach it */
			snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
			if (umount2(self, MNT_DETACH) < 0)
				die_errno("detach the old bind on %s/%s", name, binds[i].rel + 6);
			close(fd);
		}
		if (fd >= 0 && S_ISREG(st.st_mode) &&
		    move_mount(binds[i].tree, "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			die_errno("bind on %s/%s", name, binds[i].rel + 6);
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
