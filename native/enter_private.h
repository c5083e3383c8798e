/* enter_private.h - what the parts of the entering code (enter.c,
 * enter_own_ns.c) share; not an interface of the front ends (enter.h). */
#ifndef VSYS_ENTER_PRIVATE_H
#define VSYS_ENTER_PRIVATE_H

#include "enter.h"

#include <stddef.h>

#define R VSYS_ROOT
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Formats the one-line reason into err; returns -1. */
__attribute__((format(printf, 3, 4)))
int vsys_fail_to(char *err, size_t cap, const char *fmt, ...);
#define fail(e, ...) vsys_fail_to((e)->err, sizeof (e)->err, __VA_ARGS__)
#define fail_errno(e, what) fail(e, "%s: %s", what, strerror(errno))

/* enter_own_ns.c. Detached copies of the system's host files (hostfiles=)
 * taken in the host's namespace, for a namespace built per entry; closed by
 * vsys_session_files_close. 0, or -1 with e->err set. */
int vsys_session_host_files(struct vsys_entry *e);
void vsys_session_files_close(void);
/* In the system's namespace just entered: a namespace of this process's
 * own whose "/" is an overlay over the tree with a tmpfs upper. */
int vsys_enter_session(struct vsys_entry *e, int procfd);
/* An on-demand system: R/.auto served by autofs, the lookup of
 * R/.auto/SYSTEM as the caller (the automounter mounts it; bounded by
 * VSYS_AUTOMOUNT_WAIT_MS), and the O_PATH fd (O_CLOEXEC) of that mount, or
 * -1 with e->err set. */
int vsys_ondemand_mount(struct vsys_entry *e);
/* An on-demand system: trigger the automounter as the caller, then a
 * namespace of this process's own over the mounted tree (e->hold_fd). */
int vsys_enter_ondemand(struct vsys_entry *e);

#endif
