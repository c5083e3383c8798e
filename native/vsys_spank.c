/* vsys_spank.so - a Slurm SPANK plugin: srun/sbatch --vsys=NAME runs each
 * task of the step inside the vsys system NAME on its node (vsys-slurm(8)).
 *
 * Where the system is entered: slurm_spank_task_init_privileged, in the
 * task's own process (forked by slurmstepd, still root, before slurmstepd
 * drops to the job's user, changes to the job's working directory and
 * execs the command), as Shifter's CCM mode does. slurmstepd itself stays
 * on the host (its spool, sockets, I/O and signal forwarding unchanged), so
 * the task's exit status and signals are those of a task without the
 * plugin, and a failed check fails that task only. Every check is enter.c's
 * (records, users=/groups=, state, the one setns); the working directory
 * is entered again as the user in slurm_spank_task_init with enter.c's
 * rules (cwd_fallback=). The option value and the job's VSYS are hostile:
 * checked by name_check before anything is opened.
 *
 * An on-demand system (autofs): the task's entry holds the host's mount by
 * an fd that the exec of the job closes (O_CLOEXEC: an fd of a host
 * directory in a process inside the system is a way out of it), so the
 * step holds it in slurmstepd instead: slurm_spank_task_post_fork (root, in
 * slurmstepd, after every task of the node was forked: none inherits it)
 * makes the same lookup and keeps the fd until slurm_spank_exit. autofs
 * then does not expire the system while the step runs.
 *
 * Plugin arguments (plugstack.conf): env_fallback (use VSYS of the job's
 * environment when --vsys is not given).
 */
#include "enter.h"
#include "names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#define VSYS_SPANK_EXPORT __attribute__((visibility("default")))

#pragma GCC visibility push(default)
SPANK_PLUGIN(vsys, 1)
#pragma GCC visibility pop

static char option_name[NAME_MAX_LEN + 1]; /* --vsys=NAME, checked */
static int option_given;
static int env_fallback;
static int entered;                /* this task entered a system */
static int hold_fd = -1;           /* slurmstepd: an on-demand system's mount, for the step */
static int hold_tried;
static struct vsys_entry entry;    /* ~190 KiB: static */

static int take_option(int val, const char *optarg, int remote);

/* name passed name_check (at most NAME_MAX_LEN bytes) */
static void copy_name(char *dst, const char *name)
{
	size_t n = strnlen(name, NAME_MAX_LEN);
	memcpy(dst, name, n);
	dst[n] = '\0';
}

static struct spank_option vsys_option = {
	(char *)"vsys", (char *)"NAME",
	(char *)"Run each task inside the vsys system NAME on its node (vsys-slurm(8)).",
	1, 0, take_option
};

/* One line on the task's stderr (the job's: slurmstepd has set it up before
 * the task's privileged hook); the audit record goes to syslog. */
__attribute__((format(printf, 1, 2))) static void report(const char *fmt, ...)
{
	char line[VSYS_ERR_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "vsys: %s\n", line);
	fflush(stderr);
	slurm_debug("vsys: %s", line);
}

static int take_option(int val, const char *optarg, int remote)
{
	const char *why;

	(void)val;
	(void)remote;
	if (!optarg || (why = name_check(optarg)) != NULL) {
		/* the value is hostile: echo it only when it is a short printable name */
		slurm_error("vsys: --vsys: %s", optarg ? why : "a system name is required");
		return -1;
	}
	copy_name(option_name, optarg);
	option_given = 1;
	return 0;
}

static int parse_args(int ac, char **av)
{
	int i;

	for (i = 0; i < ac; i++) {
		if (strcmp(av[i], "env_fallback") == 0 || strcmp(av[i], "env_fallback=yes") == 0) {
			env_fallback = 1;
		} else if (strcmp(av[i], "env_fallback=no") == 0) {
			env_fallback = 0;
		} else {
			slurm_error("vsys: plugstack.conf: unknown argument %s", av[i]);
			return -1;
		}
	}
	return 0;
}

VSYS_SPANK_EXPORT int slurm_spank_init(spank_t sp, int ac, char **av)
{
	if (parse_args(ac, av) < 0)
		return -1;
	if (spank_context() == S_CTX_SLURMD || spank_context() == S_CTX_JOB_SCRIPT)
		return 0;
	if (spank_option_register(sp, &vsys_option) != ESPANK_SUCCESS) {
		slurm_error("vsys: cannot register --vsys");
		return -1;
	}
	return 0;
}

/* The system this task asks for: --vsys, else (env_fallback) the job's
 * VSYS. 1 and the name, 0 none, -1 a bad name (reported unless quiet). */
