/* vsys-launcher - installed setuid root as R/bin/bin; R/bin/<name> links to it.
 *
 * Runs a command inside a vsys system as the caller. main() reads top to
 * bottom as the security checklist of DESIGN.md ("The launcher"); each phase
 * is one function and runs once. Every failure is one line "vsys: what: why"
 * and exit status 125; the launcher never tries to recover.
 *
 * Trusted: the kernel, root-owned files under R (checked through the fd).
 * Hostile: argv (including argv[0]), the environment, inherited fds, cwd,
 * rlimits, signals and everything else the caller controls.
 */
#include "kmod_link.h"
#include "names.h"
#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#define R VSYS_ROOT
#define LOGIN_PATH "/usr/local/bin:/usr/bin:/bin"
/* the name service for users and groups not in /etc/passwd, /etc/group */
#ifndef VSYS_GETENT
#define VSYS_GETENT "/usr/bin/getent"
#endif

extern char **environ;

/* What the caller is, captured before anything else. */
struct caller {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[NGROUPS_MAX + 1]; /* static: no allocation (pages touched only as used) */
	char cwd[PATH_MAX];
	int cwd_ok;
	char user[256];
	char home[PATH_MAX];
	char shell[PATH_MAX];
};

/* What the root-owned configuration says. */
struct target {
	const char *asked;        /* the name the caller used */
	char system[NAME_MAX_LEN + 1];
	struct config_info config;
	struct system_info info;
	int rootfd;               /* R, O_PATH */
};

static struct caller caller;
static struct target target;
static char **user_env;           /* the scrubbed environment, for the command */
static char *empty_env[] = { NULL };

/* --- phase 1: capture the caller's identity --------------------------- */
static void capture_ids(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int n;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		_exit(125);
	caller.uid = ruid;
	caller.gid = rgid;
	n = getgroups(NGROUPS_MAX, caller.groups);
	if (n < 0)
		_exit(125);
	caller.ngroups = n;
}

/* --- phase 2: make fds 0, 1, 2 valid (a closed stderr must not become a
 * file the launcher opens) ---------------------------------------------- */
static void ensure_std_fds(void)
{
	struct pollfd pfd[3] = { { 0, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 } };
	int fd;

	/* one poll(2) tells which of 0, 1, 2 are closed (POLLNVAL) */
	if (poll(pfd, 3, 0) < 0)
		_exit(125);
	for (fd = 0; fd < 3; fd++) {
		if (!(pfd[fd].revents & POLLNVAL))
			continue;
		int nfd = open("/dev/null", O_RDWR | O_NOFOLLOW);
		if (nfd < 0)
			_exit(125);
		if (nfd != fd) {
			if (dup2(nfd, fd) < 0)
				_exit(125);
			close(nfd);
		}
	}
}

/* --- phase 3: scrub the environment; the privileged phase then runs with
 * an empty environment, the scrubbed one goes to the command. Compacted in
 * place (the array is the process's own, on its stack): no allocation. ---- */
static void scrub_environment(void)
{
	size_t k = 0, i;

	if (!environ) {
		user_env = empty_env;
		return;
	}
	for (i = 0; environ[i]; i++)
		if (!env_unsafe(environ[i]))
			environ[k++] = environ[i];
	environ[k] = NULL;
	user_env = environ;
	environ = empty_env;
}

static const char *user_getenv(const char *key)
{
	size_t kl = strlen(key), i;
	for (i = 0; user_env[i]; i++)
		if (strncmp(user_env[i], key, kl) == 0 && user_env[i][kl] == '=')
			return user_env[i] + kl + 1;
	return NULL;
}

static void capture_cwd(void)
{
	if (!getcwd(caller.cwd, sizeof caller.cwd) || caller.cwd[0] != '/')
		die("cannot determine the current directory");
	caller.cwd_ok = 1;
}

/* --- phase 4: the name ------------------------------------------------ */
__attribute__((noreturn)) static void usage(int to_stdout)
{
	const char *u = "usage: " R "/bin/NAME [command [arg...]] | " R "/bin/NAME -sh\n"
			"       VSYS=NAME " R "/bin/bin [command [arg...]]\n";
	if (to_stdout) {
		fputs(u, stdout);
		exit(fflush(stdout) == 0 ? 0 : 125);
	}
	die("usage: VSYS=NAME bin [command [arg...]], or " R "/bin/NAME [command [arg...]]");
}

