/* mountinfo.c - the mountinfo and shared-made line parsers (mountinfo.h). */
#include "mountinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_octal(char c)
{
	return c >= '0' && c <= '7';
}

void mountinfo_unescape(char *s)
{
	char *d = s;
	while (*s) {
		if (s[0] == '\\' && is_octal(s[1]) && is_octal(s[2]) && is_octal(s[3])) {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

int mountinfo_escape(char *dst, size_t n, const char *path)
{
	size_t o = 0;

	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;
		if (c <= ' ' || c == 0x7f || c == '\\') {
			if (o + 4 >= n)
				return -1;
			dst[o++] = '\\';
			dst[o++] = (char)('0' + ((c >> 6) & 7));
			dst[o++] = (char)('0' + ((c >> 3) & 7));
			dst[o++] = (char)('0' + (c & 7));
		} else {
			if (o + 1 >= n)
				return -1;
			dst[o++] = (char)c;
		}
	}
	if (n == 0)
		return -1;
	dst[o] = '\0';
	return 0;
}

int mountinfo_parse(char *line, struct mountinfo_entry *e)
{
	char *save = NULL, *tok, *end;
	int i;

	memset(e, 0, sizeof *e);
	tok = strtok_r(line, " \n", &save);
	if (!tok)
		return -1;
	e->id = strtoull(tok, &end, 10);
	if (end == tok || *end || tok[0] == '-' || tok[0] == '+') {
		e->id = 0;
		return -1;
	}
	for (i = 1; (tok = strtok_r(NULL, " \n", &save)) != NULL; i++) {
		if (i == 1) {
			e->parent = strtoull(tok, &end, 10);
			if (end == tok || *end || tok[0] == '-' || tok[0] == '+')
				e->parent = 0;
		}
		if (i == 4)
			e->mount_point = tok;
		if (i < 6)
			continue;
		if (strcmp(tok, "-") == 0)
			break;
		if (strncmp(tok, "shared:", 7) == 0)
			e->shared = 1;
		if (strncmp(tok, "master:", 7) == 0)
			e->slave = 1;
	}
	if (!e->mount_point)
		return -1;
	mountinfo_unescape(e->mount_point);
	return 0;
}

int shared_made_parse(const char *line, struct shared_made_entry *e)
{
	char was[16];
	int n;

	memset(e, 0, sizeof *e);
	n = sscanf(line, "%llu %15s %4095s %4095s", &e->id, was, e->mount_point, e->root);
	if (n != 3 && n != 4)
		return -1;
	e->was_slave = strcmp(was, "slave") == 0;
	mountinfo_unescape(e->mount_point);
	mountinfo_unescape(e->root);
	return 0;
}

int shared_made_format(char *dst, size_t n, unsigned long long id, int was_slave,
		       const char *mount_point, const char *root)
{
	char esc[4096], resc[4096];
	int r;

	if (mountinfo_escape(esc, sizeof esc, mount_point) < 0 ||
	    mountinfo_escape(resc, sizeof resc, root ? root : "") < 0)
		return -1;
	r = snprintf(dst, n, "%llu %s %s%s%s\n", id, was_slave ? "slave" : "private", esc,
		     *resc ? " " : "", resc);
	if (r < 0 || (size_t)r >= n)
		return -1;
	return r;
}
