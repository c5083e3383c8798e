// SPDX-License-Identifier: GPL-2.0
/*
 * kmod link mode, launcher side: set the caller's per-process link (vsyslink)
 * to a registered system and chroot into the shared tree.  See kmod_link.h.
 *
 * Every path component below VSYS_ROOT is opened with O_NOFOLLOW|O_CLOEXEC
 * from the previous fd and checked through the fd: the shared tree must be a
 * root-owned directory not writable by group or other, and .vsys must be a
 * vsyslink mount (fstatfs magic), so a planted directory or symlink is
 * refused rather than written to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "kmod_link.h"

static int fail(const char **what, const char *step, int err, int fd1, int fd2)
{
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (what)
		*what = step;
	errno = err;
	return -1;
}

static int is_vsyslink(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == VSYS_KMOD_MAGIC;
}

int vsys_kmod_available(void)
{
	char line[256];
	int found = 0;
	FILE *f;
	int fd;

	fd = open(VSYS_ROOT "/" VSYS_KMOD_MOUNT,
		  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		found = is_vsyslink(fd);
		close(fd);
		if (found)
			return 1;
	}
	f = fopen("/proc/filesystems", "re");
	if (f) {
		while (!found && fgets(line, sizeof(line), f))
			found = strcmp(line, "nodev\tvsyslink\n") == 0;
		fclose(f);
	}
	errno = found ? ENOENT : ENODEV;
	return 0;
}

int vsys_kmod_enter(int osfd, const char *name, uid_t uid, const char **what)
{
	int own = -1, rfd = -1, vfd, sfd, len;
	char body[PATH_MAX], cmd[128];
	struct stat st;
	ssize_t n;

	if (!name || !*name || strchr(name, '\n') || strchr(name, ' '))
		return fail(what, "kmod: system name", EINVAL, -1, -1);
	/*
	 * This process, linked for the caller: a private target's gate opens
	 * only to a process whose real uid is the one it was linked for.
	 */
	len = snprintf(cmd, sizeof(cmd), "%s %d %u", name, (int)getpid(),
		       (unsigned int)uid);
	if (len < 0 || (size_t)len >= sizeof(cmd))
		return fail(what, "kmod: system name", EINVAL, -1, -1);
	if (osfd < 0) {
		own = open(VSYS_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (own < 0)
			return fail(what, VSYS_ROOT, errno, -1, -1);
		osfd = own;
	}

	rfd = openat(osfd, VSYS_KMOD_SHARED,
		     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_SHARED, errno, own, -1);
	if (own >= 0)
		close(own);
	if (fstat(rfd, &st) < 0)
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_SHARED, errno, rfd, -1);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_SHARED
			    ": not root-owned or writable by others",
			    EPERM, rfd, -1);

	vfd = openat(rfd, ".vsys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vfd < 0)
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_MOUNT, errno, rfd, -1);
	if (!is_vsyslink(vfd))
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_MOUNT
			    ": not a vsyslink mount", EXDEV, rfd, vfd);
	sfd = openat(vfd, "set", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	close(vfd);
	if (sfd < 0)
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_MOUNT "/set", errno,
			    rfd, -1);
	if (!is_vsyslink(sfd))
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_MOUNT
			    "/set: not on vsyslink", EXDEV, rfd, sfd);
	n = write(sfd, cmd, len);
	if (n != (ssize_t)len)
		return fail(what, "kmod: set link", n < 0 ? errno : EIO,
			    rfd, sfd);
	close(sfd);

	if (fchdir(rfd) < 0)
		return fail(what, VSYS_ROOT "/" VSYS_KMOD_SHARED, errno, rfd, -1);
	close(rfd);
	if (chroot(".") < 0)
		return fail(what, "kmod: chroot", errno, -1, -1);
	if (chdir("/") < 0)
		return fail(what, "kmod: chdir /", errno, -1, -1);

	/* prove it: the link now leads away from the default "/" */
	n = readlink("/.vsys/link", body, sizeof(body) - 1);
	if (n < 0)
		return fail(what, "kmod: readlink /.vsys/link", errno, -1, -1);
	body[n] = '\0';
	if (!strcmp(body, "/"))
		return fail(what, "kmod: link not set after set", EIO, -1, -1);
	return 0;
}
