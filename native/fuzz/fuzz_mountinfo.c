/* libFuzzer harness: vsys-view's line parsers (mountinfo.h): the lines of
 * /proc/self/mountinfo and of /run/vsys/made-shared (and the old
 * R/.var/shared-made). Each input is split at
 * newlines as fgets and strtok_r would split the files. Checks, besides
 * memory safety: a parsed mount point holds no NUL-free garbage past the
 * line, and a mount point and root written to made-shared read back the same
 * (escape, then parse, is the identity). */
#include "mountinfo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(char *line, size_t len)
{
	struct mountinfo_entry e;
	struct shared_made_entry m;
	char copy[8192], out[8400], *nl;
	size_t n = len < sizeof copy - 1 ? len : sizeof copy - 1;
	int r;

	memcpy(copy, line, n);
	copy[n] = '\0';
	(void)shared_made_parse(copy, &m);
	if (mountinfo_parse(copy, &e) < 0)
		return;
	if (e.mount_point < copy || e.mount_point >= copy + sizeof copy ||
	    strlen(e.mount_point) > n)
		__builtin_trap();
	r = shared_made_format(out, sizeof out, e.id, e.slave, e.mount_point, e.mount_point);
	if (r < 0)
		return;
	nl = strchr(out, '\n');
	if (!nl || nl != out + r - 1 || memchr(out, ' ', r) == NULL)
		__builtin_trap(); /* one line, newline last */
	*nl = '\0';
	if (!*e.mount_point) {
		/* an empty mount point is no field: the line does not parse back */
		return;
	}
	if (shared_made_parse(out, &m) < 0 || m.id != e.id || m.was_slave != e.slave ||
	    strcmp(m.mount_point, e.mount_point) != 0 || strcmp(m.root, e.mount_point) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *p, *end;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (p = s; p < s + size; p = end + 1) {
		end = memchr(p, '\n', (size_t)(s + size - p));
		if (!end)
			end = s + size;
		one_line(p, strlen(p) < (size_t)(end - p) ? strlen(p) : (size_t)(end - p));
	}
	free(s);
	return 0;
}
