/* unit.c - tests of the pure helpers: record parser, name checks, option parsing */
#include "names.h"
#include "record.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond) do { \
	if (cond) { passed++; } \
	else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

static struct record rec;
static char err[256];

static int parse(const char *s)
{
	return record_parse(&rec, s, strlen(s), err, sizeof err);
}

static void test_record_parse(void)
{
	char *big;

	CHECK(parse("") == 0 && rec.nent == 0);
	CHECK(parse("a=1\n# comment\n\nb.c_d=x=y\n") == 0 && rec.nent == 2);
	CHECK(strcmp(record_get(&rec, "b.c_d"), "x=y") == 0);
	CHECK(record_get(&rec, "zz") == NULL);
	CHECK(parse("a=\n") == 0 && strcmp(record_get(&rec, "a"), "") == 0);
	CHECK(parse("a=1 \n") == 0 && strcmp(record_get(&rec, "a"), "1 ") == 0);
	CHECK(parse("a=1") < 0 && strstr(err, "terminated"));
	CHECK(parse("a=1\nb=2") < 0);
	CHECK(record_parse(&rec, "a=1\0\n", 5, err, sizeof err) < 0 && strstr(err, "NUL"));
	CHECK(parse("A=1\n") < 0 && strstr(err, "bad key"));
	CHECK(parse("1a=1\n") < 0);
	CHECK(parse("=1\n") < 0);
	CHECK(parse("a-b=1\n") < 0);
	CHECK(parse(" a=1\n") < 0);
	CHECK(parse("novalue\n") < 0 && strstr(err, "key=value"));
	CHECK(parse("a=1\na=2\n") < 0 && strstr(err, "duplicate"));
	CHECK(parse("fs=/ a ro\nfs=/x b ro\nbind=/a\nbind=/b\nmount=1\nmount=2\n") == 0 &&
	      rec.nent == 6);
	CHECK(strcmp(record_get(&rec, "fs"), "/ a ro") == 0);
	CHECK(parse("# only a comment\n") == 0 && rec.nent == 0);
	CHECK(parse("\n\n\n") == 0);
	CHECK(parse("a=1\r\n") == 0 && strcmp(record_get(&rec, "a"), "1\r") == 0);

	big = malloc(RECORD_MAX_SIZE + 10);
	/* a line of exactly RECORD_MAX_LINE bytes is fine, one more is not */
	memset(big, 'x', RECORD_MAX_LINE);
	memcpy(big, "k=", 2);
	big[RECORD_MAX_LINE] = '\n';
	CHECK(record_parse(&rec, big, RECORD_MAX_LINE + 1, err, sizeof err) == 0);
	memset(big, 'x', RECORD_MAX_LINE + 1);
	memcpy(big, "k=", 2);
	big[RECORD_MAX_LINE + 1] = '\n';
	CHECK(record_parse(&rec, big, RECORD_MAX_LINE + 2, err, sizeof err) < 0 &&
	      strstr(err, "longer"));
	/* size limit */
	memset(big, '\n', RECORD_MAX_SIZE + 1);
	CHECK(record_parse(&rec, big, RECORD_MAX_SIZE, err, sizeof err) == 0);
	CHECK(record_parse(&rec, big, RECORD_MAX_SIZE + 1, err, sizeof err) < 0 &&
	      strstr(err, "larger"));
	/* entry limit */
	{
		size_t i, n = 0;
		for (i = 0; i < RECORD_MAX_ENTRIES + 1; i++) {
			memcpy(big + n, "fs=1\n", 5);
			n += 5;
		}
		CHECK(record_parse(&rec, big, n - 5, err, sizeof err) == 0 &&
		      rec.nent == RECORD_MAX_ENTRIES);
		CHECK(record_parse(&rec, big, n, err, sizeof err) < 0 && strstr(err, "entries"));
	}
	free(big);
	CHECK(record_key_valid("a", 1));
	CHECK(record_key_valid("nfs.options", 11));
	CHECK(!record_key_valid("", 0));
	CHECK(!record_key_valid("_a", 2));
	CHECK(!record_key_valid("aB", 2));
}

