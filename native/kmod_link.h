/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher side of the kmod link mode (vsyslink.ko, see kmod/README.md
 * and vsys-kmod(4)).  Self-contained: libc only, no allocation.
 */
#ifndef VSYS_KMOD_LINK_H
#define VSYS_KMOD_LINK_H

#include <sys/types.h>

#ifndef VSYS_ROOT
#define VSYS_ROOT "/OS"
#endif

/* statfs(2) f_type of a vsyslink mount ("vsys"). */
#define VSYS_KMOD_MAGIC 0x76737973
/* Where vsys-view mounts vsyslink, relative to VSYS_ROOT. */
#define VSYS_KMOD_SHARED ".root"
#define VSYS_KMOD_MOUNT ".root/.vsys"

/*
 * 1 if the module is loaded and mounted at VSYS_ROOT/.root/.vsys, else 0
 * with errno ENODEV (module not loaded) or ENOENT (loaded, not mounted there).
 */
int vsys_kmod_available(void);

/*
 * As root, before the privilege drop: point the calling process's link at the
 * registered target @name, for the user @uid (the caller the front end
 * authorized: a private target's gate lets the process through only while its
 * real uid is @uid), and chroot into the shared tree VSYS_ROOT/.root
 * (cwd becomes its "/").  @osfd is the launcher's already verified directory
 * fd of VSYS_ROOT (O_PATH is fine), or -1 to open VSYS_ROOT here.
 * Returns 0, or -1 with errno set and *what naming the failed step (a
 * static string) for the launcher's die("%s: %s", *what, strerror(errno)).
 * errno: ENOENT from the set step = @name not registered; EPERM = not root;
 * EXDEV = .root/.vsys is not a vsyslink mount.  The caller's fds other than
 * @osfd are untouched; the fds opened here are closed before returning.
 */
int vsys_kmod_enter(int osfd, const char *name, uid_t uid, const char **what);

#endif
