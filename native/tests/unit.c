/* unit.c - tests of the pure helpers: record parser, name checks, option parsing,
 * the passwd/group parsers, group lists, the selection file, the fd-closing fallback,
 * vsys-view's mountinfo and shared-made lines, read_all */
#include "enter.h"
#include "mountinfo.h"
#include "names.h"
#include "userdb.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
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

/* --- userdb.c: the passwd and group parsers ------------------------------ */
static int pw_find(const char *db, unsigned uid, struct userdb_user *u)
{
	return userdb_passwd_find(db, strlen(db), (uid_t)uid, u);
}

static void test_userdb(void)
{
	struct userdb_user u;
	gid_t g;
	char big[5000];
	const char *db = "# comment\n+nis:x:0:0::/:/bin/sh\nroot:x:0:0:root:/root:/bin/bash\n"
			 "bad:x:12a:0::/:/bin/sh\nshort:x:13:0\nlong:x:14:0::/:/bin/sh:extra\n"
			 "alice:x:1000:1000:Alice:/home/alice:/bin/zsh\ndup:x:1000:5::/x:/bin/sh\n"
			 "nohome:x:1001:1001:::\n:x:1002:0::/:/bin/sh\nbig:x:4294967296:0::/:/bin/sh\n"
			 "last:x:1003:7::/home/last:/bin/sh";

	CHECK(pw_find(db, 0, &u) && strcmp(u.name, "root") == 0 && strcmp(u.shell, "/bin/bash") == 0);
	CHECK(pw_find(db, 1000, &u) && strcmp(u.name, "alice") == 0 && u.gid == 1000 &&
	      strcmp(u.home, "/home/alice") == 0);             /* first entry wins */
	CHECK(pw_find(db, 1001, &u) && strcmp(u.home, "/") == 0 && strcmp(u.shell, "/bin/sh") == 0);
	CHECK(!pw_find(db, 12, &u));                            /* non-decimal id */
	CHECK(!pw_find(db, 13, &u));                            /* 4 fields */
	CHECK(!pw_find(db, 14, &u));                            /* 8 fields */
	CHECK(!pw_find(db, 1002, &u));                          /* empty name */
	CHECK(!pw_find(db, 4294967295u, &u)); /* the > 32-bit id is skipped, not wrapped */
	CHECK(pw_find(db, 1003, &u) && strcmp(u.name, "last") == 0); /* no final '\n' */
	CHECK(userdb_passwd_find("a:x:5:5::/h:/s\n", 3, 5, &u) == 0); /* len bounds the scan */
	CHECK(userdb_passwd_find("a:x:5:5::/h\0:/s\n", 15, 5, &u) == 0); /* NUL in a field */
	memset(big, 'a', sizeof big);
	memcpy(big, "x:x:9:9::", 9);
	big[sizeof big - 1] = '\n';
	CHECK(userdb_passwd_find(big, sizeof big, 9, &u) == 0);  /* home too long for the struct */

	CHECK(userdb_group_find("a:x:1:\nvsys:x:42:u1,u2\n", 23, "vsys", &g) && g == 42);
	CHECK(!userdb_group_find("vsys:x:4x:\n", 11, "vsys", &g));
	CHECK(!userdb_group_find("vsysx:x:4:\n", 11, "vsys", &g));
	CHECK(!userdb_group_find("vsy:x:4:\n", 9, "vsys", &g));
	CHECK(!userdb_group_find("+vsys:x:4:\n", 11, "vsys", &g));
	CHECK(!userdb_group_find("vsys:x:4:a:b\n", 13, "vsys", &g));
	CHECK(userdb_group_find("vsys:x:4\n", 9, "vsys", &g) && g == 4);
	CHECK(!userdb_group_find(":x:4:\n", 6, "", &g));
}

/* --- enter.c: group lists, the selection file ----------------------------- */
static void test_groups(void)
{
	gid_t a[] = { 3, 1, 2 }, b[] = { 1, 2, 3 }, c[] = { 1, 1, 2 }, d[] = { 1, 2, 2 };

	CHECK(vsys_groups_equal(a, 3, b, 3));
	CHECK(!vsys_groups_equal(a, 3, b, 2));
	CHECK(!vsys_groups_equal(c, 3, d, 3)); /* same count, same members, other multiset */
	CHECK(!vsys_groups_equal(a, 3, c, 3));
	CHECK(vsys_groups_equal(a, 0, b, 0));
}

