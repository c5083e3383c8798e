/* view_kmod.c - vsys-view in the kmod link mode (link=kmod in vsys.conf):
 * one shared tree for all systems, each process's system chosen by the
 * vsyslink module's per-process link. See kmod/README.md and DESIGN.md
 * "The kmod link mode".
 *
 * Layout (the interim one of kmod/README.md: no change in the Java CLI):
 *   R/.root            a read-only self-bind of the shared tree's directory
 *                      (nothing written at the top level of a system lands
 *                      anywhere); edits go through a private clone of R's
 *                      mount, below the bind, never through the bind
 *   R/.root/{proc,dev,sys,home,tmp,bind= paths}  as in the namespace mode
 *   R/.root/run        one tmpfs for all systems
 *   R/.root/.vsys      the vsyslink filesystem (targets, set, link, procs)
 *   R/.root/.link      symlink .vsys/link: each process's own system
 *   R/.root/X          symlink .link/X for every top-level entry X of any
 *                      prepared system (a name another system lacks: ENOENT)
 *   R/.root/.os/NAME   an open system's tree: a recursive bind of R/NAME (or
 *                      of its view= directory, read-only), a slave of R/NAME,
 *                      with the host files, var/tmp, usr/tmp and bind= below
 *                      system directories bound on it; registered as target
 *                      NAME with the body ../.os/NAME
 *   R/.root/.vsys/os/NAME/root   a restricted system's tree (users=, groups=;
 *                      from R/.private/NAME), the same binds; registered as
 *                      the private target NAME (body os/NAME/root): the
 *                      module's gate os/NAME lets through only real root and
 *                      the processes the launcher linked to NAME for their own
 *                      user, so no path of the host reaches it for anyone else
 */
#include "kmod_link.h"
#include "mountinfo.h"
#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define KMOD_VSYS ROOT_TREE "/.vsys"
#define KMOD_GATES KMOD_VSYS "/os"

/* Where the system's tree is mounted in the shared tree, and the body of its
 * target: behind the module's gate for a restricted system. */
static void kmod_tree_path(const char *name, int priv, char *buf, size_t size)
{
	if (priv)
		xsnprintf(buf, size, KMOD_GATES "/%s/root", name);
	else
		xsnprintf(buf, size, ROOT_TREE "/.os/%s", name);
}

static void kmod_body(const char *name, int priv, char *buf, size_t size)
{
	if (priv)
		xsnprintf(buf, size, "os/%s/root", name);
	else
		xsnprintf(buf, size, "../.os/%s", name);
}

static int vsyslink_registered(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		die_errno("/proc/filesystems");
	while (!found && fgets(line, sizeof line, f))
		found = strcmp(line, "nodev\tvsyslink\n") == 0;
	fclose(f);
	return found;
}

