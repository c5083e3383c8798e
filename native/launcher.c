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
#include "enter.h"
#include "names.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

extern char **environ;

/* the caller and the target: enter.h */
static struct vsys_entry entry;
static char **user_env;           /* the scrubbed environment, for the command */
static char *empty_env[] = { NULL };

static struct invocation inv;
static char **cmd_argv;          /* what runs, for the audit record */

/* What the audit record says runs. */
static const char *audit_prefix(void)
{
	return inv.form == FORM_SHELL ? "(shell)" : inv.form == FORM_LOGIN ? "(login shell)" : NULL;
}

/* A step of enter.h failed (or the invocation is refused): an audit record
 * of the refusal with its reason, the one line, exit 125. */
__attribute__((noreturn)) static void refuse(void)
{
	(void)vsys_audit(&entry, inv.name ? inv.name : "", audit_prefix(), cmd_argv, entry.err);
	die("%s", entry.err);
}

/* --- phase 2: make fds 0, 1, 2 valid (a closed stderr must not become a
 * file the launcher opens) ---------------------------------------------- */
static void ensure_std_fds(void)
{
	int fd;

	/* F_GETFD only asks the fd table: no poll(2), which would call into the
	 * file (a FUSE server of the caller's could stall it while euid is 0) */
	for (fd = 0; fd < 3; fd++) {
		int nfd;
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDWR | O_NOFOLLOW);
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

/* --- phase 4: the name ------------------------------------------------ */
__attribute__((noreturn)) static void usage(void)
{
	fputs("usage: " R "/bin/NAME [command [arg...]] | " R "/bin/NAME -sh\n"
	      "       VSYS=NAME " R "/bin/bin [command [arg...]]\n", stdout);
	exit(fflush(stdout) == 0 ? 0 : 125);
}

/* `bin` without VSYS: the caller's ~/.vsys (enter.c's hostile-file reader),
 * then default= of vsys.conf, as pam_vsys(8) chooses; NULL when neither
 * names a system (the first line "host" names none). */
static const char *selected_name(void)
{
	static char name[NAME_MAX_LEN + 1];
	int r;

	if (vsys_lookup_user(&entry) < 0)
		refuse();
	r = vsys_selection(&entry, ".vsys", name, sizeof name);
	if (r < 0)
		refuse();
	if (r == 1)
		return strcmp(name, "host") == 0 ? NULL : name;
	if (vsys_load_config(&entry) < 0)
		refuse();
	return entry.config.default_system[0] ? entry.config.default_system : NULL;
}

static void parse_name(int argc, char **argv)
{
	const char *why = parse_invocation(argc, argv, user_getenv("VSYS"), &inv);
	const char *chosen;

	if (why && strcmp(why, "usage") == 0 && (chosen = selected_name()) != NULL)
		why = parse_invocation(argc, argv, chosen, &inv);
	if (why) {
		size_t i;
		if (strcmp(why, "usage") == 0)
			why = "usage: VSYS=NAME bin [command [arg...]], or " R "/bin/NAME [command [arg...]] "
			      "(no VSYS, ~/.vsys or default= names a system)";
		/* argv[0] is hostile: never echo more than a short, printable name */
		else if (inv.name && strlen(inv.name) <= NAME_MAX_LEN) {
			for (i = 0; inv.name[i]; i++)
				if ((unsigned char)inv.name[i] < 0x20 || (unsigned char)inv.name[i] >= 0x7f)
					break;
			if (!inv.name[i]) {
				snprintf(entry.err, sizeof entry.err, "%s: %s",
					 inv.name[0] ? inv.name : "\"\"", why);
				refuse();
			}
		}
		snprintf(entry.err, sizeof entry.err, "%s", why);
		refuse();
	}
	if (inv.form == FORM_HELP)
		usage();
	if (inv.cmd_index > 0 && inv.cmd_index < argc)
		cmd_argv = argv + inv.cmd_index;
}

/* --- phase 10: an on-demand system stays mounted while the command runs:
 * the launcher (dropped to the caller, not dumpable) stays as its parent
 * and keeps the fd of the host's mount open (autofs sees it in use), then
 * exits as the command did. The command never gets that fd. ------------- */
static pid_t held_child;

static void forward_signal(int sig)
{
	if (held_child > 0)
		kill(held_child, sig);
}

static void hold_while_running(void)
{
	static const int forwarded[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa;
	int status, sig;
	size_t i;
	pid_t pid;

	if (entry.hold_fd < 0)
		return;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		close(entry.hold_fd);
		entry.hold_fd = -1;
		return;
	}
	held_child = pid;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
	/* the terminal's signals reach the command itself (same process group) */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (sig) {
		sigset_t set;
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(125);
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
		close_fds_scan(3, 1);
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
	if (access(entry.user.shell, X_OK) == 0)
		return entry.user.shell;
	return "/bin/sh";
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

__attribute__((noreturn)) static void exec_command(int argc, char **argv)
{
	const struct invocation *in = &inv;

	/* where the command runs, for prompts and scripts (the caller's own
	 * VSYS_SYSTEM, if any, is replaced: never trusted on the way in) */
	if (in->form != FORM_LOGIN) {
		environ = user_env;
		if (setenv("VSYS_SYSTEM", entry.system, 1) < 0)
			die("out of memory");
	}
	if (in->form == FORM_COMMAND) {
		execvp(argv[in->cmd_index], &argv[in->cmd_index]);
		exec_failed(argv[in->cmd_index]);
	} else if (in->form == FORM_SHELL) {
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
		int k = 0, i, extra = argc - in->cmd_index;

		xsnprintf(a0, sizeof a0, "-%s", base_name(shell));
		xsnprintf(e_home, sizeof e_home, "HOME=%s", entry.user.home);
		xsnprintf(e_shell, sizeof e_shell, "SHELL=%s", shell);
		xsnprintf(e_user, sizeof e_user, "USER=%s", entry.user.name);
		xsnprintf(e_logname, sizeof e_logname, "LOGNAME=%s", entry.user.name);
		env[k++] = e_home;
		env[k++] = e_shell;
		env[k++] = e_user;
		env[k++] = e_logname;
		env[k++] = (char *)"PATH=" LOGIN_PATH;
		xsnprintf(e_system, sizeof e_system, "VSYS_SYSTEM=%s", entry.system);
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
			sargv[i + 1] = argv[in->cmd_index + i];
		execve(shell, sargv, env);
		exec_failed(shell);
	}
}

int main(int argc, char **argv)
{
	die_status = 125;
	die_prefix = "vsys";

	vsys_entry_init(&entry);
	if (vsys_caller_self(&entry) < 0)
		_exit(125);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(125);
	ensure_std_fds();
	scrub_environment();
	if (vsys_capture_cwd(&entry) < 0 || vsys_check_root(&entry) < 0)
		refuse();
	parse_name(argc, argv);
	if (vsys_load(&entry, inv.name) < 0)
		refuse();
	if (vsys_lookup_user(&entry) < 0)
		refuse();
	if (vsys_authorize(&entry) < 0)
		refuse();
	(void)vsys_audit(&entry, NULL, audit_prefix(), cmd_argv, NULL);
	if (vsys_enter(&entry) < 0)
		refuse();
	if (vsys_drop_privileges(&entry) < 0 || vsys_no_new_privs(&entry) < 0 ||
	    vsys_enter_cwd(&entry) < 0)
		refuse();
	hold_while_running();
	close_inherited_dirs();
	exec_command(argc, argv);
}
