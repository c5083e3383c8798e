/* view_namespace.c - vsys-view in the namespace link mode (link=namespace,
 * the default): each prepared system is a mount namespace whose "/" is the
 * system's own tree, bound at R/.ns/NAME for the launcher's setns. See
 * DESIGN.md, "The shared tree and the per-system view". */
#include "view.h"

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

/* Where kmod mode left its link symlink R/.root/.link, remove it. */
static void remove_kmod_link(void)
{
	char cur[64];
	ssize_t n = readlink(ROOT_TREE "/.link", cur, sizeof cur - 1);

	if (n < 0)
		return;
	cur[n] = '\0';
	if (strcmp(cur, ".vsys/link") != 0 || unlink(ROOT_TREE "/.link") < 0)
		die(ROOT_TREE "/.link: unexpected symlink");
}

/* The sources of the local parts (a system's own tree is its "/": no link,
 * no symlinks here; those of the kmod mode, if left, are unused). */
static void local_part_dirs(void)
{
	char path[4096];
	size_t i;

	for (i = 0; i < NELEM(local_dirs); i++) {
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", local_dirs[i]);
		if (is_mountpoint(path))
			continue; /* already up: never chmod the host's /home or /tmp */
		ensure_dir(path, strcmp(local_dirs[i], "tmp") == 0 ? 01777 : 0755);
	}
}

