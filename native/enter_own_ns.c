/* enter_own_ns.c - the entries that build a mount namespace of their own
 * (enter_private.h): a system with a session layer (layer=session), over
 * its prepared namespace, and a system served on demand by the automounter,
 * over the host's. Part of the one entering path of enter.c: the same
 * vsys_entry, the same one-line reasons; these steps run as root, after
 * vsys_authorize and before the privileges are dropped. */
#include "enter_private.h"
#include "mountinfo.h"
#include "names.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

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

void vsys_session_files_close(void)
{
	int i;
	for (i = 0; i < session_nfiles; i++)
		if (session_files[i].tree >= 0)
			close(session_files[i].tree);
	session_nfiles = 0;
}

int vsys_session_host_files(struct vsys_entry *e)
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
					vsys_session_files_close();
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
int vsys_enter_session(struct vsys_entry *e, int procfd)
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
	vsys_session_files_close();
	if (oldroot >= 0)
		close(oldroot);
	if (t >= 0)
		close(t);
	if (o >= 0)
		close(o);
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

/* The child of step 1 (autofd: the automounter's directory, opened by
 * root); never returns. */
__attribute__((noreturn)) static void ondemand_lookup(const struct vsys_entry *e, int autofd, int sock)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr msg;
	struct iovec iov;
	struct stat st;
	int fd, err = 0;
	size_t i;

	if (setgroups((size_t)e->ngroups, e->groups) < 0 || setresgid(e->gid, e->gid, e->gid) < 0 ||
	    setresuid(e->uid, e->uid, e->uid) < 0)
		_exit(1);
	/* relative to root's fd: R/.private/.auto (a restricted system) is
	 * under R/.private, 0700, which the caller cannot search */
	fd = openat(autofd, e->system, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		/* the names the root part looks up next, as the caller first (a
		 * server that died since blocks here, not there) */
		for (i = 0; i < NELEM(ondemand_parts); i++)
			(void)fstatat(fd, ondemand_parts[i], &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "run", &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "etc", &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "var/tmp", &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(fd, "usr/tmp", &st, AT_SYMLINK_NOFOLLOW);
		for (i = 0; i < e->conf.nent + e->rec.nent; i++) {
			const struct record_entry *b = i < e->conf.nent ? &e->conf.ent[i] : &e->rec.ent[i - e->conf.nent];
			int m;
			if (b->value[0] != '/')
				continue;
			if (strcmp(b->key, "bind") == 0) /* the bind= targets */
				(void)fstatat(fd, b->value + 1, &st, AT_SYMLINK_NOFOLLOW);
			/* mount= of the record: an offset of the system's multi-mount
			 * entry, mounted by autofs on a lookup of it as a directory
			 * (a stat does not trigger it), so that the copy holds it; in
			 * record order (a nested offset after its parent) */
			if (i >= e->conf.nent && strcmp(b->key, "mount") == 0 && record_abs_path_ok(b->value) &&
			    (m = openat2_beneath(fd, b->value + 1, O_DIRECTORY)) >= 0)
				close(m);
		}
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
static int ondemand_trigger(struct vsys_entry *e, int autofd, const char *autodir)
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
		ondemand_lookup(e, autofd, sv[1]);
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
		return fail(e, "%s: on demand: the lookup of %s/%s failed", e->asked, autodir, e->system);
	}
	if (fd < 0)
		return fail(e, "%s: on demand: %s/%s: %s", e->asked, autodir, e->system,
			    err == ENOENT ? "the automounter did not mount it (no entry, or its mount failed)" : strerror(err));
	return fd;
}

/* The system's own binds of an on-demand launch, as a prepared namespace
 * has them (view_binds.c): its /var/tmp and /usr/tmp (R/.var/SYSTEM/tmp,
 * made by vsys apply), and the bind= paths of vsys.conf (every system) and
 * of its on-demand record (this system), each a recursive copy: of the
 * shared tree's mount R/.root/PATH where shared-up made one, else of the
 * host's directory PATH (reached without a symlink), made a slave. Taken
 * in the host's namespace, attached after the tree. */
#define ONDEMAND_MAX_BINDS 64
struct ondemand_bind {
	char rel[PATH_MAX]; /* the target in the tree, relative */
	int tree;           /* detached copy */
};
static struct ondemand_bind od_binds[ONDEMAND_MAX_BINDS + 2];
static int od_nbinds;

static void ondemand_binds_close(void)
{
	int i;
	for (i = 0; i < od_nbinds; i++)
		if (od_binds[i].tree >= 0)
			close(od_binds[i].tree);
	od_nbinds = 0;
}

