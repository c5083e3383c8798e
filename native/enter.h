/* enter.h - the one way into a vsys system
 *
 * Shared by every front end that puts a process into a system: the launcher
 * R/bin/bin (launcher.c), the PAM session module pam_vsys.so and the Slurm
 * SPANK plugin vsys_spank.so. The checks are written here once; a front end
 * only says who the caller is and which name was asked for, and calls the
 * steps in this order:
 *
 *   vsys_entry_init
 *   vsys_caller_self | vsys_caller_set      who enters (ids, groups)
 *   vsys_capture_cwd | vsys_set_cwd         where the caller is
 *   vsys_check_root                         not from inside a chroot
 *   [vsys_selection]                        ~/.vsys, when no name was given
 *   vsys_load(name)                         R/etc chain, vsys.conf, alias, record
 *   vsys_lookup_user                        the caller's passwd entry
 *   vsys_authorize                          users= / groups=
 *   vsys_audit                              one record, also for a refusal
 *   vsys_enter                              setns(R/.ns/NAME) or the kmod link
 *   vsys_drop_privileges, vsys_no_new_privs (the launcher; sshd and slurmstepd
 *                                            drop by themselves)
 *   vsys_enter_cwd                          as the caller
 *
 * Errors: each step returns 0, or -1 with one line "what: why" (no "vsys: "
 * prefix, no newline) in e->err; nothing here exits, prints or allocates
 * (a front end inside sshd or slurmstepd must never be killed by it). A
 * front end reports e->err, calls vsys_audit() with it as the refusal, and
 * leaves the process where it was (nothing is entered before vsys_enter,
 * and vsys_enter either enters or changes nothing).
 *
 * Privilege: [root] steps need euid 0 and run before the drop;
 * [either] steps run in any state; [caller] steps run after the drop.
 * Trusted: the kernel, root-owned files under R (checked through the fd),
 * the host's /etc/passwd and /etc/group (root-owned, checked through the fd).
 * Hostile: every value the caller controls: argv, the environment, cwd, the
 * caller's files (~/.vsys), names, inherited fds and process state.
 *
 * struct vsys_entry is large (two records, ~190 KiB): make it static or
 * allocate it. Not thread-safe (userdb.c keeps one static buffer).
 */
#ifndef VSYS_ENTER_H
#define VSYS_ENTER_H

#include "names.h"
#include "record.h"
#include "userdb.h"

#include <limits.h>
#include <sys/types.h>

#define VSYS_ERR_MAX 512
/* the selection file (~/.vsys): at most this many bytes */
#define VSYS_SELECTION_MAX 4096

struct vsys_entry {
	/* the caller */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[NGROUPS_MAX + 1];
	char cwd[PATH_MAX];        /* "" until captured */
	struct userdb_user user;   /* name "" until vsys_lookup_user */

	/* the target */
	char asked[NAME_MAX_LEN + 1];  /* the name the caller used ("" until vsys_load) */
	char system[NAME_MAX_LEN + 1]; /* the system it resolves to ("" until known) */
	struct config_info config;     /* vsys.conf, defaults until loaded */
	struct system_info info;       /* points into rec */
	int rootfd;                    /* R, O_PATH; -1 when closed */
	struct record conf, rec;

	char err[VSYS_ERR_MAX];        /* the reason of the last failed step */
	int root_checked;              /* vsys_check_root passed */

	/* an on-demand system (no record: R/etc/automap/SYSTEM, served to
	 * autofs at R/.auto/SYSTEM; info has the defaults) */
	int ondemand;
	/* after vsys_enter of an on-demand system: an O_PATH fd (O_CLOEXEC) of
	 * its mount on the host, R/.auto/SYSTEM. While it is open the
	 * automounter sees the system in use and does not expire it: the
	 * front end keeps it as long as the entered process runs (the
	 * launcher: a parent that waits for the command), never passes it on.
	 * -1 otherwise. */
	int hold_fd;
};

/* How long the root part of vsys_enter waits for the automounter to mount
 * an on-demand system (the lookup that triggers it runs in a child as the
 * caller; at the bound the child is killed and the entry refused). */
#define VSYS_AUTOMOUNT_WAIT_MS 20000

/* [either] Empty entry: rootfd -1, vsys.conf defaults (audit=yes). */
void vsys_entry_init(struct vsys_entry *e);

/* [either] The caller is this process's real uid, gid and supplementary
 * groups (the launcher: captured before anything else). */
int vsys_caller_self(struct vsys_entry *e);

/* [either] The caller is given (PAM: the user being logged in; SPANK: the
 * job's user), groups as initgroups(3) would set them (ngroups <= NGROUPS_MAX). */
int vsys_caller_set(struct vsys_entry *e, uid_t uid, gid_t gid, int ngroups, const gid_t *groups);

/* [either] The working directory to enter: getcwd(3) of this process, which
 * must be absolute; or dir given (absolute, < PATH_MAX). */
int vsys_capture_cwd(struct vsys_entry *e);
int vsys_set_cwd(struct vsys_entry *e, const char *dir);

/* [root] Refuse unless this process's root directory is its mount
 * namespace's root (setns and the kmod chroot set a new root, so a caller in
 * a chroot jail would leave it): setns into the process's own mount
 * namespace (/proc/self/ns/mnt), then compare "/" before and after. Changes
 * the cwd to "/" (the cwd is kept as a path, vsys_capture_cwd first); the
 * process must be single-threaded (as for vsys_enter). */
int vsys_check_root(struct vsys_entry *e);