static void parse_name(int argc, char **argv, struct invocation *inv)
{
	const char *why = parse_invocation(argc, argv, user_getenv("VSYS"), inv);
	if (why) {
		if (strcmp(why, "usage") == 0)
			usage(0);
		/* argv[0] is hostile: never echo more than a short, printable name */
		if (inv->name && strlen(inv->name) <= NAME_MAX_LEN) {
			size_t i;
			for (i = 0; inv->name[i]; i++)
				if ((unsigned char)inv->name[i] < 0x20 || (unsigned char)inv->name[i] >= 0x7f)
					die("%s", why);
			die("%s: %s", inv->name[0] ? inv->name : "\"\"", why);
		}
		die("%s", why);
	}
	if (inv->form == FORM_HELP)
		usage(1);
	target.asked = inv->name;
}

/* --- phase 5: root-owned configuration, opened through checked fds ------ */
static void check_dir_fd(int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("%s", path);
	if (!S_ISDIR(st.st_mode))
		die("%s: unsafe: not a directory", path);
	if (st.st_uid != 0)
		die("%s: unsafe: not owned by root", path);
	if (st.st_mode & 022)
		die("%s: unsafe: writable by group or others", path);
}

/* openat(dirfd, name) of a directory, never following a symlink; checked. */
static int open_dir_at(int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			die("%s: unsafe: not a directory (symlink?)", path);
		die_errno("%s", path);
	}
	check_dir_fd(fd, path);
	return fd;
}

/* Open R component by component from "/". */
static int open_root(void)
{
	char buf[sizeof R], path[sizeof R];
	char *save = NULL, *comp;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die_errno("/");
	check_dir_fd(fd, "/");
	xstrlcpy(buf, R, sizeof buf);
	path[0] = '\0';
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int nfd;
		strcat(path, "/");
		strcat(path, comp);
		nfd = open_dir_at(fd, comp, path);
		close(fd);
		fd = nfd;
	}
	return fd;
}

/* Read a record file name in dirfd into rec. Returns 0, or -1 if it does
 * not exist (ENOENT). Dies on anything unsafe or corrupt. */
static int read_record(int dirfd, const char *name, const char *path, struct record *rec)
{
	static char buf[RECORD_MAX_SIZE + 2];
	char err[256];
	struct stat st;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		if (errno == ENOENT)
			return -1;
		if (errno == ELOOP)
			die("%s: unsafe: a symlink", path);
		die_errno("%s", path);
	}
	if (fstat(fd, &st) < 0)
		die_errno("%s", path);
	if (!S_ISREG(st.st_mode))
		die("%s: unsafe: not a regular file", path);
	if (st.st_uid != 0)
		die("%s: unsafe: not owned by root", path);
	if (st.st_mode & 022)
		die("%s: unsafe: writable by group or others", path);
	if (st.st_size > RECORD_MAX_SIZE)
		die("%s: corrupt record: larger than %d bytes", path, RECORD_MAX_SIZE);
	n = read_sized(fd, buf, sizeof buf, st.st_size);
	if (n < 0)
		die_errno("%s", path);
	close(fd);
	if (record_parse(rec, buf, (size_t)n, err, sizeof err) < 0)
		die("%s: corrupt record: %s", path, err);
	return 0;
}

static void load_configuration(void)
{
	static struct record conf, rec;
	char path[PATH_MAX], err[256];
	const char *sysname = target.asked;
	int rfd, etc, systems, bin, aliases;

	rfd = open_root();
	bin = open_dir_at(rfd, "bin", R "/bin");
	close(bin);
	etc = open_dir_at(rfd, "etc", R "/etc");
	if (read_record(etc, "vsys.conf", R "/etc/vsys.conf", &conf) < 0) {
		(void)record_config(NULL, &target.config, err, sizeof err);
	} else if (record_config(&conf, &target.config, err, sizeof err) < 0) {
		die(R "/etc/vsys.conf: corrupt record: %s", err);
	}

	systems = open_dir_at(etc, "systems", R "/etc/systems");
	xsnprintf(path, sizeof path, R "/etc/systems/%s", sysname);
	if (read_record(systems, sysname, path, &rec) < 0) {
		/* not a system: an alias? */
		aliases = open_dir_at(etc, "aliases", R "/etc/aliases");
		xsnprintf(path, sizeof path, R "/etc/aliases/%s", sysname);
		if (read_record(aliases, sysname, path, &rec) < 0)
			die("%s: no such system", target.asked);
		close(aliases);
		if (record_alias(&rec, target.asked, &sysname, err, sizeof err) < 0)
			die("%s: corrupt record: %s", path, err);
		xstrlcpy(target.system, sysname, sizeof target.system);
		xsnprintf(path, sizeof path, R "/etc/systems/%s", target.system);
		if (read_record(systems, target.system, path, &rec) < 0)
			die("%s: alias of a missing system %s", target.asked, target.system);
	} else {
		xstrlcpy(target.system, sysname, sizeof target.system);
	}
	if (record_system(&rec, target.system, 0, &target.info, err, sizeof err) < 0) {
		if (strncmp(err, "state is", 8) == 0)
			die("%s: not ready (%s)", target.asked, err);
		die("%s: corrupt record: %s", path, err);
	}
	close(systems);
	close(etc);
	target.rootfd = rfd;
}

