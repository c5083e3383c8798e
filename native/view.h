/* view.h - vsys-view's parts: the steps both link modes share (view.c,
 * view_binds.c) and the table of operations each link mode implements
 * (view_namespace.c: link=namespace, view_kmod.c: link=kmod). */
#ifndef VSYS_VIEW_H
#define VSYS_VIEW_H

#include "record.h"
#include "util.h"

#include <stddef.h>
#include <sys/types.h>

#define R VSYS_ROOT
#define ROOT_TREE R "/.root"
#define NS_DIR R "/.ns"
#define VAR_DIR R "/.var"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

/* One link mode: what each command of vsys-view does in it. Every
 * operation dies with one line on failure (die()). */
struct link_ops {
	const char *name;                     /* the value of link= */
	void (*shared_up)(void);              /* build R/.root and R/.ns */
	void (*shared_down)(void);            /* undo shared_up; refused while prepared */
	void (*prepare)(const char *system);  /* (re)make the system's view */
	void (*release)(const char *system);  /* remove it (running commands keep theirs) */
	void (*users)(const char *system);    /* print the pids that use it */
	void (*refresh)(const char *system);  /* re-bind the host files in it */
};

extern const struct link_ops namespace_link_ops; /* view_namespace.c */
extern const struct link_ops kmod_link_ops;      /* view_kmod.c */

/* The layout (view.c). */
#define N_TREE_DIRS 7
#define N_LOCAL_DIRS 6
#define N_HOST_BINDS 4
#define N_LINK_DIRS 15
extern const char *const tree_dirs[N_TREE_DIRS];   /* real directories of R/.root */
extern const char *const local_dirs[N_LOCAL_DIRS]; /* local parts at a system's top */
extern const char *const host_binds[N_HOST_BINDS]; /* host dirs bound as slaves */
extern const char *const link_dirs[N_LINK_DIRS];   /* names that are the system's */

/* Files and directories (view.c). */
int is_mountpoint(const char *path);
int is_mount_root_fd(int fd);
void ensure_dir(const char *path, mode_t mode);
void ensure_dirs_at(int dirfd, const char *rel, const char *what);
int open_no_symlinks(const char *path, int flags);
void check_name(const char *name);
void detach_all(const char *path);
void detach_below(const char *prefix);
int has_mounts_below(const char *prefix);

/* The admin's config and the system records (view.c). */
const struct record *read_conf(void);
const struct system_info *record_info(const char *name);

/* Before a system is prepared, in both modes: R/NAME is a directory, and
 * R/.var/NAME/tmp (its /var/tmp) exists (view.c). */
void check_system_dir(const char *name);
void ensure_var_dirs(const char *name, const struct system_info *info);
/* A restricted system (users= or groups=) and where its tree is on the host:
 * R/.private/NAME, else R/NAME (view.c). */
int restricted(const struct system_info *info);
void system_dir(const char *name, char *buf, size_t size);

/* The shared tree's directories, R/.ns, and its host binds (view.c). */
void shared_tree_dirs(void);
void ns_dir_up(void);
void ns_dir_down(void);
enum bind_kind {
	BIND_TREE,    /* mounted once in the shared tree (e.g. /scratch) */
	BIND_SYSTEM,  /* below a system directory (e.g. /srv/projects): bound inside
			 each prepared namespace, where the system has that directory */
	BIND_SHOWN,   /* below /home or /tmp: already shown */
};
enum bind_kind check_bind_path(const char *p);
void bind_slave(const char *src, const char *dst, int follow);
void shared_binds(const struct record *conf, int make_dirs);
void host_binds_up(void);
int tree_bind_wanted(const struct record *conf, size_t idx);
int is_tree_bind_top(const struct record *conf, const char *name);
int is_tree_dir(const char *name);
void made_shared_undo(void);

/* The binds of one system's tree (view_binds.c): detached copies made
 * first (while the host's tree is reachable), attached on targets resolved
 * inside the system's tree. */
#define MAX_HOSTFILES 32
#define MAX_BINDS 128

struct pending_bind {
	char rel[300];   /* target, relative to the system's tree */
	int tree;        /* detached mount (open_tree) */
	int want_dir;
};

int open_view(const char *name, const char *view);
int system_tree_copy(const char *name, const struct system_info *info, int slave);
size_t host_file_copies(const char *hostfiles, struct pending_bind *binds, size_t max);
size_t system_binds_collect(const char *name, const struct system_info *info,
			    struct pending_bind *binds, size_t max, int slave);
void attach_binds(const char *name, int sysfd, struct pending_bind *binds, size_t nb);
void rebind_host_files(const char *name, int rootfd, struct pending_bind *binds, size_t nb);

#endif