/* [root or caller] The caller's selection: the first line of file (e.g.
 * ".vsys") in the caller's home directory (vsys_lookup_user first), read
 * with the caller's fsuid, opened with O_NOFOLLOW relative to an fd of the
 * home, and used only if the fd is a regular file owned by the caller, not
 * writable by group or others, at most VSYS_SELECTION_MAX bytes, and its
 * first line passes name_check() (trailing blanks and '\r' removed). file is
 * a plain name (no '/'). Returns 1 and the name in name (cap >= NAME_MAX_LEN
 * + 1), 0 when there is no such file (or the home has none), -1 refused
 * (e->err says why). */
int vsys_selection(struct vsys_entry *e, const char *file, char *name, size_t cap);

/* [either] The content rules of the selection file: buf (n bytes) must be
 * at most VSYS_SELECTION_MAX bytes without a NUL; its first line, trailing
 * blanks and '\r' removed, must pass name_check(). NULL and the name in
 * name (cap bytes), or the reason. */
const char *vsys_selection_parse(const char *buf, size_t n, char *name, size_t cap);

/* [either] The same check on an open home directory fd, for a front end
 * that has one; uid is the owner the file must have. */
int vsys_read_selection(int homefd, const char *file, uid_t uid, char *name, size_t cap,
			char *err, size_t errlen);

/* [root] Only vsys.conf (R, R/etc checked as vsys_load does) into
 * e->config: for a front end that needs the default= before it has a name.
 * A missing vsys.conf gives the defaults. */
int vsys_load_config(struct vsys_entry *e);

/* [root] name (checked by name_check) -> R, R/bin, R/etc (each root-owned,
 * not group/other writable, no symlink), vsys.conf, R/etc/systems/NAME or
 * the alias R/etc/aliases/NAME and its system; state must be ready. A
 * system without a record that has an autofs entry R/etc/automap/SYSTEM
 * (root-owned regular file) is an on-demand one (e->ondemand, the record's
 * defaults: everyone, setuid=no, the default hostfiles). Keeps an O_PATH fd
 * of R for vsys_enter. */
int vsys_load(struct vsys_entry *e, const char *name);

/* [root] The caller's passwd entry (userdb_user_by_uid) into e->user. */
int vsys_lookup_user(struct vsys_entry *e);

/* [root] users= and groups= of the record (both apply when both are given). */
int vsys_authorize(struct vsys_entry *e);

/* [root] One audit record to syslog when vsys.conf's audit is on (before
 * vsys_load: on): authpriv.info "result=allowed", or authpriv.notice
 * "result=refused reason=..." when refused is not NULL; then the caller
 * (user, uid), the system, the name as asked when it differs (name; NULL:
 * e->asked), cwd, and what runs (prefix, e.g. "(shell)", then argv; either
 * may be NULL). Every value is escaped (see DESIGN.md): a record is one line
 * and no value can forge a field. Never blocks: a syslog that does not take
 * the record within 100 ms loses it. 0 sent, -1 not sent (no syslog). */
int vsys_audit(const struct vsys_entry *e, const char *name, const char *prefix,
	       char *const *argv, const char *refused);

/* [either] The record vsys_audit sends, into line (cap bytes, >= 64; NUL
 * terminated); its length. One line: no byte below 0x20 or 0x7f and above. */
#define VSYS_AUDIT_MAX 32768
size_t vsys_audit_format(const struct vsys_entry *e, const char *name, const char *prefix,
			 char *const *argv, const char *refused, char *line, size_t cap);

/* [root] Enter the system: first vsys_check_root unless it already passed
 * (every front end is refused in a chroot: su -l in a jail must not leave
 * it), then namespace mode setns(R/.ns/SYSTEM) and chdir("/") (layer=session:
 * then a namespace of this entry's own over an overlay); kmod mode the
 * per-process link and chroot. An on-demand system (namespace mode only): a
 * child as the caller looks up R/.auto/SYSTEM, which makes the automounter
 * mount it (bounded by VSYS_AUTOMOUNT_WAIT_MS), and passes back its fd; a
 * namespace of this entry's own is made from the host's with a copy of that
 * mount as "/" and the local parts on it (chroot); e->hold_fd is left open.
 * Closes e->rootfd. */
int vsys_enter(struct vsys_entry *e);

/* [root] For a front end whose entered process cannot keep e->hold_fd
 * (vsys_spank: the task execs the job, which closes it): after vsys_load
 * (and vsys_authorize), the lookup vsys_enter makes of an on-demand system
 * (a child as the caller, bounded by VSYS_AUTOMOUNT_WAIT_MS), and the O_PATH
 * fd (O_CLOEXEC) of the host's mount R/.auto/SYSTEM for the front end to keep
 * open outside the system (slurmstepd: until the step ends): while it is,
 * autofs does not expire the mount. Never let a process inside the system
 * have it: it is a directory of the host. -2: not on demand (nothing to
 * hold); -1 with e->err set. Closes e->rootfd (no vsys_enter after it). */
int vsys_hold(struct vsys_entry *e);

/* [root -> caller] setgroups, setresgid, setresuid to the caller, then prove
 * it: uids, gids, the supplementary groups compared element by element,
 * setuid(0) fails, no capabilities left. */
int vsys_drop_privileges(struct vsys_entry *e);

/* [either] Are the two group lists the same multiset (order ignored)? */
int vsys_groups_equal(const gid_t *a, int na, const gid_t *b, int nb);

/* [caller] PR_SET_NO_NEW_PRIVS unless the record says setuid=yes. */
int vsys_no_new_privs(struct vsys_entry *e);

/* [caller] chdir to the caller's cwd (cwd_fallback=yes: else the home), and
 * verify the result is inside the new root. */
int vsys_enter_cwd(struct vsys_entry *e);

#endif
