/* libFuzzer harness: the selection file (~/.vsys) rules and the audit
 * record's escaping, both fed by a user: the input is the selection file's
 * content, and, split at its first NUL-free thirds, the cwd, a command word
 * and a name as they would reach vsys_audit_format. */
#include "enter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vsys_entry e;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[VSYS_AUDIT_MAX];
	char name[NAME_MAX_LEN + 1], *buf, *argv[3];
	const char *why;
	size_t third = size / 3, len, i;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	why = vsys_selection_parse(buf, size, name, sizeof name);
	if (!why && (name_check(name) || strchr(name, '\n') || strchr(name, '/')))
		__builtin_trap();

	/* the audit record: three user-controlled strings (cut at a NUL) */
	buf[size] = '\0';
	vsys_entry_init(&e);
	len = strnlen(buf, third);
	memcpy(e.cwd, buf, len < sizeof e.cwd ? len : sizeof e.cwd - 1);
	e.cwd[len < sizeof e.cwd ? len : sizeof e.cwd - 1] = '\0';
	argv[0] = buf + third;
	buf[third * 2] = '\0';
	argv[1] = buf + third * 2;
	argv[2] = NULL;
	memcpy(e.user.name, "u", 2);
	len = vsys_audit_format(&e, argv[1], "(shell)", argv, size & 1 ? argv[0] : NULL, line,
				sizeof line);
	if (len >= sizeof line || strlen(line) != len)
		__builtin_trap();
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
			__builtin_trap();
	free(buf);
	return 0;
}
