/* names.h - name checks, list matching, environment scrub, argv parsing */
#ifndef VSYS_NAMES_H
#define VSYS_NAMES_H

#include <stddef.h>

#define NAME_MAX_LEN 64

/* NULL when s is a valid system/alias name, else the reason. */
const char *name_check(const char *s);

/* Is item one of the elements of the comma list? (exact, empty elements ignored) */
int list_contains(const char *list, const char *item);

/* Must this environment entry ("KEY=VALUE") be removed before anything privileged? */
int env_unsafe(const char *entry);

/* Is a host file name (hostfiles= element) acceptable: a plain file name. */
int hostfile_name_ok(const char *s, size_t n);

/* Is s a sane value for TERM / LANG (printable, short, no '/' ...). */
int env_value_sane(const char *s);

enum launch_form { FORM_COMMAND, FORM_SHELL, FORM_LOGIN, FORM_HELP };

struct invocation {
	const char *name;     /* the system or alias name (unvalidated against records) */
	enum launch_form form;
	int cmd_index;        /* FORM_COMMAND: argv[cmd_index] is the command;
				 FORM_LOGIN: extra shell args start here */
};

/* Parse argv as the launcher does. vsys_env is the value of VSYS (or NULL).
 * Returns NULL, or the one-line reason of the refusal. */
const char *parse_invocation(int argc, char *const argv[], const char *vsys_env,
			     struct invocation *inv);

#endif