/* --- phase 6: the caller's passwd entry, then authorization ------------ */
static void keep_passwd(const struct passwd *pw)
{
	xstrlcpy(caller.user, pw->pw_name, sizeof caller.user);
	xstrlcpy(caller.home, pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : "/", sizeof caller.home);
	xstrlcpy(caller.shell, pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh",
		 sizeof caller.shell);
}

/* Read a root-owned, not group/other writable host file (/etc/passwd,
 * /etc/group) into buf; 0 if it cannot be used (then the name service is
 * asked). One open, one fstat, one or two reads: no stdio, no allocation. */
static size_t read_host_db(const char *path, char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
	    st.st_size >= (off_t)cap) {
		close(fd);
		return 0;
	}
	n = read_sized(fd, buf, cap, st.st_size);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* Split one line of a colon database into at most max fields (in place). */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (; *line && n < max; line++) {
		if (*line == ':') {
			*line = '\0';
			f[n++] = line + 1;
		}
	}
	return n;
}

/* A decimal id field: digits only, fits in 32 bits. */
static int parse_id(const char *s, unsigned *out)
{
	unsigned long v = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 0xffffffffUL)
			return 0;
	}
	*out = (unsigned)v;
	return 1;
}

#define HOST_DB_MAX (1 << 20)
static char host_db[HOST_DB_MAX];

/* Fast path: the host's own /etc/passwd (root-owned, checked through the fd),
 * which holds every local user; saves the name service's nscd probes. The
 * first entry with the caller's uid wins, as getpwuid's files backend. */
static int passwd_from_buf(char *buf, size_t len)
{
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *f[7];
		unsigned uid;

		if (!nl)
			nl = end;
		*nl = '\0';
		if (p[0] != '+' && p[0] != '-' && p[0] != '#' && split_fields(p, f, 7) == 7 &&
		    f[0][0] && parse_id(f[2], &uid) && uid == caller.uid && !strchr(f[6], ':')) {
			struct passwd pw;
			memset(&pw, 0, sizeof pw);
			pw.pw_name = f[0];
			pw.pw_dir = f[5];
			pw.pw_shell = f[6];
			keep_passwd(&pw);
			return 1;
		}
		p = nl + 1;
	}
	return 0;
}

static int passwd_from_file(void)
{
	return passwd_from_buf(host_db, read_host_db("/etc/passwd", host_db, sizeof host_db));
}

/* The name service, for a user or group that is not in the host's files
 * (LDAP, SSSD): getent(1) run as root with an empty environment, stdin and
 * stderr on /dev/null and no inherited fd, its first output line in out.
 * Not getpwuid(3) in this process: the launcher is linked static (Makefile),
 * where glibc's NSS cannot be used safely. 1 if found; 0 if not (or if
 * getent fails: the caller then refuses, failing closed). */
static int getent_line(const char *db, const char *key, char *out, size_t cap)
{
	static char *const env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
	struct sigaction dfl, old;
	size_t len = 0;
	int p[2], status = -1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &dfl, &old); /* an inherited SIG_IGN would reap it for us */
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		char *const argv[] = { (char *)"getent", (char *)db, (char *)key, NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
			int fd;
			for (fd = 3; fd < 1024; fd++)
				close(fd);
		}
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(126);
		execve(VSYS_GETENT, argv, env);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], out + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap - 1)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old, NULL);
	out[len] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && len > 0;
}