static void ns_shared_up(void)
{
	shared_tree_dirs();
	if (is_mountpoint(ROOT_TREE))
		die(ROOT_TREE ": still up in kmod link mode (vsys-view shared-down with link=kmod first)");
	remove_kmod_link();
	local_part_dirs();
	if (!is_mountpoint(ROOT_TREE "/proc") &&
	    mount("proc", ROOT_TREE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount proc on " ROOT_TREE "/proc");
	if (mount(NULL, ROOT_TREE "/proc", NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " ROOT_TREE "/proc private");
	host_binds_up();
	shared_binds(read_conf(), 1);
	ns_dir_up();
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

static void ns_shared_down(void)
{
	char first[256];
	int n = prepared_systems(first, sizeof first);

	if (n > 0)
		die("shared-down: %d system(s) still prepared (e.g. %s); release them first", n, first);
	detach_below(ROOT_TREE);
	ns_dir_down();
	made_shared_undo();
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

/* A new mount namespace, a slave of the host's. */
static void enter_slave_namespace(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die_errno("make / a slave");
}

/* The bind= paths of the shared tree: copies of their R/.root mounts. */
static size_t tree_bind_copies(struct pending_bind *binds, size_t max)
{
	const struct record *conf = read_conf();
	char path[4096];
	size_t i, nb = 0;

	for (i = 0; conf && i < conf->nent && nb < max; i++) {
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
	return nb;
}

/* A fresh tmpfs for /run, detached. */
static int run_tmpfs(void)
{
	int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC), run;

	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die_errno("make a tmpfs for /run");
	run = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (run < 0)
		die_errno("make a tmpfs for /run");
	close(fsfd);
	return run;
}

/* The local parts (local_dirs), detached: recursive copies of the host's
 * R/.root/{proc,dev,sys,home,tmp} mounts (a copy of a slave is a slave of
 * the same master: host mounts made later under /home still show up in
 * running systems), and a fresh tmpfs for run. */
static void local_part_copies(int parts[N_LOCAL_DIRS])
{
	char path[4096];
	size_t i;

	for (i = 0; i < N_LOCAL_DIRS; i++) {
		if (strcmp(local_dirs[i], "run") == 0) {
			parts[i] = run_tmpfs();
			continue;
		}
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", local_dirs[i]);
		parts[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (parts[i] < 0)
			die_errno("open_tree %s", path);
	}
}

/* The tree, attached over R/.root (in this namespace only); returns an
 * O_PATH fd of it. */
static int attach_system_tree(const char *name, int tree)
{
	int sysfd;

	if (move_mount(tree, "", AT_FDCWD, ROOT_TREE, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("mount %s on " ROOT_TREE, name);
	close(tree);
	sysfd = open(ROOT_TREE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sysfd < 0)
		die_errno(ROOT_TREE);
	return sysfd;
}

/* Each local part on its directory at the top of the tree, where the tree
 * has one (never through a symlink); closes the copies. */
static void attach_local_parts(const char *name, int sysfd, const int parts[N_LOCAL_DIRS])
{
	size_t i;

	for (i = 0; i < N_LOCAL_DIRS; i++) {
		int fd = local_target(sysfd, local_dirs[i]);
		if (fd >= 0) {
			if (move_mount(parts[i], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				die_errno("mount on %s/%s", name, local_dirs[i]);
			close(fd);
		} else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != EXDEV) {
			die_errno("%s: /%s", name, local_dirs[i]);
		}
		close(parts[i]);
	}
}

/* The tree at R/.root becomes this namespace's "/"; the old root goes. */
static void pivot_into_tree(void)
{
	if (chdir(ROOT_TREE) < 0)
		die_errno("chdir " ROOT_TREE);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root " ROOT_TREE);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("detach the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
}

/* The child: build the system's namespace. Never returns on error.
 *
 * The system's own tree becomes "/" (R/NAME, or its view= directory, bound
 * read-only, nosuid, nodev): its top-level entries are the system's, with
 * nothing added. On it, where the tree has the directory (or file): first
 * the system's own binds (the per-system /var/tmp, the view's other file
 * systems, the host files, bind= entries), each resolved inside the tree
 * (view_binds.c); then the local parts. Nothing of this is in the host's
 * mount table; the tree is never written to. Sources first, while the
 * host's tree is still reachable. */
static void build_namespace(const char *name, const struct system_info *info)
{
	struct pending_bind binds[MAX_BINDS];
	int parts[N_LOCAL_DIRS], systree, sysfd;
	size_t nb;

	enter_slave_namespace();
	systree = system_tree_copy(name, info, 0);
	nb = system_binds_collect(name, info, binds, NELEM(binds), 0);
	nb += tree_bind_copies(binds + nb, NELEM(binds) - nb);
	local_part_copies(parts);
	sysfd = attach_system_tree(name, systree);
	attach_binds(name, sysfd, binds, nb);
	attach_local_parts(name, sysfd, parts);
	close(sysfd);
	pivot_into_tree();
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

/* The namespace builder: a child that builds the system's namespace and
 * waits, holding it, until *done is closed. Returns its pid once the
 * namespace is ready; exits (the child said why) when it failed. */
static pid_t start_builder(const char *name, const struct system_info *info, int *done)
{
	int ready[2], wait_done[2], status;
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(wait_done, O_CLOEXEC) < 0)
		die_errno("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		close(ready[0]);
		close(wait_done[1]);
		build_namespace(name, info);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		while (read(wait_done[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(wait_done[0]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			exit(1); /* the child said why, in one line */
		die("prepare %s: building the namespace failed", name);
	}
	close(ready[0]);
	*done = wait_done[1];
	return pid;
}

static void ns_prepare(const char *name)
{
	const struct system_info *info;
	char ns[4096];
	int status, fd, done;
	pid_t pid;

	if (!is_mountpoint(NS_DIR) || !is_mountpoint(ROOT_TREE "/proc"))
		die("prepare %s: the shared tree is not up (vsys-view shared-up)", name);
	check_system_dir(name);
	info = record_info(name);
	if (info->view) /* checked here, opened again in the new namespace */
		close(open_view(name, info->view));
	ensure_var_dirs(name, info);
	pid = start_builder(name, info, &done);

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
	close(done);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("prepare %s: helper exited abnormally", name);
}

static void ns_release(const char *name)
{
	char ns[4096];
	xsnprintf(ns, sizeof ns, NS_DIR "/%s", name);
	detach_all(ns);
	if (unlink(ns) < 0 && errno != ENOENT)
		die_errno("remove %s", ns);
}

static void ns_users(const char *name)
{
	char ns[4096], path[64];
	struct stat want, st;
	DIR *d;
	struct dirent *e;

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

static void ns_refresh(const char *name)
{
	struct pending_bind binds[MAX_HOSTFILES];
	const char *hostfiles;
	size_t nb;
	int nsfd, rootfd;

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

const struct link_ops namespace_link_ops = {
	.name = "namespace",
	.shared_up = ns_shared_up,
	.shared_down = ns_shared_down,
	.prepare = ns_prepare,
	.release = ns_release,
	.users = ns_users,
	.refresh = ns_refresh,
};
