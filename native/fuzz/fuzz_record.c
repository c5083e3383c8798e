/* libFuzzer harness: the record parser and the system/alias/config checks.
 * Run briefly with `make fuzz-run FUZZ_SECONDS=30`, for hours with
 * `build/fuzz/fuzz-record -max_len=70000 build/fuzz/corpus-record`. */
#include "record.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct record rec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct system_info si;
	struct config_info ci;
	const char *sys;
	size_t i;

	if (record_parse(&rec, (const char *)data, size, err, sizeof err) < 0)
		return 0;
	/* every entry points inside the copy, keys are valid */
	for (i = 0; i < rec.nent; i++) {
		if (!record_key_valid(rec.ent[i].key, strlen(rec.ent[i].key)))
			__builtin_trap();
		if (strchr(rec.ent[i].value, '\n'))
			__builtin_trap();
	}
	(void)record_system(&rec, "host", 0, &si, err, sizeof err);
	(void)record_system(&rec, "host", 1, &si, err, sizeof err);
	(void)record_alias(&rec, "al", &sys, err, sizeof err);
	(void)record_config(&rec, &ci, err, sizeof err);
	return 0;
}