/* The gid of group name from the host's /etc/group; 1 if found. */
static int group_from_file(const char *name, gid_t *gid)
{
	static size_t len;
	static int loaded;
	static char copy[HOST_DB_MAX];
	char *p, *end;

	if (!loaded) {
		len = read_host_db("/etc/group", host_db, sizeof host_db);
		loaded = 1;
	}
	memcpy(copy, host_db, len);
	p = copy;
	end = copy + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *f[4];
		unsigned g;

		if (!nl)
			nl = end;
		*nl = '\0';
		if (p[0] != '+' && p[0] != '-' && p[0] != '#' && split_fields(p, f, 4) >= 3 &&
		    strcmp(f[0], name) == 0 && parse_id(f[2], &g)) {
			*gid = (gid_t)g;
			return 1;
		}
		p = nl + 1;
	}
	return 0;
}

static void lookup_passwd(void)
{
	char key[16], line[8192];

	if (passwd_from_file())
		return;
	xsnprintf(key, sizeof key, "%u", (unsigned)caller.uid);
	if (!getent_line("passwd", key, line, sizeof line) || !passwd_from_buf(line, strlen(line)))
		die("uid %u: no passwd entry", (unsigned)caller.uid);
}

static int caller_in_group(gid_t g)
{
	int i;
	if (g == caller.gid)
		return 1;
	for (i = 0; i < caller.ngroups; i++)
		if (caller.groups[i] == g)
			return 1;
	return 0;
}

static int allowed_by_groups(const char *list)
{
	char name[256];
	const char *p = list;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n > 0 && n < sizeof name) {
			char line[8192], *f[4];
			unsigned g;
			gid_t gid;
			memcpy(name, p, n);
			name[n] = '\0';
			if (group_from_file(name, &gid)) {
				if (caller_in_group(gid))
					return 1;
			} else if (name[0] != '-' && getent_line("group", name, line, sizeof line)) {
				line[strcspn(line, "\n")] = '\0';
				if (split_fields(line, f, 4) >= 3 && strcmp(f[0], name) == 0 &&
				    parse_id(f[2], &g) && caller_in_group((gid_t)g))
					return 1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void authorize(void)
{
	/* users= and groups= both apply when both are given */
	if (target.info.users[0] && !list_contains(target.info.users, caller.user))
		die("%s: permission denied for user %s", target.asked, caller.user);
	if (target.info.groups[0] && !allowed_by_groups(target.info.groups))
		die("%s: permission denied for user %s (groups)", target.asked, caller.user);
}

/* --- phase 7: one audit line ------------------------------------------- */
static void append_clean(char *dst, size_t cap, size_t *len, const char *s)
{
	for (; *s && *len + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		dst[(*len)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[*len] = '\0';
}

/* One datagram to /dev/log, as syslog(3) sends it but without its per-call
 * cost (no localtime(): the timezone file; no connect()): the receiver stamps
 * the time (RFC 3164 4.3.2). A stream socket at /dev/log (old syslog-ng) gets
 * the NUL-terminated form glibc uses. Failures are silent, as with syslog(3). */
static void send_log(const char *msg, size_t len)
{
	static const struct sockaddr_un addr = { AF_UNIX, "/dev/log" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)&addr, sizeof addr) < 0 &&
	    errno == EPROTOTYPE) {
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (const struct sockaddr *)&addr, sizeof addr) == 0)
			(void)send(fd, msg, len + 1, MSG_NOSIGNAL);
	}
	if (fd >= 0)
		close(fd);
}

static void audit(const struct invocation *inv, int argc, char **argv)
{
	char cmd[512], line[2048 + PATH_MAX];
	size_t len = 0;
	int i, n;

	if (!target.config.audit)
		return;
	cmd[0] = '\0';
	if (inv->form == FORM_SHELL)
		append_clean(cmd, sizeof cmd, &len, "(shell)");
	else if (inv->form == FORM_LOGIN)
		append_clean(cmd, sizeof cmd, &len, "(login shell)");
	for (i = inv->cmd_index; inv->cmd_index > 0 && i < argc; i++) {
		if (len)
			append_clean(cmd, sizeof cmd, &len, " ");
		append_clean(cmd, sizeof cmd, &len, argv[i]);
	}
	n = snprintf(line, sizeof line, "<%d>vsys[%d]: user=%s uid=%u system=%s%s%s command=%s cwd=%s",
		     LOG_AUTHPRIV | LOG_INFO, (int)getpid(), caller.user, (unsigned)caller.uid,
		     target.system, strcmp(target.asked, target.system) ? " alias=" : "",
		     strcmp(target.asked, target.system) ? target.asked : "", cmd, caller.cwd);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	send_log(line, (size_t)n);
}

