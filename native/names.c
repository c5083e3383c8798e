/* names.c - name checks, list matching, environment scrub and argv parsing */
#include "names.h"

#include <string.h>

const char *name_check(const char *s)
{
	size_t i, n;

	if (!s || s[0] == '\0')
		return "empty name";
	n = strnlen(s, NAME_MAX_LEN + 1);
	if (n > NAME_MAX_LEN)
		return "name longer than 64 bytes";
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (i == 0 && !alnum)
			return "invalid name";
		if (!alnum && c != '.' && c != '_' && c != '-')
			return "invalid name";
	}
	if (strcmp(s, "bin") == 0 || strcmp(s, "etc") == 0)
		return "reserved name";
	return NULL;
}

int list_contains(const char *list, const char *item)
{
	size_t il = strlen(item);
	const char *p = list;

	if (il == 0)
		return 0;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n == il && memcmp(p, item, n) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* glibc's unsecure list (sysdeps/generic/unsecvars.h) plus shell startup hooks */
static const char *const unsafe_names[] = {
	"GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
	"NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR",
	"TZDIR", "GLIBC_TUNABLES",
	"IFS", "ENV", "BASH_ENV", "SHELLOPTS", "PS4",
};

static const char *const unsafe_prefixes[] = { "LD_", "MALLOC_" };

int env_unsafe(const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t n, i;

	if (!eq || eq == entry)
		return 1; /* not NAME=VALUE */
	n = (size_t)(eq - entry);
	for (i = 0; i < sizeof unsafe_names / sizeof unsafe_names[0]; i++)
		if (strlen(unsafe_names[i]) == n && memcmp(entry, unsafe_names[i], n) == 0)
			return 1;
	for (i = 0; i < sizeof unsafe_prefixes / sizeof unsafe_prefixes[0]; i++) {
		size_t pl = strlen(unsafe_prefixes[i]);
		if (n >= pl && memcmp(entry, unsafe_prefixes[i], pl) == 0)
			return 1;
	}
	return 0;
}

int hostfile_name_ok(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || n > 255)
		return 0;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

int env_value_sane(const char *s)
{
	size_t i;
	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
			 c == '+' || c == '@';
		if (!ok || i >= 64)
			return 0;
	}
	return 1;
}

const char *parse_invocation(int argc, char *const argv[], const char *vsys_env,
			     struct invocation *inv)
{
	const char *base, *slash, *why;

	memset(inv, 0, sizeof *inv);
	if (argc < 1 || !argv[0])
		return "no program name";
	slash = strrchr(argv[0], '/');
	base = slash ? slash + 1 : argv[0];
	if (strcmp(base, "bin") == 0) {
		if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
			inv->form = FORM_HELP;
			return NULL;
		}
		if (!vsys_env)
			return "usage";
		inv->name = vsys_env;
	} else {
		inv->name = base;
	}
	if ((why = name_check(inv->name)) != NULL)
		return why;
	if (argc < 2) {
		inv->form = FORM_SHELL;
	} else if (strcmp(argv[1], "-sh") == 0) {
		inv->form = FORM_LOGIN;
		inv->cmd_index = 2;
	} else {
		inv->form = FORM_COMMAND;
		inv->cmd_index = 1;
	}
	return NULL;
}