static int chosen_system(spank_t sp, char name[NAME_MAX_LEN + 1], int quiet)
{
	char *arg = NULL;
	char env[NAME_MAX_LEN + 2];
	const char *why;
	spank_err_t rc;

	if (!option_given && spank_option_getopt(sp, &vsys_option, &arg) == ESPANK_SUCCESS && arg) {
		if ((why = name_check(arg)) != NULL) {
			if (!quiet)
				report("--vsys: %s", why);
			return -1;
		}
		copy_name(option_name, arg);
		option_given = 1;
	}
	if (option_given) {
		copy_name(name, option_name);
		return 1;
	}
	if (!env_fallback)
		return 0;
	rc = spank_getenv(sp, "VSYS", env, sizeof env);
	if (rc == ESPANK_NOSPACE) {
		if (!quiet)
			report("VSYS: name longer than %d bytes", NAME_MAX_LEN);
		return -1;
	}
	if (rc != ESPANK_SUCCESS || !env[0])
		return 0;
	if ((why = name_check(env)) != NULL) {
		if (!quiet)
			report("VSYS: %s", why);
		return -1;
	}
	copy_name(name, env);
	return 1;
}

static int job_caller(spank_t sp)
{
	uid_t uid;
	gid_t gid, *groups = NULL;
	int ngroups = 0;

	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		snprintf(entry.err, sizeof entry.err, "cannot get the job's user");
		return -1;
	}
	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &groups, &ngroups) != ESPANK_SUCCESS) {
		groups = NULL;
		ngroups = 0;
	}
	if (ngroups > NGROUPS_MAX) {
		snprintf(entry.err, sizeof entry.err, "uid %u: more than %d groups", (unsigned)uid, NGROUPS_MAX);
		return -1;
	}
	return vsys_caller_set(&entry, uid, gid, ngroups, groups);
}

VSYS_SPANK_EXPORT int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	char name[NAME_MAX_LEN + 1], prefix[96];
	uint32_t job = 0, step = 0;
	int r;

	(void)ac;
	(void)av;
	if (!spank_remote(sp))
		return 0;
	/* the batch script and salloc's interactive step stay on the host:
	 * they need srun and the rest of Slurm; each step they start enters */
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    step == SLURM_BATCH_SCRIPT || step == SLURM_INTERACTIVE_STEP)
		return 0;
	/* slurmstepd's hold (task_post_fork) is not this process's: never in the system */
	if (hold_fd >= 0) {
		close(hold_fd);
		hold_fd = -1;
	}
	r = chosen_system(sp, name, 0);
	if (r <= 0)
		return r;
	(void)spank_get_item(sp, S_JOB_ID, &job);
	snprintf(prefix, sizeof prefix, "(slurm job %u step %u)", (unsigned)job, (unsigned)step);
	vsys_entry_init(&entry);
	/* the task's cwd is the job's working directory (slurmstepd changed to
	 * it before the fork); it is entered again inside, as the user, in
	 * slurm_spank_task_init */
	if (job_caller(sp) < 0 || vsys_capture_cwd(&entry) < 0) {
		report("%s", entry.err);
		return -1;
	}
	if (vsys_load(&entry, name) < 0 || vsys_lookup_user(&entry) < 0 || vsys_authorize(&entry) < 0) {
		report("%s", entry.err);
		(void)vsys_audit(&entry, name, prefix, NULL, entry.err);
		return -1;
	}
	(void)vsys_audit(&entry, NULL, prefix, NULL, NULL);
	if (vsys_enter(&entry) < 0) {
		report("%s", entry.err);
		return -1;
	}
	entered = 1;
	if (spank_setenv(sp, "VSYS_SYSTEM", entry.system, 1) != ESPANK_SUCCESS) {
		report("%s: cannot set VSYS_SYSTEM", entry.system);
		return -1;
	}
	return 0;
}

/* As the job's user, just before the exec: the working directory inside
 * the system, and no new privileges unless the system allows setuid. */
VSYS_SPANK_EXPORT int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (!entered)
		return 0;
	if (vsys_enter_cwd(&entry) < 0 || vsys_no_new_privs(&entry) < 0) {
		report("%s", entry.err);
		return -1;
	}
	return 0;
}

/* In slurmstepd (root), once per step and node, after the tasks were forked
 * and before they exec: an on-demand system's host mount, held until
 * slurm_spank_exit (see the top). What fails here the task reports (it
 * makes the same checks and the same lookup): the step is never failed. */
VSYS_SPANK_EXPORT int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	char name[NAME_MAX_LEN + 1];
	uint32_t step = 0;

	(void)ac;
	(void)av;
	if (!spank_remote(sp) || hold_tried)
		return 0;
	hold_tried = 1;
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    step == SLURM_BATCH_SCRIPT || step == SLURM_INTERACTIVE_STEP || chosen_system(sp, name, 1) <= 0)
		return 0;
	vsys_entry_init(&entry);
	if (job_caller(sp) == 0 && vsys_load(&entry, name) == 0 && vsys_lookup_user(&entry) == 0 &&
	    vsys_authorize(&entry) == 0) {
		hold_fd = vsys_hold(&entry);
	} else if (entry.rootfd >= 0) {
		close(entry.rootfd);
		entry.rootfd = -1;
	}
	if (hold_fd == -1)
		slurm_debug("vsys: %s: the on-demand mount is not held for the step: %s", name, entry.err);
	if (hold_fd < 0)
		hold_fd = -1;
	return 0;
}

/* slurmstepd at the end of the step (and srun): the hold goes. */
VSYS_SPANK_EXPORT int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (hold_fd >= 0) {
		close(hold_fd);
		hold_fd = -1;
	}
	return 0;
}