/* --- phase 8: enter the system ----------------------------------------- */
static void enter_namespace(void)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int nsdir, fd;

	nsdir = open_dir_at(target.rootfd, ".ns", R "/.ns");
	xsnprintf(path, sizeof path, R "/.ns/%s", target.system);
	fd = openat(nsdir, target.system, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			die("%s: not prepared (no %s)", target.asked, path);
		die_errno("%s", path);
	}
	/* after a reboot the file may be there without its nsfs bind */
	if (fstatfs(fd, &sfs) < 0)
		die_errno("%s", path);
	if (sfs.f_type != NSFS_MAGIC)
		die("%s: not prepared (%s is not a namespace)", target.asked, path);
	if (setns(fd, CLONE_NEWNS) < 0)
		die_errno("%s: enter %s", target.asked, path);
	close(fd);
	close(nsdir);
	if (chdir("/") < 0)
		die_errno("chdir /");
}

/* The per-process link of the vsyslink module (issue 5, kmod_link.c): point
 * this process's link at the system and chroot into the shared tree. */
static void enter_kmod(void)
{
	const char *what = "kmod";

	if (!vsys_kmod_available()) {
		if (errno == ENOENT)
			die("kmod link mode: module not mounted at " R "/" VSYS_KMOD_MOUNT);
		die("kmod link mode: module not loaded");
	}
	if (vsys_kmod_enter(target.rootfd, target.system, &what) < 0) {
		if (errno == ENOENT)
			die("%s: not registered with the kmod link", target.asked);
		die_errno("%s", what);
	}
}

static void enter_system(void)
{
	switch (target.config.link) {
	case LINK_NAMESPACE:
		enter_namespace();
		break;
	case LINK_KMOD:
		enter_kmod();
		break;
	}
	close(target.rootfd);
	target.rootfd = -1;
}

/* --- phase 9: drop privileges for good, and prove it -------------------- */
static void drop_privileges(void)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	int n;

	if (setgroups((size_t)caller.ngroups, caller.groups) < 0)
		die_errno("setgroups");
	if (setresgid(caller.gid, caller.gid, caller.gid) < 0)
		die_errno("setresgid");
	if (setresuid(caller.uid, caller.uid, caller.uid) < 0)
		die_errno("setresuid");

	if (getresuid(&r, &e, &s) < 0 || r != caller.uid || e != caller.uid || s != caller.uid)
		die("privilege drop failed: uids not the caller's");
	if (getresgid(&rg, &eg, &sg) < 0 || rg != caller.gid || eg != caller.gid || sg != caller.gid)
		die("privilege drop failed: gids not the caller's");
	n = getgroups(0, NULL);
	if (n != caller.ngroups)
		die("privilege drop failed: supplementary groups");
	if (caller.uid != 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];

		if (setuid(0) == 0 || seteuid(0) == 0)
			die("privilege drop failed: setuid(0) succeeded");
		if (caller.gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
			die("privilege drop failed: setgid(0) succeeded");
		memset(data, 0, sizeof data);
		if (syscall(SYS_capget, &hdr, data) < 0)
			die_errno("capget");
		if (data[0].effective || data[1].effective || data[0].permitted || data[1].permitted)
			die("privilege drop failed: capabilities left");
	}
}

static void set_no_new_privs(void)
{
	if (target.info.setuid)
		return;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("PR_SET_NO_NEW_PRIVS");
}

/* --- phase 10: the working directory, as the caller -------------------- */
static void enter_cwd(void)
{
	char now[PATH_MAX];

	if (chdir(caller.cwd) < 0) {
		if (!target.info.cwd_fallback)
			die("%s: not visible in %s", caller.cwd, target.asked);
		if (chdir(caller.home) < 0)
			die("%s: not visible in %s", caller.home, target.asked);
	}
	/* the runc CVE-2024-21626 lesson: the cwd must be inside the root */
	if (!getcwd(now, sizeof now) || now[0] != '/' || strncmp(now, "(unreachable)", 13) == 0)
		die("the working directory is outside %s", target.asked);
}

/* --- phase 11: no inherited directory fd may point outside -------------- */
static void close_fd_if_dir(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && close(fd) < 0 && errno != EINTR)
		die_errno("close fd %d", fd);
}