static const char *good_system =
	"version=1\nname=host\nstate=ready\ncreated=2026-11-22T02:30:00Z\n"
	"fs=/ dir:/srv/host ro\nsetuid=no\nusers=\ngroups=\ncwd_fallback=no\n"
	"hostfiles=passwd,group,hosts,resolv.conf,localtime\nfuture.key=ignored\n";

static void test_record_system(void)
{
	struct system_info si;
	char buf[1024];

	CHECK(parse(good_system) == 0);
	CHECK(record_system(&rec, "host", 0, &si, err, sizeof err) == 0);
	CHECK(!si.setuid && !si.cwd_fallback && si.users[0] == '\0' && si.groups[0] == '\0');
	CHECK(strcmp(si.hostfiles, "passwd,group,hosts,resolv.conf,localtime") == 0);
	CHECK(record_system(&rec, "other", 0, &si, err, sizeof err) < 0 && strstr(err, "name"));

	CHECK(parse("version=1\nname=h\nstate=ready\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) == 0);
	CHECK(strcmp(si.hostfiles, "passwd,group,hosts,resolv.conf,localtime") == 0);
	CHECK(parse("version=2\nname=h\nstate=ready\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "version"));
	CHECK(parse("name=h\nstate=ready\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "state"));
	CHECK(parse("version=1\nname=h\nstate=creating\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "creating"));
	CHECK(record_system(&rec, "h", 1, &si, err, sizeof err) == 0);
	CHECK(parse("version=1\nname=h\nstate=destroying\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\nstate=weird\n") == 0);
	CHECK(record_system(&rec, "h", 1, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nsetuid=yes\ncwd_fallback=yes\n"
		    "users=a,b\ngroups=g\nhostfiles=none\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) == 0);
	CHECK(si.setuid && si.cwd_fallback && strcmp(si.users, "a,b") == 0 &&
	      strcmp(si.hostfiles, "none") == 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nsetuid=Yes\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "setuid"));
	CHECK(parse("version=1\nname=h\nstate=ready\ncwd_fallback=1\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nhostfiles=../shadow\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "hostfiles"));
	CHECK(parse("version=1\nname=h\nstate=ready\nhostfiles=a/b\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nhostfiles=passwd,,group\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nusers=a b\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "users"));
	snprintf(buf, sizeof buf, "version=1\nname=h\nstate=ready\nstate=ready\n");
	CHECK(parse(buf) < 0);
}

static void test_record_view(void)
{
	static const char *const bad[] = { "", "/", "rel/path", "/a//b", "/a/./b", "/a/../b",
		"/a/..", "/a/.", "/a/", "/./a", "/../a", "//a", "/a\tb", "/a\x7f" };
	struct system_info si;
	char buf[256];
	size_t i;

	CHECK(parse("version=1\nname=h\nstate=ready\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) == 0 && si.view == NULL);
	CHECK(parse("version=1\nname=h\nstate=ready\nview=/OS/.store/checkouts/abc\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) == 0 &&
	      strcmp(si.view, "/OS/.store/checkouts/abc") == 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nview=/a/..b/.c/d..\n") == 0);
	CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) == 0);
	CHECK(parse("version=1\nname=h\nstate=ready\nview=/a\nview=/b\n") < 0 &&
	      strstr(err, "duplicate key view"));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(buf, sizeof buf, "version=1\nname=h\nstate=ready\nview=%s\n", bad[i]);
		CHECK(parse(buf) == 0);
		CHECK(record_system(&rec, "h", 0, &si, err, sizeof err) < 0 && strstr(err, "view"));
		CHECK(!record_abs_path_ok(bad[i]));
	}
	CHECK(record_abs_path_ok("/x") && record_abs_path_ok("/OS/.store/a b"));
}

static void test_record_alias_config(void)
{
	const char *sys = NULL;
	struct config_info ci;

	CHECK(parse("version=1\nname=al\nsystem=host\n") == 0);
	CHECK(record_alias(&rec, "al", &sys, err, sizeof err) == 0 && strcmp(sys, "host") == 0);
	CHECK(record_alias(&rec, "xx", &sys, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=al\n") == 0);
	CHECK(record_alias(&rec, "al", &sys, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=al\nsystem=../x\n") == 0);
	CHECK(record_alias(&rec, "al", &sys, err, sizeof err) < 0);
	CHECK(parse("version=1\nname=al\nsystem=bin\n") == 0);
	CHECK(record_alias(&rec, "al", &sys, err, sizeof err) < 0);

	CHECK(record_config(NULL, &ci, err, sizeof err) == 0 && ci.link == LINK_NAMESPACE && ci.audit);
	CHECK(parse("link=kmod\naudit=no\nbind=/scratch\nbind=/data\nnfs.options=vers=4.1\n") == 0);
	CHECK(record_config(&rec, &ci, err, sizeof err) == 0 && ci.link == LINK_KMOD && !ci.audit);
	CHECK(parse("link=nfs\n") == 0);
	CHECK(record_config(&rec, &ci, err, sizeof err) < 0);
	CHECK(parse("audit=maybe\n") == 0);
	CHECK(record_config(&rec, &ci, err, sizeof err) < 0);
}

static void test_names(void)
{
	char longname[5001];

	CHECK(name_check("host") == NULL);
	CHECK(name_check("Debian-12.x_y") == NULL);
	CHECK(name_check("0") == NULL);
	CHECK(name_check(NULL) != NULL);
	CHECK(name_check("") != NULL);
	CHECK(name_check(".hidden") != NULL);
	CHECK(name_check("..") != NULL);
	CHECK(name_check("-x") != NULL);
	CHECK(name_check("_x") != NULL);
	CHECK(name_check("a/b") != NULL);
	CHECK(name_check("a b") != NULL);
	CHECK(name_check("a\nb") != NULL);
	CHECK(name_check("h\xc3\xa9") != NULL);
	CHECK(name_check("bin") != NULL && strstr(name_check("bin"), "reserved"));
	CHECK(name_check("etc") != NULL);
	CHECK(name_check("Bin") == NULL);
	memset(longname, 'a', 64);
	longname[64] = '\0';
	CHECK(name_check(longname) == NULL);
	longname[64] = 'a';
	longname[65] = '\0';
	CHECK(name_check(longname) != NULL);
	memset(longname, 'a', 5000);
	longname[5000] = '\0';
	CHECK(name_check(longname) != NULL);

	CHECK(list_contains("a,b,c", "b"));
	CHECK(list_contains("a,b,c", "a"));
	CHECK(list_contains("a,b,c", "c"));
	CHECK(!list_contains("ab,c", "a"));
	CHECK(!list_contains("a,b", "a,b"));
	CHECK(!list_contains("", "a"));
	CHECK(!list_contains("a,,b", ""));
	CHECK(list_contains(",a,", "a"));

	CHECK(hostfile_name_ok("resolv.conf", 11));
	CHECK(!hostfile_name_ok("..", 2));
	CHECK(!hostfile_name_ok(".", 1));
	CHECK(!hostfile_name_ok("a/b", 3));
	CHECK(!hostfile_name_ok("", 0));

	CHECK(env_value_sane("xterm-256color"));
	CHECK(env_value_sane("en_US.UTF-8"));
	CHECK(!env_value_sane(""));
	CHECK(!env_value_sane("../../x"));
	CHECK(!env_value_sane("a b"));
	CHECK(!env_value_sane("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_env(void)
{
	CHECK(env_unsafe("LD_PRELOAD=/tmp/x.so"));
	CHECK(env_unsafe("LD_LIBRARY_PATH=/tmp"));
	CHECK(env_unsafe("LD_="));
	CHECK(env_unsafe("MALLOC_CHECK_=3"));
	CHECK(env_unsafe("GCONV_PATH=/tmp"));
	CHECK(env_unsafe("GLIBC_TUNABLES=glibc.x=1"));
	CHECK(env_unsafe("TMPDIR=/tmp"));
	CHECK(env_unsafe("TZDIR=/tmp"));
	CHECK(env_unsafe("NLSPATH=/x"));
	CHECK(env_unsafe("IFS= "));
	CHECK(env_unsafe("BASH_ENV=/x"));
	CHECK(env_unsafe("ENV=/x"));
	CHECK(env_unsafe("SHELLOPTS=xtrace"));
	CHECK(env_unsafe("PS4=$(x)"));
	CHECK(env_unsafe("HOSTALIASES=/x"));
	CHECK(env_unsafe("RES_OPTIONS=x"));
	CHECK(env_unsafe("LOCPATH=/x"));
	CHECK(env_unsafe("NOEQUALS"));
	CHECK(env_unsafe("=value"));
	CHECK(env_unsafe(""));
	CHECK(!env_unsafe("PATH=/bin"));
	CHECK(!env_unsafe("HOME=/home/x"));
	CHECK(!env_unsafe("LDX=1"));
	CHECK(!env_unsafe("LD=1"));
	CHECK(!env_unsafe("IFSX=1"));
	CHECK(!env_unsafe("VSYS=host"));
	CHECK(!env_unsafe("EMPTY="));
}

static void test_invocation(void)
{
	struct invocation inv;
	char *a1[] = { "/OS/bin/host", NULL };
	char *a2[] = { "/OS/bin/host", "cc", "prog.c", NULL };
	char *a3[] = { "host", "-sh", NULL };
	char *a4[] = { "/OS/bin/bin", "id", NULL };
	char *a5[] = { "bin", "--help", NULL };
	char *a6[] = { "", NULL };
	char *a7[] = { "/OS/bin/", NULL };
	char *a8[] = { "a/..", NULL };
	char *a9[] = { "/OS/bin/.hidden", NULL };
	char *a10[] = { NULL };
	char *a11[] = { "./etc", NULL };
	static char longarg[5001];
	char *a12[] = { longarg, NULL };

	CHECK(parse_invocation(1, a1, NULL, &inv) == NULL && strcmp(inv.name, "host") == 0 &&
	      inv.form == FORM_SHELL);
	CHECK(parse_invocation(3, a2, "other", &inv) == NULL && strcmp(inv.name, "host") == 0 &&
	      inv.form == FORM_COMMAND && inv.cmd_index == 1);
	CHECK(parse_invocation(2, a3, NULL, &inv) == NULL && inv.form == FORM_LOGIN &&
	      inv.cmd_index == 2);
	CHECK(parse_invocation(2, a4, "host", &inv) == NULL && strcmp(inv.name, "host") == 0 &&
	      inv.form == FORM_COMMAND);
	CHECK(parse_invocation(2, a4, NULL, &inv) != NULL &&
	      strcmp(parse_invocation(2, a4, NULL, &inv), "usage") == 0);
	CHECK(parse_invocation(2, a4, "../x", &inv) != NULL);
	CHECK(parse_invocation(2, a4, "bin", &inv) != NULL);
	CHECK(parse_invocation(2, a4, "", &inv) != NULL);
	CHECK(parse_invocation(2, a5, NULL, &inv) == NULL && inv.form == FORM_HELP);
	CHECK(parse_invocation(1, a6, NULL, &inv) != NULL);
	CHECK(parse_invocation(1, a7, NULL, &inv) != NULL);
	CHECK(parse_invocation(1, a8, NULL, &inv) != NULL);
	CHECK(parse_invocation(1, a9, NULL, &inv) != NULL);
	CHECK(parse_invocation(0, a10, NULL, &inv) != NULL);
	CHECK(parse_invocation(1, a11, NULL, &inv) != NULL);
	memset(longarg, 'a', 5000);
	CHECK(parse_invocation(1, a12, NULL, &inv) != NULL);
}

int main(void)
{
	die_prefix = "unit";
	test_record_parse();
	test_record_system();
	test_record_view();
	test_record_alias_config();
	test_names();
	test_env();
	test_invocation();
	printf("native: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
