/* record.c - parser and checks for the record files of DESIGN.md */
#include "record.h"
#include "names.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int record_key_valid(const char *key, size_t n)
{
	size_t i;
	if (n == 0 || key[0] < 'a' || key[0] > 'z')
		return 0;
	for (i = 1; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int key_repeatable(const char *key)
{
	return strcmp(key, "fs") == 0 || strcmp(key, "bind") == 0 || strcmp(key, "mount") == 0;
}

/* The offset of the first byte of data that is not part of valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
 * len: the rule of Java's strict decoder, which reads the same records. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return i;
		/* the second byte's range excludes overlong forms, surrogates, > U+10FFFF */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (i + n >= len || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

int record_parse(struct record *r, const char *data, size_t len, char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned line = 0;

	r->nent = 0;
	if (len > RECORD_MAX_SIZE)
		return fail(err, errlen, "larger than %d bytes", RECORD_MAX_SIZE);
	if (memchr(data, '\0', len))
		return fail(err, errlen, "contains a NUL byte");
	if (len > 0 && data[len - 1] != '\n')
		return fail(err, errlen, "last line not terminated (truncated?)");
	if (utf8_invalid_at((const unsigned char *)data, len) != len)
		return fail(err, errlen, "not valid UTF-8");
	memcpy(r->text, data, len);
	r->text[len] = '\0';

	while (pos < len) {
		char *s = r->text + pos;
		char *nl = memchr(s, '\n', len - pos);
		char *eq;
		size_t ll, i;

		/* nl != NULL: the buffer ends with '\n' */
		ll = (size_t)(nl - s);
		line++;
		pos += ll + 1;
		if (ll > RECORD_MAX_LINE)
			return fail(err, errlen, "line %u: longer than %d bytes", line, RECORD_MAX_LINE);
		*nl = '\0';
		if (ll == 0 || s[0] == '#')
			continue;
		eq = memchr(s, '=', ll);
		if (!eq)
			return fail(err, errlen, "line %u: not key=value", line);
		if (!record_key_valid(s, (size_t)(eq - s)))
			return fail(err, errlen, "line %u: bad key", line);
		*eq = '\0';
		for (i = 0; i < r->nent; i++) {
			if (strcmp(r->ent[i].key, s) == 0 && !key_repeatable(s))
				return fail(err, errlen, "line %u: duplicate key %s", line, s);
		}
		if (r->nent == RECORD_MAX_ENTRIES)
			return fail(err, errlen, "line %u: more than %d entries", line, RECORD_MAX_ENTRIES);
		r->ent[r->nent].key = s;
		r->ent[r->nent].value = eq + 1;
		r->ent[r->nent].line = line;
		r->nent++;
	}
	return 0;
}

const char *record_get(const struct record *r, const char *key)
{
	size_t i;
	for (i = 0; i < r->nent; i++)
		if (strcmp(r->ent[i].key, key) == 0)
			return r->ent[i].value;
	return NULL;
}

/* yes/no flag; absent = def. Returns -1 on a bad value. */
static int flag(const struct record *r, const char *key, int def)
{
	const char *v = record_get(r, key);
	if (!v)
		return def;
	if (strcmp(v, "yes") == 0)
		return 1;
	if (strcmp(v, "no") == 0)
		return 0;
	return -1;
}

static int word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int name_char(char c)
{
	return word_char(c) || c == '.' || c == '-';
}

/* One user or group name of a list: [A-Za-z0-9_][A-Za-z0-9._-]{0,31} and an
 * optional trailing '$' (as SystemRecord.isListName) */
static int list_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && s[n - 1] == '$')
		n--;
	if (n < 1 || n > 32 || !word_char(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!name_char(s[i]))
			return 0;
	return 1;
}

/* A comma list whose every element passes ok(); "" is the empty list, an
 * empty element (",a", "a,,b", "a,") is refused. */
static int comma_list_ok(const char *v, int (*ok)(const char *, size_t))
{
	const char *p = v;

	if (*p == '\0')
		return 1;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (!ok(p, n))
			return 0;
		if (!c)
			return 1;
		p = c + 1;
	}
}

/* A comma list of names (users, groups) */
static int list_ok(const char *v)
{
	return comma_list_ok(v, list_name_ok);
}

/* A host file: [A-Za-z0-9_][A-Za-z0-9._-]*, at most 255 bytes (as
 * SystemRecord.isHostFile) */
static int hostfile_ok(const char *s, size_t n)
{
	return n > 0 && word_char(s[0]) && hostfile_name_ok(s, n);
}

static int hostfiles_ok(const char *v)
{
	return strcmp(v, "none") == 0 || comma_list_ok(v, hostfile_ok);
}

int record_abs_path_ok(const char *p)
{
	const char *c;
	size_t n = strlen(p);

	if (n < 2 || n > 4095 || p[0] != '/' || p[n - 1] == '/')
		return 0;
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	for (c = p; c; c = strchr(c + 1, '/')) {
		/* c points at a '/': the component after it */
		const char *s = c + 1;
		size_t l = strcspn(s, "/");
		if (l == 0 || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
	}
	return 1;
}

int record_system(const struct record *r, const char *expected, int any_state,
		  struct system_info *out, char *err, size_t errlen)
{
	const char *v;
	int f;

	memset(out, 0, sizeof *out);
	v = record_get(r, "version");
	if (!v || strcmp(v, "1") != 0)
		return fail(err, errlen, "version is not 1");
	v = record_get(r, "name");
	if (!v || strcmp(v, expected) != 0)
		return fail(err, errlen, "name does not match the file name");
	out->name = v;
	v = record_get(r, "state");
	if (!v)
		return fail(err, errlen, "no state");
	if (strcmp(v, "ready") != 0) {
		if (strcmp(v, "creating") != 0 && strcmp(v, "destroying") != 0)
			return fail(err, errlen, "bad state");
		if (!any_state)
			return fail(err, errlen, "state is %s, not ready", v);
	}
	if ((f = flag(r, "setuid", 0)) < 0)
		return fail(err, errlen, "setuid is not yes or no");
	out->setuid = f;
	if ((f = flag(r, "cwd_fallback", 0)) < 0)
		return fail(err, errlen, "cwd_fallback is not yes or no");
	out->cwd_fallback = f;
	v = record_get(r, "users");
	out->users = v ? v : "";
	if (!list_ok(out->users))
		return fail(err, errlen, "bad users list");
	v = record_get(r, "groups");
	out->groups = v ? v : "";
	if (!list_ok(out->groups))
		return fail(err, errlen, "bad groups list");
	v = record_get(r, "hostfiles");
	out->hostfiles = v ? v : RECORD_DEFAULT_HOSTFILES;
	if (!hostfiles_ok(out->hostfiles))
		return fail(err, errlen, "bad hostfiles list");
	v = record_get(r, "view");
	if (v && !record_abs_path_ok(v))
		return fail(err, errlen, "view is not an absolute normalised path");
	out->view = v;
	/* layer=: only session matters here (persistent is Java's: the overlay is
	 * R/NAME itself); the other values are Java's to check */
	v = record_get(r, "layer");
	out->session = v && strcmp(v, "session") == 0;
	return 0;
}

int record_alias(const struct record *r, const char *expected, const char **system,
		 char *err, size_t errlen)
{
	const char *v = record_get(r, "version");
	const char *why;
	if (!v || strcmp(v, "1") != 0)
		return fail(err, errlen, "version is not 1");
	v = record_get(r, "name");
	if (!v || strcmp(v, expected) != 0)
		return fail(err, errlen, "name does not match the file name");
	v = record_get(r, "system");
	if (!v)
		return fail(err, errlen, "no system");
	if ((why = name_check(v)) != NULL)
		return fail(err, errlen, "system name %s", why);
	*system = v;
	return 0;
}

int record_config(const struct record *r, struct config_info *out, char *err, size_t errlen)
{
	const char *v;
	int f;

	out->link = LINK_NAMESPACE;
	out->audit = 1;
	out->default_system[0] = '\0';
	if (!r)
		return 0;
	v = record_get(r, "default");
	if (v && v[0]) {
		if (name_check(v) || strlen(v) >= sizeof out->default_system)
			return fail(err, errlen, "default is not a valid system name");
		strcpy(out->default_system, v);
	}
	v = record_get(r, "link");
	if (v) {
		if (strcmp(v, "namespace") == 0)
			out->link = LINK_NAMESPACE;
		else if (strcmp(v, "kmod") == 0)
			out->link = LINK_KMOD;
		else
			return fail(err, errlen, "link is not namespace or kmod");
	}
	if ((f = flag(r, "audit", 1)) < 0)
		return fail(err, errlen, "audit is not yes or no");
	out->audit = f;
	return 0;
}