static void close_inherited_dirs(void)
{
	char buf[2048];
	long n;
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		struct rlimit rl;
		long fd, max = 65536;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    (long)rl.rlim_cur < max)
			max = (long)rl.rlim_cur;
		for (fd = 3; fd < max; fd++)
			close_fd_if_dir((int)fd);
		return;
	}
	/* raw getdents64: no allocation, one small buffer. procfs emits fds until
	 * the buffer is full: a batch that leaves room for another entry (a
	 * numeric name: at most 32 bytes) was the last, and needs no read for
	 * the end of the directory. */
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
		int last = n + 64 < (long)sizeof buf;
		long off = 0;
		while (off < n) {
			struct dirent64 *e = (struct dirent64 *)(void *)(buf + off);
			char *end;
			long fd = strtol(e->d_name, &end, 10);
			off += e->d_reclen;
			if (*end || e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == dfd)
				continue;
			close_fd_if_dir((int)fd);
		}
		if (last)
			break;
	}
	if (n < 0)
		die_errno("/proc/self/fd");
	close(dfd);
}

/* --- phase 12: exec ----------------------------------------------------- */
__attribute__((noreturn)) static void exec_failed(const char *cmd)
{
	int e = errno;
	die_status = (e == ENOENT || e == ENOTDIR) ? 127 : 126;
	errno = e;
	die_errno("%s", cmd);
}

static const char *pick_shell(void)
{
	if (access(caller.shell, X_OK) == 0)
		return caller.shell;
	return "/bin/sh";
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

__attribute__((noreturn)) static void exec_command(const struct invocation *inv, int argc,
						   char **argv)
{
	/* where the command runs, for prompts and scripts (the caller's own
	 * VSYS_SYSTEM, if any, is replaced: never trusted on the way in) */
	if (inv->form != FORM_LOGIN) {
		environ = user_env;
		if (setenv("VSYS_SYSTEM", target.system, 1) < 0)
			die("out of memory");
	}
	if (inv->form == FORM_COMMAND) {
		execvp(argv[inv->cmd_index], &argv[inv->cmd_index]);
		exec_failed(argv[inv->cmd_index]);
	} else if (inv->form == FORM_SHELL) {
		const char *shell = pick_shell();
		char *sargv[2];
		sargv[0] = (char *)base_name(shell);
		sargv[1] = NULL;
		execv(shell, sargv);
		exec_failed(shell);
	} else {
		const char *shell = pick_shell();
		static char a0[NAME_MAX + 2];
		static char e_home[PATH_MAX + 8], e_shell[PATH_MAX + 8], e_user[300], e_logname[300];
		static char e_term[80], e_lang[80], e_system[NAME_MAX_LEN + 16];
		char *env[10];
		char **sargv;
		const char *v;
		int k = 0, i, extra = argc - inv->cmd_index;

		xsnprintf(a0, sizeof a0, "-%s", base_name(shell));
		xsnprintf(e_home, sizeof e_home, "HOME=%s", caller.home);
		xsnprintf(e_shell, sizeof e_shell, "SHELL=%s", shell);
		xsnprintf(e_user, sizeof e_user, "USER=%s", caller.user);
		xsnprintf(e_logname, sizeof e_logname, "LOGNAME=%s", caller.user);
		env[k++] = e_home;
		env[k++] = e_shell;
		env[k++] = e_user;
		env[k++] = e_logname;
		env[k++] = (char *)"PATH=" LOGIN_PATH;
		xsnprintf(e_system, sizeof e_system, "VSYS_SYSTEM=%s", target.system);
		env[k++] = e_system;
		environ = user_env;
		if ((v = getenv("TERM")) && env_value_sane(v)) {
			xsnprintf(e_term, sizeof e_term, "TERM=%s", v);
			env[k++] = e_term;
		}
		if ((v = getenv("LANG")) && env_value_sane(v)) {
			xsnprintf(e_lang, sizeof e_lang, "LANG=%s", v);
			env[k++] = e_lang;
		}
		env[k] = NULL;
		sargv = calloc((size_t)(extra > 0 ? extra : 0) + 2, sizeof(char *));
		if (!sargv)
			die("out of memory");
		sargv[0] = a0;
		for (i = 0; i < extra; i++)
			sargv[i + 1] = argv[inv->cmd_index + i];
		execve(shell, sargv, env);
		exec_failed(shell);
	}
}

int main(int argc, char **argv)
{
	struct invocation inv;

	die_status = 125;
	die_prefix = "vsys";

	capture_ids();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(125);
	ensure_std_fds();
	scrub_environment();
	capture_cwd();
	parse_name(argc, argv, &inv);
	load_configuration();
	lookup_passwd();
	authorize();
	audit(&inv, argc, argv);
	enter_system();
	drop_privileges();
	set_no_new_privs();
	enter_cwd();
	close_inherited_dirs();
	exec_command(&inv, argc, argv);
}
