/* libFuzzer harness: the passwd and group parsers of userdb.c, which the
 * setuid launcher runs on the host's /etc/passwd, /etc/group and on getent's
 * output. Input: 4 bytes of uid, then the database; the group name looked
 * up is the first field of the first line (and "vsys"). */
#include "userdb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int clean(const char *s)
{
	return !strchr(s, ':') && !strchr(s, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userdb_user u;
	char name[64];
	const char *db;
	size_t n, k;
	uint32_t uid;
	gid_t g;
	char *copy;

	if (size < 4)
		return 0;
	memcpy(&uid, data, 4);
	db = (const char *)data + 4;
	n = size - 4;
	/* an exact-size copy: ASan sees a read past the end */
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, db, n);
	if (userdb_passwd_find(copy, n, (uid_t)uid, &u)) {
		if (u.uid != uid || !u.name[0] || !clean(u.name) || !clean(u.home) || !clean(u.shell) ||
		    !u.home[0] || !u.shell[0])
			__builtin_trap();
	}
	(void)userdb_passwd_find(copy, n, 0, &u);
	for (k = 0; k < n && k < sizeof name - 1 && copy[k] != ':' && copy[k] != '\n'; k++)
		name[k] = copy[k];
	name[k] = '\0';
	(void)userdb_group_find(copy, n, name, &g);
	(void)userdb_group_find(copy, n, "vsys", &g);
	free(copy);
	return 0;
}
