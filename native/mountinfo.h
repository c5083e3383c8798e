/* mountinfo.h - the two line formats vsys-view reads: /proc/PID/mountinfo
 * (proc(5)) and the made-shared record (/run/vsys/made-shared, and the old
 * R/.var/shared-made). Pure functions on a buffer, no allocation, no system
 * calls: unit-tested and fuzzed (fuzz/fuzz_mountinfo.c). */
#ifndef VSYS_MOUNTINFO_H
#define VSYS_MOUNTINFO_H

#include <stddef.h>

/* The fields of one mountinfo line vsys-view uses:
 *   ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
struct mountinfo_entry {
	unsigned long long id; /* field 1 (0 when it is not a number) */
	unsigned long long parent; /* field 2, the parent mount's id (0 when not a number) */
	char *mount_point;     /* field 5, unescaped in place (in the line's buffer) */
	int shared;            /* an optional field "shared:N": a peer group's member */
	int slave;             /* an optional field "master:N": a slave */
};

/* Parse line (one mountinfo line, modified in place: split at blanks, the
 * mount point unescaped). Returns 0, or -1 when the line has no number in
 * field 1 or fewer than five fields (e->id is set whenever field 1 is one). */
int mountinfo_parse(char *line, struct mountinfo_entry *e);

/* Undo the kernel's escaping of a path (\ooo octal, e.g. \040 for a space)
 * in place. */
void mountinfo_unescape(char *s);

/* Escape a path as the kernel does in mountinfo (space, tab, newline and
 * backslash as \ooo), and also every other control character (so that a
 * path with \v or \r reads back whole) into dst (size n). Returns 0, or -1
 * when it does not fit. */
int mountinfo_escape(char *dst, size_t n, const char *path);

/* One line of /run/vsys/made-shared: "ID WAS MP ROOT\n", a host mount
 * that vsys-view shared-up of the vsys root ROOT made shared or found made
 * shared by another root's; WAS ("private" or "slave") is what shared-down
 * puts back once no root relies on it; MP and ROOT are escaped as in
 * mountinfo. The old per-root R/.var/shared-made has no ROOT ("ID WAS MP"). */
struct shared_made_entry {
	unsigned long long id;
	int was_slave;      /* WAS is "slave" (else "private") */
	char mount_point[4096]; /* unescaped */
	char root[4096];        /* unescaped; "" on an old line */
};

/* Parse one line (without its newline). Returns 0, or -1 when malformed. */
int shared_made_parse(const char *line, struct shared_made_entry *e);

/* Format one line, newline included, into dst (size n); mount_point and
 * root (NULL or "": none, an old line) unescaped. Returns its length, or -1 when it does not fit. */
int shared_made_format(char *dst, size_t n, unsigned long long id, int was_slave,
		       const char *mount_point, const char *root);

#endif
