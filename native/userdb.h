/* userdb.h - the host's user and group database, as the entering code reads it
 *
 * The parsers (userdb_passwd_find, userdb_group_find) take untrusted bytes
 * and never write to them; they are fuzzed (fuzz/fuzz_userdb.c). The
 * look-ups read the host's /etc/passwd and /etc/group through
 * open_checked_at() (root-owned, regular, not group/other writable) and ask
 * getent(1) only for an entry not in those files (LDAP, SSSD): run as root
 * with an empty environment, cwd "/", umask 022, no core dumps, sane rlimits,
 * an empty signal mask and no inherited fd. Not getpwuid(3): the launcher is
 * linked static, where glibc's NSS cannot be used safely.
 */
#ifndef VSYS_USERDB_H
#define VSYS_USERDB_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define USERDB_NAME_MAX 256

/* One passwd entry: the fields the entering code uses. */
struct userdb_user {
	uid_t uid;
	gid_t gid;
	char name[USERDB_NAME_MAX];
	char home[PATH_MAX];   /* "/" when the entry has none */
	char shell[PATH_MAX];  /* "/bin/sh" when the entry has none */
};

/* The first passwd line of buf (len bytes, need not be NUL terminated) whose
 * uid is uid, as getpwuid's files backend: 1 and *out filled, or 0. Lines
 * that are NIS compat ("+", "-"), comments, malformed (not 7 fields, a
 * non-decimal or > 32-bit id, an empty name) or with a field too long for
 * out are skipped. */
int userdb_passwd_find(const char *buf, size_t len, uid_t uid, struct userdb_user *out);

/* The gid of the first group line of buf named name: 1 and *gid, or 0. */
int userdb_group_find(const char *buf, size_t len, const char *name, gid_t *gid);

/* The caller's entry: /etc/passwd, then getent(1). 1 found, 0 not found or
 * the name service failed (the caller refuses: fail closed). */
int userdb_user_by_uid(uid_t uid, struct userdb_user *out);

/* A group's gid: /etc/group, then getent(1). 1 found, 0 not. */
int userdb_gid_by_name(const char *name, gid_t *gid);

#endif