static int selection_in(const char *dir, const char *body, mode_t mode, char *name)
{
	char path[512];
	int fd, r;

	snprintf(path, sizeof path, "%s/.vsys", dir);
	if (body) { /* NULL: use what is there */
		unlink(path);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, body, strlen(body)) < 0)
			return -9;
		close(fd);
		chmod(path, mode);
	}
	fd = open(dir, O_PATH | O_DIRECTORY);
	r = vsys_read_selection(fd, ".vsys", geteuid(), name, NAME_MAX_LEN + 1, err, sizeof err);
	close(fd);
	return r;
}

static void test_selection(void)
{
	char dir[] = "/tmp/vsys-unit.XXXXXX", name[NAME_MAX_LEN + 1], path[600], *big;
	int fd;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	CHECK(selection_in(dir, NULL, 0, name) == 0);
	CHECK(selection_in(dir, "deb12\nignored\n", 0600, name) == 1 && strcmp(name, "deb12") == 0);
	CHECK(selection_in(dir, "deb12 \r\n", 0644, name) == 1 && strcmp(name, "deb12") == 0);
	CHECK(selection_in(dir, "deb12", 0644, name) == 1 && strcmp(name, "deb12") == 0);
	CHECK(selection_in(dir, "../x\n", 0600, name) < 0 && strstr(err, "invalid name"));
	CHECK(selection_in(dir, "\n", 0600, name) < 0 && strstr(err, "empty name"));
	CHECK(selection_in(dir, "bin\n", 0600, name) < 0 && strstr(err, "reserved"));
	CHECK(selection_in(dir, "deb12\n", 0620, name) < 0 && strstr(err, "writable by group"));
	CHECK(selection_in(dir, "deb12\n", 0602, name) < 0 && strstr(err, "writable by group"));
	big = malloc(VSYS_SELECTION_MAX + 2);
	memset(big, 'a', VSYS_SELECTION_MAX + 1);
	big[VSYS_SELECTION_MAX + 1] = '\0';
	CHECK(selection_in(dir, big, 0600, name) < 0 && strstr(err, "larger than"));
	free(big);
	/* a NUL byte */
	snprintf(path, sizeof path, "%s/.vsys", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "ab\0c\n", 5) == 5);
	close(fd);
	fd = open(dir, O_PATH | O_DIRECTORY);
	CHECK(vsys_read_selection(fd, ".vsys", geteuid(), name, sizeof name, err, sizeof err) < 0 &&
	      strstr(err, "NUL"));
	/* not owned by the user */
	CHECK(vsys_read_selection(fd, ".vsys", geteuid() + 1, name, sizeof name, err, sizeof err) < 0 &&
	      strstr(err, "not owned by the user"));
	CHECK(vsys_read_selection(fd, "../x", geteuid(), name, sizeof name, err, sizeof err) < 0);
	close(fd);
	/* a symlink, a FIFO, a directory */
	unlink(path);
	CHECK(symlink("/etc/hostname", path) == 0);
	CHECK(selection_in(dir, NULL, 0, name) < 0 && strstr(err, "symlink"));
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(selection_in(dir, NULL, 0, name) < 0 && strstr(err, "not a regular file"));
	unlink(path);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(selection_in(dir, NULL, 0, name) < 0 && strstr(err, "not a regular file"));
	rmdir(path);
	rmdir(dir);
}

/* --- util.c: the fd-closing fallback goes past the soft limit ------------- */
static void test_close_fds_scan(void)
{
	struct rlimit old, low;
	int d = open("/", O_RDONLY | O_DIRECTORY), f = open("/dev/null", O_RDONLY);

	CHECK(d >= 0 && f >= 0 && dup2(d, 300) == 300 && dup2(f, 301) == 301);
	close(d);
	close(f);
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = 64; /* the soft limit below fd 300, the hard one above */
	CHECK(old.rlim_max > 301 && setrlimit(RLIMIT_NOFILE, &low) == 0);
	close_fds_scan(3, 1);
	CHECK(fcntl(300, F_GETFD) < 0 && errno == EBADF); /* the directory: closed */
	CHECK(fcntl(301, F_GETFD) >= 0);                  /* the file: kept */
	close_fds_scan(3, 0);
	CHECK(fcntl(301, F_GETFD) < 0);
	setrlimit(RLIMIT_NOFILE, &old);
}

