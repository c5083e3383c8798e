/* pam_vsys.so - a PAM session module that puts a new login session into a
 * vsys system (pam_vsys(8)); CHOS's pam_chos, on the shared entering code.
 *
 * pam_sm_open_session runs as root in the process that then starts the
 * user's shell (sshd, su, runuser, login): entering the system's mount
 * namespace there makes the whole session run inside. Selection, in order:
 * the first line of ~/.vsys (user_conf_file=), the default (default= of the
 * module, else default= of vsys.conf), the host. Every check is enter.c's:
 * the ~/.vsys reader (O_NOFOLLOW, owner, type, size, name rules), the
 * root-owned records, users=/groups=, the state; the module only chooses
 * and reports. A chosen system that cannot be entered gives the configured
 * fallback (fail_to_default, on_error=) and one syslog line; nothing is
 * entered until every check passed, and entering is one setns(2).
 *
 * Hostile: the user's home and files, PAM_USER's entry only as the admin's
 * user database gives it. The module never prints to the user's terminal
 * beyond one pam_error line when it refuses the session.
 */
#include "enter.h"
#include "names.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define MODULE_DATA "pam_vsys_entered"
#define VSYS_PAM_EXPORT __attribute__((visibility("default")))

enum on_error { ON_ERROR_HOST, ON_ERROR_REFUSE };

struct options {
	const char *user_conf_file; /* relative to the home, a plain name */
	const char *default_name;   /* NULL: vsys.conf's default= */
	const char *host_keyword;   /* the first line that means "stay on the host" */
	int fail_to_default;
	enum on_error on_error;
	int debug;
};

/* One parse of the module's arguments; -1 on an unknown or malformed one. */
static int parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof *o);
	o->user_conf_file = ".vsys";
	o->host_keyword = "host";
	o->on_error = ON_ERROR_HOST;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "user_conf_file=", 15) == 0) {
			o->user_conf_file = a + 15;
			if (!o->user_conf_file[0] || strchr(o->user_conf_file, '/') ||
			    strcmp(o->user_conf_file, ".") == 0 || strcmp(o->user_conf_file, "..") == 0)
				goto bad;
		} else if (strncmp(a, "default=", 8) == 0) {
			o->default_name = a + 8;
			if (name_check(o->default_name))
				goto bad;
		} else if (strncmp(a, "host_keyword=", 13) == 0) {
			o->host_keyword = a + 13;
			if (!o->host_keyword[0])
				goto bad;
		} else if (strcmp(a, "fail_to_default") == 0 || strcmp(a, "fail_to_default=1") == 0) {
			o->fail_to_default = 1;
		} else if (strcmp(a, "fail_to_default=0") == 0) {
			o->fail_to_default = 0;
		} else if (strcmp(a, "on_error=host") == 0) {
			o->on_error = ON_ERROR_HOST;
		} else if (strcmp(a, "on_error=refuse") == 0) {
			o->on_error = ON_ERROR_REFUSE;
		} else if (strcmp(a, "debug") == 0) {
			o->debug = 1;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	pam_syslog(pamh, LOG_ERR, "bad module option: %s", argv[i]);
	return -1;
}

/* Who logs in: PAM_USER's entry and the groups initgroups(3) will give. */
struct login {
	const char *service;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[NGROUPS_MAX + 1];
};

static int lookup_login(pam_handle_t *pamh, struct login *l)
{
	const char *user = NULL;
	const void *service = NULL;
	struct passwd pw, *res = NULL;
	char buf[16384];
	int n = NGROUPS_MAX;

	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user");
		return -1;
	}
	if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || !res) {
		pam_syslog(pamh, LOG_ERR, "user %s: no passwd entry", user);
		return -1;
	}
	l->uid = pw.pw_uid;
	l->gid = pw.pw_gid;
	if (getgrouplist(pw.pw_name, pw.pw_gid, l->groups, &n) < 0) {
		pam_syslog(pamh, LOG_ERR, "user %s: more than %d groups", user, NGROUPS_MAX);
		return -1;
	}
	l->ngroups = n;
	if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || !service)
		service = "?";
	l->service = service;
	return 0;
}

static struct vsys_entry entry; /* ~190 KiB: not on sshd's stack */

/* Every check of the entering code for name, then the one setns. 0 entered;
 * -1 nothing changed, entry.err says why. */
static int enter_system(pam_handle_t *pamh, const struct login *l, const char *name)
{
	char env[sizeof "VSYS_SYSTEM=" + NAME_MAX_LEN];
	char prefix[96];

	snprintf(prefix, sizeof prefix, "(login: %s)", l->service);
	vsys_entry_init(&entry);
	if (vsys_caller_set(&entry, l->uid, l->gid, l->ngroups, l->groups) < 0 ||
	    vsys_set_cwd(&entry, "/") < 0)
		return -1;
	if (vsys_load(&entry, name) < 0 || vsys_lookup_user(&entry) < 0 || vsys_authorize(&entry) < 0) {
		(void)vsys_audit(&entry, name, prefix, NULL, entry.err);
		return -1;
	}
	(void)vsys_audit(&entry, NULL, prefix, NULL, NULL);
	snprintf(env, sizeof env, "VSYS_SYSTEM=%s", entry.system);
	if (pam_putenv(pamh, env) != PAM_SUCCESS) {
		snprintf(entry.err, sizeof entry.err, "cannot set VSYS_SYSTEM");
		return -1;
	}
	if (vsys_enter(&entry) < 0 || vsys_no_new_privs(&entry) < 0) {
		(void)pam_putenv(pamh, "VSYS_SYSTEM");
		return -1;
	}
	return 0;
}

