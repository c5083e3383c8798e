/* record.h - the key=value record format of DESIGN.md ("Record files") */
#ifndef VSYS_RECORD_H
#define VSYS_RECORD_H

#include <stddef.h>

#define RECORD_MAX_SIZE 65536     /* whole file, bytes */
#define RECORD_MAX_LINE 4096      /* one line without its '\n' */
#define RECORD_MAX_ENTRIES 1024   /* key=value lines */

/* hostfiles= of a system record that has none (and of a system without a
 * record): the host's /etc files bound into the system. DESIGN.md
 * "System records"; the Java side's SystemRecord.DEFAULT_HOSTFILES must
 * be the same list. */
#define RECORD_DEFAULT_HOSTFILES "passwd,group,hosts,resolv.conf,localtime"

struct record_entry {
	const char *key;
	const char *value;
	unsigned line;
};

struct record {
	char text[RECORD_MAX_SIZE + 1];
	size_t nent;
	struct record_entry ent[RECORD_MAX_ENTRIES];
};

/* Parse len bytes of data into r (data is copied). Returns 0, or -1 with a
 * reason ("line 3: bad key") in err. Enforces: size, line length, '\n'
 * termination, no NUL, key syntax, no duplicate key except fs/bind/mount. */
int record_parse(struct record *r, const char *data, size_t len, char *err, size_t errlen);

/* First value of key, or NULL. */
const char *record_get(const struct record *r, const char *key);

/* Is key (n bytes) a valid key: [a-z][a-z0-9_.]* */
int record_key_valid(const char *key, size_t n);

/* The facts the launcher needs from a system record. */
struct system_info {
	const char *name;
	int setuid;        /* setuid=yes */
	int cwd_fallback;  /* cwd_fallback=yes */
	const char *users; /* comma list, "" = everyone */
	const char *groups;
	const char *hostfiles; /* comma list or "none" */
	const char *view;  /* view=: absolute normalised directory the system runs
			      from instead of R/NAME (a snapshot checkout), or NULL */
	int session;       /* layer=session: every entry gets its own throw-away
			      writable layer (tmpfs upper) over the system's tree */
};

/* Check a parsed system record: version=1, name=expected, state=ready (unless
 * any_state), yes/no flags. Returns 0 or -1 with a reason in err. */
int record_system(const struct record *r, const char *expected, int any_state,
		  struct system_info *out, char *err, size_t errlen);

/* Check an alias record; *system receives the target name (validated). */
int record_alias(const struct record *r, const char *expected, const char **system,
		 char *err, size_t errlen);

enum link_mode { LINK_NAMESPACE, LINK_KMOD };

struct config_info {
	enum link_mode link;
	int audit;
	char default_system[65]; /* default=: the system a login or `vsys shell` without a
				    name enters (pam_vsys(8)); "" = none */
};

/* Is p an absolute, normalised path (no "//", ".", "..", trailing '/', control
 * characters), at most 4095 bytes? "/" itself is not accepted. */
int record_abs_path_ok(const char *p);

/* Check the global vsys.conf (r may be NULL: defaults). */
int record_config(const struct record *r, struct config_info *out, char *err, size_t errlen);

#endif