/* R/.var/SYSTEM/tmp, twice (var/tmp, usr/tmp): nosuid, nodev, private. */
static int ondemand_var_tmp(struct vsys_entry *e)
{
	const char *why;
	struct mount_attr attr;
	struct stat st;
	int var = open_checked_at(e->rootfd, ".var", S_IFDIR, 0, NULL, &why), sys = -1, tmp = -1, i;

	if (var >= 0)
		sys = open_checked_at(var, e->system, S_IFDIR, 0, NULL, &why);
	if (sys >= 0)
		tmp = openat(sys, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (var >= 0)
		close(var);
	if (sys >= 0)
		close(sys);
	if (tmp < 0 || fstat(tmp, &st) < 0 || st.st_uid != 0) {
		if (tmp >= 0)
			close(tmp);
		return fail(e, "%s: on demand: " R "/.var/%s/tmp: %s (vsys apply makes it)", e->asked, e->system,
			    tmp >= 0 ? "not owned by root" : why ? why : strerror(errno));
	}
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	attr.propagation = MS_PRIVATE;
	for (i = 0; i < 2; i++) {
		struct ondemand_bind *b = &od_binds[od_nbinds];
		b->tree = open_tree(tmp, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (b->tree < 0 || mount_setattr(b->tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
			int en = errno;
			if (b->tree >= 0)
				close(b->tree);
			close(tmp);
			errno = en;
			return fail_errno(e, "on demand: copy " R "/.var/SYSTEM/tmp");
		}
		xstrlcpy(b->rel, i == 0 ? "var/tmp" : "usr/tmp", sizeof b->rel);
		od_nbinds++;
	}
	close(tmp);
	return 0;
}

/* One bind= path p (from: "vsys.conf" or the record's path, for messages).
 * 0 (copied, or left out: shown anyway or not on this host), -1. */
static int ondemand_bind_one(struct vsys_entry *e, const char *p, const char *from, int strict)
{
	static const char *const local[] = { "proc", "dev", "sys", "run", ".link", "home", "tmp" };
	/* the system's own top directories: a bind may go below one, not replace it
	 * (view.c's link_dirs) */
	static const char *const top_dirs[] = { "bin", "boot", "etc", "lib", "lib32", "lib64", "libx32", "media",
						"mnt", "opt", "root", "sbin", "srv", "usr", "var" };
	char rel[PATH_MAX];
	struct open_how how;
	struct mount_attr attr;
	struct statx sx;
	struct stat st;
	size_t i, n;
	int src, tree, root;

	if (!record_abs_path_ok(p) || strchr(p, ' ') || strlen(p) >= sizeof rel - 8)
		return strict ? fail(e, "%s: bind %s: not an absolute normalised path", from, p) : 0;
	n = strcspn(p + 1, "/");
	for (i = 0; i < NELEM(local); i++)
		if (strlen(local[i]) == n && strncmp(p + 1, local[i], n) == 0) {
			if (strict && i < 5)
				return fail(e, "%s: bind %s: inside a local part of the system", from, p);
			return 0; /* home, tmp: shown already; the others vsys-view refuses */
		}
	if (!strchr(p + 1, '/'))
		for (i = 0; i < NELEM(top_dirs); i++)
			if (strcmp(p + 1, top_dirs[i]) == 0) {
				if (strict)
					return fail(e, "%s: bind %s: would hide the system's own %s", from, p, p);
				return 0; /* vsys-view refuses it at shared-up */
			}
	for (i = 0; i < (size_t)od_nbinds; i++) { /* below an earlier one: in its recursive copy */
		size_t l = strlen(od_binds[i].rel);
		if (strncmp(od_binds[i].rel, p + 1, l) == 0 && (p[1 + l] == '/' || p[1 + l] == '\0'))
			return 0;
	}
	if (od_nbinds >= (int)NELEM(od_binds))
		return fail(e, "%s: on demand: more than %d bind= paths", e->asked, ONDEMAND_MAX_BINDS);
	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	/* the shared tree's copy (a slave of the host's), when shared-up made one */
	xsnprintf(rel, sizeof rel, ".root%s", p);
	src = (int)syscall(SYS_openat2, e->rootfd, rel, &how, sizeof how);
	if (src >= 0 && (statx(src, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
			 !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))) {
		close(src);
		src = -1;
	}
	if (src < 0) { /* the host's directory, taken literally */
		how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		src = root < 0 ? -1 : (int)syscall(SYS_openat2, root, p + 1, &how, sizeof how);
		if (root >= 0)
			close(root);
		if (src < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return 0; /* not on this host: left out, as for a prepared system */
			if (errno == ELOOP)
				return fail(e, "%s: bind %s: a symlink on the way (give the real path)", from, p);
			return fail(e, "%s: bind %s: %s", from, p, strerror(errno));
		}
	}
	if (fstat(src, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(src);
		return 0;
	}
	tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	close(src);
	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_SLAVE; /* the host's later mounts show, nothing goes back */
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
		int en = errno;
		if (tree >= 0)
			close(tree);
		return fail(e, "on demand: copy bind %s: %s", p, strerror(en));
	}
	od_binds[od_nbinds].tree = tree;
	xstrlcpy(od_binds[od_nbinds].rel, p + 1, sizeof od_binds[od_nbinds].rel);
	od_nbinds++;
	return 0;
}

static int ondemand_bind_copies(struct vsys_entry *e)
{
	char from[PATH_MAX];
	size_t i;

	od_nbinds = 0;
	if (ondemand_var_tmp(e) < 0)
		return -1;
	for (i = 0; i < e->conf.nent; i++)
		if (strcmp(e->conf.ent[i].key, "bind") == 0 && ondemand_bind_one(e, e->conf.ent[i].value, VSYS_CONF, 0) < 0)
			return -1;
	xsnprintf(from, sizeof from, R "/etc/ondemand/%s", e->system);
	for (i = 0; i < e->rec.nent; i++)
		if (strcmp(e->rec.ent[i].key, "bind") == 0 && ondemand_bind_one(e, e->rec.ent[i].value, from, 1) < 0)
			return -1;
	return 0;
}

/* Step 1: the automounter serves the system's autofs directory (R/.auto; a
 * restricted system's R/.private/.auto), the trigger, and its fd is the
 * mount of the tree (not autofs's own directory). The fd, or -1. */
int vsys_ondemand_mount(struct vsys_entry *e)
{
	struct statfs sfs;
	struct statx sx;
	int autofd, hold, restricted;
	const char *autodir;

	/* a restricted system (users=, groups=) is served at R/.private/.auto,
	 * where no user reaches its tree by a host path */
	restricted = e->info.users[0] || e->info.groups[0];
	autodir = restricted ? R "/.private/.auto" : R "/.auto";
	if (restricted) {
		const char *why;
		int priv = open_checked_at(e->rootfd, ".private", S_IFDIR, 0, NULL, &why);
		if (priv < 0)
			return fail(e, "%s: on demand, restricted: " R "/.private: %s", e->asked, why ? why : strerror(errno));
		autofd = openat(priv, ".auto", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(priv);
	} else {
		autofd = openat(e->rootfd, ".auto", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (autofd < 0 || fstatfs(autofd, &sfs) < 0 || sfs.f_type != AUTOFS_SUPER_MAGIC) {
		if (autofd >= 0)
			close(autofd);
		return fail(e, "%s: on demand, but no automounter serves %s", e->asked, autodir);
	}
	hold = ondemand_trigger(e, autofd, autodir);
	close(autofd);
	if (hold < 0)
		return -1;
	if (fstatfs(hold, &sfs) < 0 || sfs.f_type == AUTOFS_SUPER_MAGIC ||
	    statx(hold, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
	    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		close(hold);
		return fail(e, "%s: on demand: %s/%s is not a mount", e->asked, autodir, e->system);
	}
	return hold;
}

int vsys_enter_ondemand(struct vsys_entry *e)
{
	struct statx sx;
	struct mount_attr attr;
	int parts[NELEM(ondemand_parts) + 1], hold = -1, tree = -1, r = -1, i, j;
	const int nparts = (int)NELEM(ondemand_parts) + 1;
	static const char *const run_kv[] = { "mode", "0755", "source", "tmpfs" };

	for (i = 0; i < nparts; i++)
		parts[i] = -1;
	if ((hold = vsys_ondemand_mount(e)) < 0)
		return -1;
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
	if (ondemand_bind_copies(e) < 0 || vsys_session_host_files(e) < 0)
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
	/* the system's own binds (its /var/tmp, bind=), then the local parts and
	 * /run, then the host files; each where the tree has that real directory
	 * or file (no symlink followed), else left out */
	for (i = 0; i < od_nbinds + nparts + session_nfiles; i++) {
		int k = i - od_nbinds, isdir = k < nparts;
		const char *rel = k < 0 ? od_binds[i].rel : k < nparts - 1 ? ondemand_parts[k] : k == nparts - 1 ? "run"
										: session_files[k - nparts].path + 1;
		int src = k < 0 ? od_binds[i].tree : k < nparts ? parts[k] : session_files[k - nparts].tree, dst;
		struct stat st;

		if (src < 0)
			continue;
		dst = openat2_beneath(tree, rel, 0);
		if (dst < 0 || fstat(dst, &st) < 0 || (isdir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
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
	vsys_session_files_close();
	ondemand_binds_close();
	for (i = 0; i < nparts; i++)
		if (parts[i] >= 0)
			close(parts[i]);
	if (tree >= 0)
		close(tree);
	if (hold >= 0)
		close(hold);
	return r;
}
