/* view_binds.c - the binds of one system's tree, in both link modes.
 *
 * Each bind is a detached copy (open_tree) made first, while the host's
 * tree is reachable, then attached on a target resolved inside the
 * system's own tree (RESOLVE_IN_ROOT: never through a symlink out of it),
 * never on its root or in one of its local parts. */
#include "mountinfo.h"
#include "names.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* Make the detached copy tree (of what, for messages) a slave, recursively:
 * nothing mounted inside it goes back to the host. */
static void make_slave(int tree, const char *what)
{
	struct mount_attr attr;

	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_SLAVE;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		die_errno("mount_setattr %s", what);
}

/* A detached copy of the system's tree: system_dir (slave: made a slave here,
 * in the host's namespace; in a new namespace that is already a slave, the
 * copy is one too, never a peer of the host's mount), or its view=
 * directory read-only, nosuid, nodev. */
int system_tree_copy(const char *name, const struct system_info *info, int slave)
{
	struct mount_attr attr;
	char path[4096];
	int tree, viewfd;

	if (!info->view) {
		system_dir(name, path, sizeof path);
		tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (tree < 0)
			die_errno("open_tree %s", path);
		if (slave)
			make_slave(tree, name);
		return tree;
	}
	viewfd = open_view(name, info->view);
	tree = open_tree(viewfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		die_errno("%s: open_tree of its view", name);
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	attr.propagation = MS_PRIVATE;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		die_errno("%s: make its view read-only", name);
	close(viewfd);
	return tree;
}

/* Detached read-only copies of the host's /etc files named in hostfiles
 * (those that exist as regular files), with their targets. Returns the count. */
size_t host_file_copies(const char *hostfiles, struct pending_bind *binds, size_t max)
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
 * (they stay slaves of the host's mounts; slave: made slaves here, in the
 * host's namespace). Returns the count. */
static size_t system_bind_copies(struct pending_bind *binds, size_t max, int slave)
{
	const struct record *conf = read_conf();
	size_t i, nb = 0;

	if (!conf)
		return 0;
	for (i = 0; i < conf->nent && nb < max; i++) {
		const char *b = conf->ent[i].value;
		struct stat st;
		int fd, src;

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
		if (slave)
			make_slave(fd, b);
		binds[nb].tree = fd;
		xstrlcpy(binds[nb].rel, b + 1, sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	return nb;
}

/* The view= directory of a record: under R/.store, opened from R/.store
 * without following any symlink, a root-owned directory. Returns an O_PATH fd. */
int open_view(const char *name, const char *view)
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
		struct mountinfo_entry me;
		const char *tok;

		if (mountinfo_parse(line, &me) < 0)
			continue;
		tok = me.mount_point;
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
		if (slave)
			make_slave(binds[nb].tree, path);
		xstrlcpy(binds[nb].rel, tops[i], sizeof binds[nb].rel);
		binds[nb].want_dir = 1;
		nb++;
	}
	return nb;
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

/* The sources of a system's own binds, in the order they are attached:
 * its /var/tmp and /usr/tmp, with view= the file systems below R/NAME (the
 * host files and bind= go over them), the host files (hostfiles=), the
 * bind= paths below system directories. slave: made in the host's
 * namespace (kmod mode), so made slaves here. Returns the count. */
size_t system_binds_collect(const char *name, const struct system_info *info,
			    struct pending_bind *binds, size_t max, int slave)
{
	size_t nb = var_tmp_copies(name, binds);

	if (info->view)
		nb += live_submount_copies(name, binds + nb, max - nb, slave);
	nb += host_file_copies(info->hostfiles, binds + nb, max - nb);
	nb += system_bind_copies(binds + nb, max - nb, slave);
	return nb;
}

/* Where no bind may land in a system's tree: its root, and the local parts
 * at its top (proc, dev, sys, home, tmp, run) and anything below them. */
struct tree_guard {
	struct stat root;
	struct stat local[N_LOCAL_DIRS];
	int have[N_LOCAL_DIRS];
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
void attach_binds(const char *name, int sysfd, struct pending_bind *binds, size_t nb)
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

/* Bind the new host file copies over their targets in the system's tree
 * rootfd with no moment where a reader sees anything but a host file: the
 * new copy goes beneath the current bind (MOVE_MOUNT_BENEATH, kernel >= 6.5),
 * which is then detached by its fd. Older kernels: the old binds are
 * detached first, then the new copy is bound (a short window). */
void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb)
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