/* The module: loaded already (insmod by the admin, or DKMS), else modprobe. */
static void kmod_load(void)
{
	static const char *const modprobe[] = { "/usr/sbin/modprobe", "/sbin/modprobe" };
	size_t i;

	if (vsyslink_registered())
		return;
	for (i = 0; i < NELEM(modprobe); i++) {
		char *const argv[] = { (char *)"modprobe", (char *)"-q", (char *)"vsyslink", NULL };
		char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		int status;
		pid_t pid;

		if (access(modprobe[i], X_OK) < 0)
			continue;
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die_errno("fork");
		if (pid == 0) {
			execve(modprobe[i], argv, envp);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				die_errno("waitpid");
		break;
	}
	if (!vsyslink_registered())
		die("kmod link mode: module vsyslink not loaded (modprobe vsyslink failed)");
}

static int is_vsyslink_fd(int fd)
{
	struct statfs sfs;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == VSYS_KMOD_MAGIC;
}

/* The raw directory R/.root below its read-only self-bind: through a private,
 * non-recursive clone of the mount that holds R. O_PATH (fine for *at calls). */
static int kmod_raw_root(void)
{
	struct mount_attr attr;
	int tree = open_tree(AT_FDCWD, R, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int fd;

	if (tree < 0)
		die_errno("open_tree " R);
	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_PRIVATE;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		die_errno("mount_setattr " R);
	fd = openat(tree, ".root", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno(ROOT_TREE);
	close(tree);
	return fd;
}

/* mkdirat unless a real directory is there (never a symlink). */
static void kmod_ensure_dir_at(int dirfd, const char *name, mode_t mode, const char *what)
{
	struct stat st;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		die_errno("mkdir %s", what);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		die_errno("%s", what);
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", what);
	if (st.st_uid != 0)
		die("%s: not owned by root", what);
}

/* symlink name -> target in dirfd, unless already that symlink. */
static void kmod_ensure_symlink_at(int dirfd, const char *name, const char *target)
{
	char cur[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, cur, sizeof cur - 1);

	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0)
			return;
		die(ROOT_TREE "/%s: unexpected symlink to %s", name, cur);
	}
	if (errno == EINVAL) {
		/* a directory left by the namespace mode (.link): must be empty */
		if (strcmp(name, ".link") != 0 || unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
			die(ROOT_TREE "/%s: exists and is not the expected symlink", name);
	} else if (errno != ENOENT) {
		die_errno(ROOT_TREE "/%s", name);
	}
	if (symlinkat(target, dirfd, name) < 0)
		die_errno("symlink " ROOT_TREE "/%s", name);
}

static void kmod_shared_up(void)
{
	const struct record *conf = read_conf();
	char path[4096];
	size_t i;
	int raw;

	kmod_load();
	shared_tree_dirs();

	/* the layout, in the raw directory */
	raw = kmod_raw_root();
	for (i = 0; i < NELEM(tree_dirs); i++) {
		if (strcmp(tree_dirs[i], ".link") == 0)
			continue;
		xsnprintf(path, sizeof path, ROOT_TREE "/%s", tree_dirs[i]);
		kmod_ensure_dir_at(raw, tree_dirs[i], strcmp(tree_dirs[i], "tmp") == 0 ? 01777 : 0755,
				   path);
	}
	kmod_ensure_dir_at(raw, ".vsys", 0755, KMOD_VSYS);
	kmod_ensure_dir_at(raw, ".os", 0755, ROOT_TREE "/.os");
	kmod_ensure_symlink_at(raw, ".link", ".vsys/link");
	for (i = 0; i < NELEM(link_dirs); i++) {
		char target[64];
		xsnprintf(target, sizeof target, ".link/%s", link_dirs[i]);
		kmod_ensure_symlink_at(raw, link_dirs[i], target);
	}
	for (i = 0; conf && i < conf->nent; i++)
		if (strcmp(conf->ent[i].key, "bind") == 0 && check_bind_path(conf->ent[i].value) == BIND_TREE)
			ensure_dirs_at(raw, conf->ent[i].value + 1, ROOT_TREE);
	close(raw);

	/* the read-only self-bind, before anything is mounted below it */
	if (!is_mountpoint(ROOT_TREE)) {
		if (has_mounts_below(ROOT_TREE))
			die("shared-up: mounts below " ROOT_TREE " (up in namespace mode?): "
			    "vsys-view shared-down with link=namespace first");
		if (mount(ROOT_TREE, ROOT_TREE, NULL, MS_BIND, NULL) < 0)
			die_errno("bind " ROOT_TREE " on itself");
	}
	if (mount(NULL, ROOT_TREE, NULL, MS_PRIVATE, NULL) < 0)
		die_errno("make " ROOT_TREE " private");
	if (mount(NULL, ROOT_TREE, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0)
		die_errno("make " ROOT_TREE " read-only");

	if (!is_mountpoint(ROOT_TREE "/proc") &&
	    mount("proc", ROOT_TREE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount proc on " ROOT_TREE "/proc");
	host_binds_up();
	shared_binds(conf, 0);
	if (!is_mountpoint(ROOT_TREE "/run") &&
	    mount("vsys-run", ROOT_TREE "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
		die_errno("mount tmpfs on " ROOT_TREE "/run");
	if (!is_mountpoint(KMOD_VSYS) &&
	    mount("vsyslink", KMOD_VSYS, "vsyslink", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("mount vsyslink on " KMOD_VSYS);

	ns_dir_up();
}

/* One write to R/.root/.vsys/targets ("add NAME PATH" / "del NAME"). */
static int kmod_targets_write(const char *cmd)
{
	int vfd = open(KMOD_VSYS, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd, e = 0;

	if (vfd < 0)
		die_errno(KMOD_VSYS);
	if (!is_vsyslink_fd(vfd))
		die(KMOD_VSYS ": not a vsyslink mount (vsys-view shared-up)");
	fd = openat(vfd, "targets", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno(KMOD_VSYS "/targets");
	if (!is_vsyslink_fd(fd))
		die(KMOD_VSYS "/targets: not on vsyslink");
	if (write(fd, cmd, strlen(cmd)) < 0)
		e = errno;
	close(fd);
	close(vfd);
	return e;
}

/* The tree on R/.root/.os/NAME (made below the read-only bind, in the raw
 * directory raw), or behind the gate of a private target; a tree already
 * there stays beneath the new one until release: no moment without a tree.
 * Returns an O_PATH fd of it. */
static int kmod_attach_tree(const char *name, int priv, int raw, int tree)
{
	char os[4096];
	int osdir, sysfd;

	kmod_tree_path(name, priv, os, sizeof os);
	if (!priv) {
		osdir = openat(raw, ".os", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (osdir < 0)
			die_errno(ROOT_TREE "/.os");
		kmod_ensure_dir_at(osdir, name, 0755, os);
		close(osdir);
	}
	if (move_mount(tree, "", AT_FDCWD, os, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("mount %s on %s", name, os);
	close(tree);
	sysfd = open(os, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sysfd < 0)
		die_errno("%s", os);
	return sysfd;
}

/* X -> .link/X in the shared tree (raw) for each top-level entry X of the
 * system's tree sysfd that is not there yet. */
static void kmod_link_top_entries(const char *name, int raw, int sysfd)
{
	struct dirent *ent;
	struct stat st;
	DIR *d;
	int fd = openat(sysfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd)))
		die_errno(ROOT_TREE "/.os/%s", name);
	while ((ent = readdir(d)) != NULL) {
		char target[300];
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0 ||
		    strcmp(ent->d_name, ".vsys") == 0 || strcmp(ent->d_name, ".os") == 0 ||
		    is_tree_dir(ent->d_name) || is_tree_bind_top(read_conf(), ent->d_name))
			continue;
		if (fstatat(raw, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* there already (this or another system's) */
		xsnprintf(target, sizeof target, ".link/%s", ent->d_name);
		if (symlinkat(target, raw, ent->d_name) < 0 && errno != EEXIST)
			die_errno("symlink " ROOT_TREE "/%s", ent->d_name);
	}
	closedir(d);
}

/* The body name is registered with (R/.root/.vsys/targets: "NAME NPROCS
 * PATH" lines) into buf; 0 if it is not registered. */
static int kmod_registered(const char *name, char *buf, size_t size)
{
	char line[2048];
	size_t nl = strlen(name);
	int found = 0;
	FILE *f = fopen(KMOD_VSYS "/targets", "re");

	if (!f)
		die_errno(KMOD_VSYS "/targets");
	while (!found && fgets(line, sizeof line, f)) {
		char *p;
		if (strncmp(line, name, nl) != 0 || line[nl] != ' ')
			continue;
		p = strchr(line + nl + 1, ' ');
		if (!p)
			continue;
		p[1 + strcspn(p + 1, "\n")] = '\0';
		xsnprintf(buf, size, "%s", p + 1);
		found = 1;
	}
	fclose(f);
	return found;
}

/* Register target name with the module: an open one (body ../.os/NAME) or a
 * private one (body os/NAME/root, behind its gate). A registration of the
 * other kind (users= set or cleared since) is replaced. */
static void kmod_register(const char *name, int priv)
{
	char cmd[300], want[300], cur[2048];
	int e;

	kmod_body(name, priv, want, sizeof want);
	if (kmod_registered(name, cur, sizeof cur)) {
		if (strcmp(cur, want) == 0)
			return;
		xsnprintf(cmd, sizeof cmd, "del %s", name);
		e = kmod_targets_write(cmd);
		if (e && e != ENOENT) {
			errno = e;
			die_errno("unregister %s in " KMOD_VSYS "/targets", name);
		}
	}
	if (priv)
		xsnprintf(cmd, sizeof cmd, "private %s", name);
	else
		xsnprintf(cmd, sizeof cmd, "add %s %s", name, want);
	e = kmod_targets_write(cmd);
	if (e && e != EEXIST) {
		errno = e;
		die_errno("register %s in " KMOD_VSYS "/targets", name);
	}
}

/* Detach the tree of name at its open or its private place, and remove the
 * open one's directory (the gate goes by itself). */
static void kmod_detach_tree(const char *name, int priv)
{
	char os[4096];
	int raw, osdir;

	kmod_tree_path(name, priv, os, sizeof os);
	if (priv) {
		if (is_mountpoint(os))
			detach_all(os);
		return;
	}
	detach_all(os);
	raw = kmod_raw_root();
	osdir = openat(raw, ".os", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (osdir >= 0 && unlinkat(osdir, name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    errno != EBUSY && errno != ENOTEMPTY)
		die_errno("remove %s", os);
	if (osdir >= 0)
		close(osdir);
	close(raw);
}

static void kmod_prepare(const char *name)
{
	struct pending_bind binds[MAX_BINDS];
	const struct system_info *info;
	int raw, tree, sysfd, priv;
	size_t nb;

	if (!is_mountpoint(KMOD_VSYS) || !is_mountpoint(ROOT_TREE "/proc"))
		die("prepare %s: the shared tree is not up (vsys-view shared-up)", name);
	check_system_dir(name);
	info = record_info(name);
	priv = restricted(info);
	ensure_var_dirs(name, info);
	tree = system_tree_copy(name, info, 1);
	nb = system_binds_collect(name, info, binds, NELEM(binds), 1);
	/* a restricted system: its gate first (the mount point is the module's),
	 * and never a copy at the open place, where everyone reads it */
	if (priv) {
		kmod_register(name, 1);
		kmod_detach_tree(name, 0);
	}
	raw = kmod_raw_root();
	sysfd = kmod_attach_tree(name, priv, raw, tree);
	attach_binds(name, sysfd, binds, nb);
	kmod_link_top_entries(name, raw, sysfd);
	close(sysfd);
	close(raw);
	if (!priv)
		kmod_register(name, 0);
}

/* The pids whose link is name (R/.root/.vsys/procs: "TGID NAME UID" lines). */
static size_t kmod_users(const char *name, int print)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen(KMOD_VSYS "/procs", "re");

	if (!f)
		die_errno(KMOD_VSYS "/procs");
	while (fgets(line, sizeof line, f)) {
		char *sp = strchr(line, ' ');
		size_t l;
		if (!sp)
			continue;
		*sp++ = '\0';
		l = strcspn(sp, " \n"); /* "TGID NAME UID" */
		sp[l] = '\0';
		if (strcmp(sp, name) != 0)
			continue;
		n++;
		if (print)
			printf("%s\n", line);
	}
	fclose(f);
	if (print && fflush(stdout) != 0)
		die_errno("stdout");
	return n;
}

/* Unregister; the tree goes when no process uses it any more (processes
 * keep theirs, as in the namespace mode). */
static void kmod_release(const char *name)
{
	char cmd[300];
	int e;

	if (!is_mountpoint(KMOD_VSYS))
		return; /* nothing is registered without the shared tree */
	xsnprintf(cmd, sizeof cmd, "del %s", name);
	e = kmod_targets_write(cmd);
	if (e && e != ENOENT) {
		errno = e;
		die_errno("unregister %s in " KMOD_VSYS "/targets", name);
	}
	if (kmod_users(name, 0) > 0)
		return;
	kmod_detach_tree(name, 0);
	kmod_detach_tree(name, 1);
}

static void kmod_shared_down(void)
{
	struct dirent *ent;
	DIR *d;
	int raw = kmod_raw_root(), fd, i;

	fd = openat(raw, ".os", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (d = fdopendir(fd)) != NULL) {
		while ((ent = readdir(d)) != NULL)
			if (ent->d_name[0] != '.')
				die("shared-down: system %s still prepared; release it first", ent->d_name);
		closedir(d);
	}
	close(raw);
	if (is_mountpoint(KMOD_VSYS) && has_mounts_below(KMOD_GATES))
		die("shared-down: a restricted system is still prepared (mounted below " KMOD_GATES
		    "); release it first");
	detach_below(ROOT_TREE);
	for (i = 0; i < 100 && is_mountpoint(ROOT_TREE); i++)
		if (umount2(ROOT_TREE, MNT_DETACH) < 0)
			die_errno("unmount " ROOT_TREE);
	ns_dir_down();
	made_shared_undo();
}

static void kmod_refresh(const char *name)
{
	struct pending_bind binds[MAX_HOSTFILES];
	const struct system_info *info = record_info(name);
	char os[4096];
	size_t nb;
	int sysfd;

	kmod_tree_path(name, restricted(info), os, sizeof os);
	if (!is_mountpoint(os))
		die("%s: not prepared", name);
	nb = host_file_copies(info->hostfiles, binds, NELEM(binds));
	sysfd = open(os, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sysfd < 0)
		die_errno("%s", os);
	rebind_host_files(name, sysfd, binds, nb);
	close(sysfd);
}

static void kmod_print_users(const char *name)
{
	if (!is_mountpoint(KMOD_VSYS))
		die("%s: not prepared", name);
	kmod_users(name, 1);
}

const struct link_ops kmod_link_ops = {
	.name = "kmod",
	.shared_up = kmod_shared_up,
	.shared_down = kmod_shared_down,
	.prepare = kmod_prepare,
	.release = kmod_release,
	.users = kmod_print_users,
	.refresh = kmod_refresh,
};