/* The user's choice: 1 name, 0 no file, -1 refused (why in err). */
static int user_choice(const struct options *o, const struct login *l, char *name, size_t cap,
		       char *err, size_t errlen)
{
	int r;

	vsys_entry_init(&entry);
	if (vsys_caller_set(&entry, l->uid, l->gid, l->ngroups, l->groups) < 0 ||
	    vsys_lookup_user(&entry) < 0) {
		snprintf(err, errlen, "%s", entry.err);
		return -1;
	}
	r = vsys_selection(&entry, o->user_conf_file, name, cap);
	if (r < 0)
		snprintf(err, errlen, "%s", entry.err);
	return r;
}

/* The default: the module's default=, else vsys.conf's; "" when none. */
static void default_choice(const struct options *o, char *name, size_t cap)
{
	name[0] = '\0';
	if (o->default_name) {
		snprintf(name, cap, "%s", o->default_name);
		return;
	}
	vsys_entry_init(&entry);
	if (vsys_load_config(&entry) == 0 && entry.config.default_system[0])
		snprintf(name, cap, "%s", entry.config.default_system);
}

static int fallback(pam_handle_t *pamh, const struct options *o, const char *what)
{
	if (o->on_error == ON_ERROR_REFUSE) {
		pam_syslog(pamh, LOG_ERR, "%s: session refused (on_error=refuse)", what);
		pam_error(pamh, "vsys: %s", what);
		return PAM_SESSION_ERR;
	}
	pam_syslog(pamh, LOG_WARNING, "%s: session stays on the host", what);
	return PAM_SUCCESS;
}

static void mark_entered(pam_handle_t *pamh)
{
	(void)pam_set_data(pamh, MODULE_DATA, (void *)"y", NULL);
}

VSYS_PAM_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct options o;
	struct login l;
	char name[NAME_MAX_LEN + 1], dflt[NAME_MAX_LEN + 1], err[VSYS_ERR_MAX], what[VSYS_ERR_MAX + 64];
	const void *done = NULL;
	int r, try_default;

	(void)flags;
	if (parse_options(pamh, argc, argv, &o) < 0)
		return PAM_SERVICE_ERR;
	/* opened twice in one process (pamtester, some login managers): the
	 * first open already placed the session */
	if (pam_get_data(pamh, MODULE_DATA, &done) == PAM_SUCCESS && done)
		return PAM_SUCCESS;
	if (lookup_login(pamh, &l) < 0)
		return fallback(pamh, &o, "cannot look up the user");

	r = user_choice(&o, &l, name, sizeof name, err, sizeof err);
	if (r == 1 && strcmp(name, o.host_keyword) == 0) {
		if (o.debug)
			pam_syslog(pamh, LOG_DEBUG, "~/%s: stay on the host", o.user_conf_file);
		mark_entered(pamh);
		return PAM_SUCCESS;
	}
	default_choice(&o, dflt, sizeof dflt);
	if (r == 1) {
		if (enter_system(pamh, &l, name) == 0) {
			pam_syslog(pamh, LOG_INFO, "session of uid %u entered system %s (~/%s)",
				   (unsigned)l.uid, entry.system, o.user_conf_file);
			mark_entered(pamh);
			return PAM_SUCCESS;
		}
		snprintf(what, sizeof what, "%s", entry.err);
		try_default = o.fail_to_default;
	} else if (r < 0) {
		snprintf(what, sizeof what, "%s", err); /* names ~/FILE itself */
		try_default = o.fail_to_default;
	} else {
		what[0] = '\0';
		try_default = 1;
	}
	if (try_default && dflt[0]) {
		if (what[0])
			pam_syslog(pamh, LOG_WARNING, "%s: trying the default %s", what, dflt);
		if (enter_system(pamh, &l, dflt) == 0) {
			pam_syslog(pamh, LOG_INFO, "session of uid %u entered system %s (default)",
				   (unsigned)l.uid, entry.system);
			mark_entered(pamh);
			return PAM_SUCCESS;
		}
		snprintf(what, sizeof what, "default %s: %s", dflt, entry.err);
	}
	if (!what[0]) {
		mark_entered(pamh);
		return PAM_SUCCESS; /* no choice, no default: the host */
	}
	r = fallback(pamh, &o, what);
	if (r == PAM_SUCCESS)
		mark_entered(pamh);
	return r;
}

VSYS_PAM_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