static void test_mountinfo(void)
{
	struct mountinfo_entry e;
	struct shared_made_entry m;
	char line[512], out[512];

	strcpy(line, "36 35 98:0 /mnt1 /mnt/par\\040ent rw,noatime master:1 - ext3 /dev/root rw\n");
	CHECK(mountinfo_parse(line, &e) == 0);
	CHECK(e.id == 36 && strcmp(e.mount_point, "/mnt/par ent") == 0);
	CHECK(e.slave == 1 && e.shared == 0);
	strcpy(line, "101 1 0:44 / /OS/.root/home rw shared:7 master:3 - tmpfs tmpfs rw");
	CHECK(mountinfo_parse(line, &e) == 0 && e.shared == 1 && e.slave == 1);
	/* "shared:" after the separator is the super options, not a tag */
	strcpy(line, "5 1 0:44 / /x rw - tmpfs shared:1 rw");
	CHECK(mountinfo_parse(line, &e) == 0 && e.shared == 0);
	strcpy(line, "7 1 0:44 /");
	CHECK(mountinfo_parse(line, &e) < 0 && e.id == 7);
	strcpy(line, "x 1 0:44 / /x rw - a b c");
	CHECK(mountinfo_parse(line, &e) < 0 && e.id == 0);
	strcpy(line, "-3 1 0:44 / /x rw - a b c");
	CHECK(mountinfo_parse(line, &e) < 0);
	strcpy(line, "");
	CHECK(mountinfo_parse(line, &e) < 0);

	/* shared-made: a path with a space, a tab, a backslash and \v reads back whole */
	CHECK(shared_made_format(out, sizeof out, 57, 1, "/a b\tc\\d\ve", NULL) > 0);
	CHECK(strcmp(out, "57 slave /a\\040b\\011c\\134d\\013e\n") == 0);
	out[strlen(out) - 1] = '\0';
	CHECK(shared_made_parse(out, &m) == 0 && m.id == 57 && m.was_slave == 1 &&
	      strcmp(m.mount_point, "/a b\tc\\d\ve") == 0);
	CHECK(shared_made_parse("9 private /", &m) == 0 && m.was_slave == 0 &&
	      strcmp(m.mount_point, "/") == 0);
	CHECK(shared_made_parse("9 private", &m) < 0);
	CHECK(shared_made_parse("", &m) < 0);
	CHECK(shared_made_format(out, 10, 57, 0, "/a/long/path", NULL) < 0);
	/* the host-wide record: the root that relies on the mount, escaped too */
	CHECK(shared_made_format(out, sizeof out, 9, 0, "/", "/run/r 1") > 0);
	CHECK(strcmp(out, "9 private / /run/r\\0401\n") == 0);
	out[strlen(out) - 1] = '\0';
	CHECK(shared_made_parse(out, &m) == 0 && m.id == 9 && strcmp(m.mount_point, "/") == 0 &&
	      strcmp(m.root, "/run/r 1") == 0);
	CHECK(shared_made_parse("9 private /", &m) == 0 && m.root[0] == '\0');
}

static void test_read_all(void)
{
	char path[] = "/tmp/vsys-unit-readXXXXXX", buf[8];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "abcde", 5) == 5);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read_all(fd, buf, sizeof buf, -1) == 5 && strcmp(buf, "abcde") == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read_all(fd, buf, sizeof buf, 5) == 5 && strcmp(buf, "abcde") == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	/* the file grew after fstat: read on */
	CHECK(read_all(fd, buf, sizeof buf, 2) == 5 && strcmp(buf, "abcde") == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read_all(fd, buf, 5, -1) < 0 && errno == EFBIG);
	close(fd);
	unlink(path);
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
	test_userdb();
	test_groups();
	test_selection();
	test_close_fds_scan();
	test_mountinfo();
	test_read_all();
	printf("native: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
