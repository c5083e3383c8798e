/* records.c - the record corpus tests/records/ read by the C parser (record.c).
 *
 *   record-corpus DIR     DIR = tests/records
 *
 * Each DIR/ok/KIND-NAME.conf (KIND system, alias or config; NAME the file
 * name the record is checked against) must parse and give the canonical dump
 * of DIR/ok/KIND-NAME.conf.expect (docs/DESIGN.md, "The corpus"); each
 * DIR/bad/KIND-PROBLEM.conf must be refused, except one whose first line is
 * "# refused-by: java" (its problem is in a key the C readers skip), which
 * must be accepted. The Java side is RecordCorpusTest. Prints one line per
 * failure and "records: N passed, M failed"; exit 1 on a failure. */
#include "record.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JAVA_ONLY "# refused-by: java\n"

static struct record rec;
static int passed, failed;

struct buf {
	char s[1 << 20];
	size_t n;
};

static struct buf dump, expect;

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof b->s - b->n) {
		fprintf(stderr, "records: dump too large\n");
		exit(1);
	}
	b->n += (size_t)r;
}

/* a value as the dump writes it: printable ASCII but '\' as is, '\' as
 * "\\", every other byte as \xHH */
static void put_value(struct buf *b, const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '\\')
			put(b, "\\\\");
		else if (*p >= 0x20 && *p <= 0x7e)
			put(b, "%c", *p);
		else
			put(b, "\\x%02x", *p);
	}
}

static void put_fact(struct buf *b, const char *kind, const char *key, const char *v)
{
	put(b, "%s %s=", kind, key);
	put_value(b, v);
	put(b, "\n");
}

static size_t read_file(const char *path, char *data, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		exit(1);
	}
	n = fread(data, 1, cap, f);
	fclose(f);
	return n;
}

/* Parses file (KIND-NAME.conf) as its kind; 0 and the dump in `dump`, or -1
 * with the reason in err. */
static int parse_as_kind(const char *dir, const char *file, char *err, size_t errlen)
{
	static char data[RECORD_MAX_SIZE + 2];
	char path[8192], kind[16], name[256];
	const char *dash = strchr(file, '-');
	size_t n, i, kl;

	if (!dash || (kl = (size_t)(dash - file)) >= sizeof kind ||
	    strlen(dash + 1) - 5 >= sizeof name) {
		snprintf(err, errlen, "not named KIND-NAME.conf");
		return -1;
	}
	memcpy(kind, file, kl);
	kind[kl] = '\0';
	memcpy(name, dash + 1, strlen(dash + 1) - 5);
	name[strlen(dash + 1) - 5] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, file);
	/* one byte more than a record may have: the parser refuses it */
	n = read_file(path, data, sizeof data - 1);
	dump.n = 0;
	if (record_parse(&rec, data, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < rec.nent; i++) {
		put(&dump, "entry %u %s=", rec.ent[i].line, rec.ent[i].key);
		put_value(&dump, rec.ent[i].value);
		put(&dump, "\n");
	}
	if (strcmp(kind, "system") == 0) {
		struct system_info si;
		/* any state, as vsys-view reads it (the launcher then wants ready) */
		if (record_system(&rec, name, 1, &si, err, errlen) < 0)
			return -1;
		put_fact(&dump, "system", "name", si.name);
		put_fact(&dump, "system", "state", record_get(&rec, "state"));
		put_fact(&dump, "system", "setuid", si.setuid ? "yes" : "no");
		put_fact(&dump, "system", "cwd_fallback", si.cwd_fallback ? "yes" : "no");
		put_fact(&dump, "system", "users", si.users);
		put_fact(&dump, "system", "groups", si.groups);
		put_fact(&dump, "system", "hostfiles", si.hostfiles);
		put_fact(&dump, "system", "view", si.view ? si.view : "-");
	} else if (strcmp(kind, "alias") == 0) {
		const char *sys;
		if (record_alias(&rec, name, &sys, err, errlen) < 0)
			return -1;
		put_fact(&dump, "alias", "name", record_get(&rec, "name"));
		put_fact(&dump, "alias", "system", sys);
	} else if (strcmp(kind, "config") == 0) {
		struct config_info ci;
		if (record_config(&rec, &ci, err, errlen) < 0)
			return -1;
		put_fact(&dump, "config", "link", ci.link == LINK_KMOD ? "kmod" : "namespace");
		put_fact(&dump, "config", "audit", ci.audit ? "yes" : "no");
		put_fact(&dump, "config", "default", ci.default_system);
	} else {
		snprintf(err, errlen, "unknown kind %s", kind);
		return -1;
	}
	return 0;
}

static int is_conf(const char *f)
{
	size_t n = strlen(f);
	return f[0] != '.' && n > 5 && strcmp(f + n - 5, ".conf") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void fail_file(const char *dir, const char *file, const char *why)
{
	printf("FAIL %s/%s: %s\n", dir, file, why);
	failed++;
}

/* a good file: parsed, and its dump is the .expect file's */
static void check_ok(const char *dir, const char *f)
{
	char err[512], path[8192];

	if (parse_as_kind(dir, f, err, sizeof err) < 0) {
		fail_file(dir, f, err);
		return;
	}
	snprintf(path, sizeof path, "%s/%s.expect", dir, f);
	expect.n = read_file(path, expect.s, sizeof expect.s);
	if (expect.n != dump.n || memcmp(expect.s, dump.s, dump.n) != 0) {
		fail_file(dir, f, "dump differs from the .expect file; C gives:");
		fwrite(dump.s, 1, dump.n, stdout);
	} else {
		passed++;
	}
}

/* a bad file: refused, unless its first line says only Java reads the key at fault */
static void check_bad(const char *dir, const char *f)
{
	char err[512], path[8192], head[sizeof JAVA_ONLY];
	size_t hn;
	int java_only;

	snprintf(path, sizeof path, "%s/%s", dir, f);
	hn = read_file(path, head, sizeof head - 1);
	head[hn] = '\0';
	java_only = strcmp(head, JAVA_ONLY) == 0;
	if (parse_as_kind(dir, f, err, sizeof err) == 0) {
		if (java_only)
			passed++;
		else
			fail_file(dir, f, "accepted, should be refused");
	} else if (java_only) {
		char why[600];
		snprintf(why, sizeof why, "refused (%s), but its problem is in a key only Java reads", err);
		fail_file(dir, f, why);
	} else {
		passed++;
	}
}

/* every .conf file of DIR, in name order */
static void for_each_conf(const char *dir, void (*check)(const char *, const char *))
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name), i;

	if (n < 0) {
		perror(dir);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (is_conf(ents[i]->d_name))
			check(dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	char ok[4096], bad[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: record-corpus DIR\n");
		return 2;
	}
	snprintf(ok, sizeof ok, "%s/ok", argv[1]);
	snprintf(bad, sizeof bad, "%s/bad", argv[1]);
	for_each_conf(ok, check_ok);
	for_each_conf(bad, check_bad);
	printf("records: %d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
