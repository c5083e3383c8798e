/* libFuzzer harness: name checks, list matching, env scrub, argv parsing. */
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *half;
	struct invocation inv;
	char *argv[3];
	const char *why;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	why = name_check(s);
	/* a valid name never holds '/' and is never ".." */
	if (!why && (strchr(s, '/') || strcmp(s, "..") == 0 || strlen(s) > NAME_MAX_LEN))
		__builtin_trap();
	(void)env_unsafe(s);
	(void)env_value_sane(s);
	(void)hostfile_name_ok(s, strlen(s));
	half = s + strlen(s) / 2;
	(void)list_contains(s, half);
	argv[0] = s;
	argv[1] = half;
	argv[2] = NULL;
	why = parse_invocation(2, argv, half, &inv);
	if (!why && inv.form != FORM_HELP && name_check(inv.name) != NULL)
		__builtin_trap();
	free(s);
	return 0;
}
