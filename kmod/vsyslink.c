// SPDX-License-Identifier: GPL-2.0
/*
 * vsyslink - a per-process symbolic link (CHOS's /proc/chos/link, done with
 * supported interfaces only).
 *
 * A tiny pseudo filesystem ("vsyslink") holds:
 *   link     a symlink whose body depends on the calling process: the path
 *            registered for the process's target, or default_link ("/")
 *   targets  read: "NAME NPROCS PATH" lines; write: "add NAME PATH",
 *            "private NAME" or "del NAME" (CAP_SYS_ADMIN in the initial
 *            user namespace)
 *   set      write "NAME", "NAME PID", "NAME PID UID", "-" or "- PID"
 *            (CAP_SYS_ADMIN)
 *   stats    counters, one "key value" per line
 *   procs    "TGID NAME UID" per tracked process (root only)
 *   os/NAME  the gate of a private target (one directory per private target,
 *            made at lookup, as /proc/PID is): mode 0500 root, and open to
 *            the processes linked to NAME for the uid they were linked for
 *            (their entry's uid equals their real uid); os/NAME/root is the
 *            mount point of the target's tree, the body "os/NAME/root"
 *
 * A private target is how a system restricted to some users is reached: the
 * tree is mounted behind its gate, so no path of the host reaches it for a
 * process the launcher did not link (after its users= check) for its own
 * user.  The gate is a permission check on every walk, like proc_pid_permission
 * on /proc/PID, never a cached decision; a process that changes its real uid
 * (su, runuser, a setuid program that sets it) or is forked by one loses the
 * way in, and a user namespace changes nothing (the uids compared are kuids).
 *
 * The link of a process is inherited at fork, with the uid it was set for,
 * kept when the parent exits and dropped when the last thread of the process
 * exits.  Fork and exit are seen
 * through the sched_process_fork and sched_process_exit tracepoints, found
 * with for_each_kernel_tracepoint() and attached with
 * tracepoint_probe_register(), both exported for out-of-tree tracers.
 *
 * Readers (get_link, the fork and exit fast paths) use RCU; writers take
 * vsys_lock.  get_link never sleeps, so it serves RCU path walk directly.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#define VSYS_MAGIC	0x76737973	/* "vsys" */
#define VSYS_NAME_MAX	64
#define VSYS_PATH_MAX	1024
#define VSYS_HASH_BITS	12

static char *default_link = "/";
module_param(default_link, charp, 0444);
MODULE_PARM_DESC(default_link,
		 "Body of the link for processes never set (default \"/\")");

static unsigned int max_targets = 4096;
module_param(max_targets, uint, 0644);
MODULE_PARM_DESC(max_targets, "Maximum number of registered targets");

/* A registered target: a name and the link body it stands for. */
struct vsys_target {
	struct kref ref;		/* list + entries + get_link callers */
	struct list_head node;		/* on vsys_targets, under vsys_lock */
	struct hlist_node hnode;	/* in vsys_names, under vsys_lock */
	atomic_t nprocs;		/* processes whose link is this target */
	bool gated;			/* private: reached through os/NAME */
	struct rcu_head rcu;
	char *path;
	char name[];
};

/* A tracked process (thread group), keyed by its global tgid; immutable. */
struct vsys_entry {
	struct hlist_node node;
	pid_t tgid;
	kuid_t uid;			/* the user it was linked for */
	struct vsys_target *target;
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(vsys_procs, VSYS_HASH_BITS);
static DEFINE_HASHTABLE(vsys_names, VSYS_HASH_BITS);
static LIST_HEAD(vsys_targets);
static DEFINE_SPINLOCK(vsys_lock);
static unsigned int vsys_ntargets;	/* under vsys_lock */
static unsigned long vsys_tracked;	/* under vsys_lock */
static atomic_long_t vsys_forks = ATOMIC_LONG_INIT(0);
static atomic_long_t vsys_exits = ATOMIC_LONG_INIT(0);
static atomic_long_t vsys_nomem = ATOMIC_LONG_INIT(0);

static struct tracepoint *tp_fork, *tp_exit;

static void vsys_target_free(struct kref *ref)
{
	struct vsys_target *t = container_of(ref, struct vsys_target, ref);

	kfree_rcu(t, rcu);
}

static void vsys_target_put(void *arg)
{
	struct vsys_target *t = arg;

	kref_put(&t->ref, vsys_target_free);
}

static struct vsys_entry *vsys_find(pid_t tgid)
{
	struct vsys_entry *e;

	hash_for_each_possible_rcu(vsys_procs, e, node, tgid,
				   lockdep_is_held(&vsys_lock))
		if (e->tgid == tgid)
			return e;
	return NULL;
}

static u32 vsys_name_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

static struct vsys_target *vsys_target_find(const char *name)
{
	struct vsys_target *t;

	lockdep_assert_held(&vsys_lock);
	hash_for_each_possible(vsys_names, t, hnode, vsys_name_hash(name))
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* Track or untrack one process; the module is pinned while any is tracked. */
static void vsys_count(long delta)
{
	lockdep_assert_held(&vsys_lock);
	if (delta > 0 && vsys_tracked++ == 0)
		__module_get(THIS_MODULE);
	else if (delta < 0 && --vsys_tracked == 0)
		module_put(THIS_MODULE);
}

/*
 * Put @e (may be NULL) in place of the entry of @tgid, under vsys_lock.
 * Returns the number of entries removed (0 or 1).
 */
static int vsys_replace(pid_t tgid, struct vsys_entry *e)
{
	struct vsys_entry *old = vsys_find(tgid);

	lockdep_assert_held(&vsys_lock);
	if (e) {
		atomic_inc(&e->target->nprocs);
		if (old) {
			hlist_replace_rcu(&old->node, &e->node);
		} else {
			hash_add_rcu(vsys_procs, &e->node, tgid);
			vsys_count(1);
		}
	} else if (old) {
		hash_del_rcu(&old->node);
		vsys_count(-1);
	}
	if (!old)
		return 0;
	atomic_dec(&old->target->nprocs);
	vsys_target_put(old->target);
	kfree_rcu(old, rcu);
	return 1;
}

static struct vsys_entry *vsys_entry_new(pid_t tgid, kuid_t uid, gfp_t gfp)
{
	struct vsys_entry *e = kmalloc(sizeof(*e), gfp);

	if (!e)
		return NULL;
	e->tgid = tgid;
	e->uid = uid;
	e->target = NULL;
	return e;
}

/* Tracepoint probes: called with preemption disabled, must not sleep. */
static void vsys_fork_probe(void *data, struct task_struct *parent,
			    struct task_struct *child)
{
	struct vsys_entry *pe, *e;
	bool tracked;

	if (child->tgid == parent->tgid)	/* a new thread */
		return;
	rcu_read_lock();
	tracked = !!vsys_find(parent->tgid);
	rcu_read_unlock();
	if (!tracked)
		return;

	e = kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_NOWARN);
	if (!e) {
		/* the child falls back to default_link */
		atomic_long_inc(&vsys_nomem);
		return;
	}
	spin_lock(&vsys_lock);
	pe = vsys_find(parent->tgid);
	if (pe) {
		kref_get(&pe->target->ref);
		e->tgid = child->tgid;
		e->uid = pe->uid;
		e->target = pe->target;
		vsys_replace(child->tgid, e);
		e = NULL;
	}
	spin_unlock(&vsys_lock);
	if (!e)
		atomic_long_inc(&vsys_forks);
	kfree(e);
}

static void vsys_exit_probe(void *data, struct task_struct *p)
{
	bool tracked;

	/* do_exit() has already counted this thread out of signal->live */
	if (atomic_read(&p->signal->live))
		return;
	rcu_read_lock();
	tracked = !!vsys_find(p->tgid);
	rcu_read_unlock();
	if (!tracked)
		return;
	spin_lock(&vsys_lock);
	if (vsys_replace(p->tgid, NULL))
		atomic_long_inc(&vsys_exits);
	spin_unlock(&vsys_lock);
}

/* The per-process link. */
static const char *vsys_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	struct vsys_target *t = NULL;
	struct vsys_entry *e;

	/* No sleeping here: safe for RCU walk (dentry == NULL) as it is. */
	rcu_read_lock();
	e = vsys_find(current->tgid);
	if (e && kref_get_unless_zero(&e->target->ref))
		t = e->target;
	rcu_read_unlock();
	if (!t)
		return default_link;
	set_delayed_call(done, vsys_target_put, t);
	return t->path;
}

static const struct inode_operations vsys_link_iops = {
	.get_link	= vsys_get_link,
};

/*
 * The gates of the private targets: os/NAME, made at lookup for a registered
 * private target (a name that is not one: ENOENT), holding one directory,
 * root, on which the admin mounts the tree.  The dentries are not kept once
 * unused (simple_dentry_operations), so a gate lives as long as something
 * is mounted on its root or a walk is in it, and a name registered later is
 * found at once.
 */
static const struct inode_operations vsys_gate_iops;

static struct inode *vsys_dir_inode(struct super_block *sb, umode_t mode,
				    const struct inode_operations *iops)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = S_IFDIR | mode;
	inode->i_op = iops;
	inode->i_fop = &simple_dir_operations;
	inode->i_atime = current_time(inode);
	inode->i_mtime = inode->i_atime;
	inode->i_ctime = inode->i_atime;
	set_nlink(inode, 2);
	return inode;
}

static struct dentry *vsys_splice(struct dentry *dentry, struct inode *inode)
{
	if (!dentry->d_sb->s_d_op)
		d_set_d_op(dentry, &simple_dentry_operations);
	return d_splice_alias(inode, dentry);
}

/* Lookup in a gate: its only entry is root, an empty directory. */
static struct dentry *vsys_gate_lookup(struct inode *dir, struct dentry *dentry,
				       unsigned int flags)
{
	struct inode *inode = NULL;

	if (!strcmp(dentry->d_name.name, "root")) {
		inode = vsys_dir_inode(dir->i_sb, 0555,
				       &simple_dir_inode_operations);
		if (!inode)
			return ERR_PTR(-ENOMEM);
	}
	return vsys_splice(dentry, inode);
}

/*
 * May the caller pass the gate @inode?  Like proc_pid_permission: decided on
 * every walk from the caller's task and credentials, never cached.  Open to
 * the processes linked to this gate's target for their own real uid, else
 * the mode (0500 root: real root only; an unmapped root of a user namespace
 * is no owner).  RCU walk safe: no sleeping, the entry and its target are
 * read under RCU and the name lives until the inode is freed after a grace
 * period (vsys_free_inode).
 */
static int vsys_gate_permission(struct user_namespace *mnt_userns,
				struct inode *inode, int mask)
{
	const char *name = inode->i_private;
	struct vsys_entry *e;
	bool linked;

	rcu_read_lock();
	e = vsys_find(current->tgid);
	linked = e && e->target->gated && !strcmp(e->target->name, name) &&
		 uid_eq(e->uid, current_uid());
	rcu_read_unlock();
	if (linked && !(mask & MAY_WRITE))
		return 0;
	return generic_permission(mnt_userns, inode, mask);
}

static const struct inode_operations vsys_gate_iops = {
	.lookup		= vsys_gate_lookup,
	.permission	= vsys_gate_permission,
};

/* A gate lists its one entry, whether looked up yet or not. */
static int vsys_gate_readdir(struct file *file, struct dir_context *ctx)
{
	if (!dir_emit_dots(file, ctx))
		return 0;
	if (ctx->pos == 2) {
		if (!dir_emit(ctx, "root", 4, file_inode(file)->i_ino + 1,
			      DT_DIR))
			return 0;
		ctx->pos++;
	}
	return 0;
}

static const struct file_operations vsys_gate_fops = {
	.owner		= THIS_MODULE,
	.read		= generic_read_dir,
	.iterate_shared	= vsys_gate_readdir,
	.llseek		= generic_file_llseek,
};

/* Lookup in os/: a gate for each registered private target. */
static struct dentry *vsys_os_lookup(struct inode *dir, struct dentry *dentry,
				     unsigned int flags)
{
	struct vsys_target *t;
	struct inode *inode;
	bool found;
	char *name;

	if (dentry->d_name.len > VSYS_NAME_MAX)
		return vsys_splice(dentry, NULL);
	name = kstrdup(dentry->d_name.name, GFP_KERNEL);
	if (!name)
		return ERR_PTR(-ENOMEM);
	spin_lock(&vsys_lock);
	t = vsys_target_find(name);
	found = t && t->gated;
	spin_unlock(&vsys_lock);
	if (!found) {
		kfree(name);
		return vsys_splice(dentry, NULL);
	}
	inode = vsys_dir_inode(dir->i_sb, 0500, &vsys_gate_iops);
	if (!inode) {
		kfree(name);
		return ERR_PTR(-ENOMEM);
	}
	inode->i_fop = &vsys_gate_fops;
	inode->i_private = name;
	return vsys_splice(dentry, inode);
}

static const struct inode_operations vsys_os_iops = {
	.lookup		= vsys_os_lookup,
};

static void vsys_free_inode(struct inode *inode)
{
	if (inode->i_op == &vsys_gate_iops)
		kfree(inode->i_private);
	free_inode_nonrcu(inode);
}

/* Control files. */
static bool vsys_privileged(const struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) &&
	       capable(CAP_SYS_ADMIN);
}

static bool vsys_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VSYS_NAME_MAX || !isalnum(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool vsys_valid_path(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VSYS_PATH_MAX)
		return false;
	for (; *s; s++)
		if (!isprint(*s))
			return false;
	return true;
}

/* Copy a one-line command from user space, without its trailing newline. */
static char *vsys_read_cmd(const char __user *ubuf, size_t len, size_t max)
{
	char *buf;

	if (len == 0 || len > max)
		return ERR_PTR(-EINVAL);
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return buf;
	if (buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	if (strchr(buf, '\n')) {
		kfree(buf);
		return ERR_PTR(-EINVAL);
	}
	return buf;
}

/*
 * Register @name: an open target whose body is @path, or (@path NULL) a
 * private one whose body is "os/NAME/root", behind its gate.
 */
static int vsys_target_add(const char *name, const char *path)
{
	size_t nlen = strlen(name) + 1, plen;
	struct vsys_target *t;
	int err = 0;

	if (!vsys_valid_name(name) || (path && !vsys_valid_path(path)))
		return -EINVAL;
	plen = path ? strlen(path) + 1 : nlen + sizeof("os//root") - 1;
	t = kzalloc(sizeof(*t) + nlen + plen, GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	kref_init(&t->ref);
	atomic_set(&t->nprocs, 0);
	memcpy(t->name, name, nlen);
	t->path = t->name + nlen;
	if (path)
		memcpy(t->path, path, plen);
	else
		snprintf(t->path, plen, "os/%s/root", name);
	t->gated = !path;

	spin_lock(&vsys_lock);
	if (vsys_target_find(name))
		err = -EEXIST;
	else if (vsys_ntargets >= READ_ONCE(max_targets))
		err = -ENOSPC;
	if (!err) {
		list_add_tail(&t->node, &vsys_targets);
		hash_add(vsys_names, &t->hnode, vsys_name_hash(name));
		vsys_ntargets++;
	}
	spin_unlock(&vsys_lock);
	if (err)
		kfree(t);
	return err;
}

/* Processes already set keep their link; new sets to @name fail. */
static int vsys_target_del(const char *name)
{
	struct vsys_target *t;

	spin_lock(&vsys_lock);
	t = vsys_target_find(name);
	if (t) {
		list_del(&t->node);
		hash_del(&t->hnode);
		vsys_ntargets--;
	}
	spin_unlock(&vsys_lock);
	if (!t)
		return -ENOENT;
	vsys_target_put(t);
	return 0;
}

static ssize_t vsys_targets_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	char *buf, *cmd, *name, *path;
	int err = -EINVAL;

	if (!vsys_privileged(file))
		return -EPERM;
	buf = vsys_read_cmd(ubuf, len, VSYS_NAME_MAX + VSYS_PATH_MAX + 8);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	path = buf;
	cmd = strsep(&path, " ");
	name = strsep(&path, " ");
	if (!strcmp(cmd, "add") && name && path)
		err = vsys_target_add(name, path);
	else if (!strcmp(cmd, "private") && name && !path)
		err = vsys_target_add(name, NULL);
	else if (!strcmp(cmd, "del") && name && !path)
		err = vsys_target_del(name);
	kfree(buf);
	return err ? err : len;
}

static int vsys_targets_show(struct seq_file *m, void *v)
{
	struct vsys_target *t;

	spin_lock(&vsys_lock);
	list_for_each_entry(t, &vsys_targets, node)
		seq_printf(m, "%s %d %s\n", t->name, atomic_read(&t->nprocs),
			   t->path);
	spin_unlock(&vsys_lock);
	return 0;
}

static int vsys_targets_open(struct inode *inode, struct file *file)
{
	return single_open(file, vsys_targets_show, NULL);
}

static const struct file_operations vsys_targets_fops = {
	.owner		= THIS_MODULE,
	.open		= vsys_targets_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= vsys_targets_write,
	.release	= single_release,
};

/*
 * Global tgid of the process @nr names in the caller's pid namespace, and
 * its real uid.
 */
static pid_t vsys_tgid_of(pid_t nr, kuid_t *uid)
{
	struct task_struct *task;
	pid_t tgid = 0;

	rcu_read_lock();
	task = pid_task(find_vpid(nr), PIDTYPE_PID);
	if (task && !(task->flags & PF_EXITING)) {
		tgid = task->tgid;
		*uid = task_uid(task);
	}
	rcu_read_unlock();
	return tgid;
}

/* True if the thread group @tgid still has a live thread. */
static bool vsys_alive(pid_t tgid)
{
	struct task_struct *task;
	bool alive = false;

	rcu_read_lock();
	task = pid_task(find_pid_ns(tgid, &init_pid_ns), PIDTYPE_PID);
	if (task)
		alive = atomic_read(&task->signal->live) > 0;
	rcu_read_unlock();
	return alive;
}

static int vsys_set(const char *name, pid_t tgid, kuid_t uid)
{
	struct vsys_entry *e = NULL;
	struct vsys_target *t;
	int err = 0;

	if (strcmp(name, "-")) {
		e = vsys_entry_new(tgid, uid, GFP_KERNEL);
		if (!e)
			return -ENOMEM;
	}
	spin_lock(&vsys_lock);
	if (e) {
		t = vsys_target_find(name);
		if (t) {
			kref_get(&t->ref);
			e->target = t;
		} else {
			err = -ENOENT;
		}
	}
	if (!err)
		vsys_replace(tgid, e);
	spin_unlock(&vsys_lock);
	if (err) {
		kfree(e);
		return err;
	}
	/*
	 * Pairs with the full barrier of atomic_dec_and_test(&signal->live)
	 * in do_exit(): either the exit probe sees the new entry, or we see
	 * the process dead and undo the insertion ourselves.
	 */
	smp_mb();
	if (e && !vsys_alive(tgid)) {
		spin_lock(&vsys_lock);
		if (vsys_find(tgid) == e)
			vsys_replace(tgid, NULL);
		spin_unlock(&vsys_lock);
		return -ESRCH;
	}
	return 0;
}

/*
 * "NAME [PID [UID]]" or "- [PID]": the link of PID (default: the writer) set
 * for the user UID (in the writer's user namespace; default: the process's
 * real uid now), or reset.  The front ends that enter as root for a user
 * (PAM, Slurm) name the user; the setuid launcher's real uid is its caller.
 */
static ssize_t vsys_set_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char *buf, *name, *arg, *uarg;
	pid_t tgid = current->tgid;
	kuid_t uid = current_uid();
	unsigned int u;
	int nr, err;

	if (!vsys_privileged(file))
		return -EPERM;
	buf = vsys_read_cmd(ubuf, len, VSYS_NAME_MAX + 32);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	arg = buf;
	name = strsep(&arg, " ");
	uarg = arg;
	if (arg)
		strsep(&uarg, " ");
	err = 0;
	if (arg) {
		err = kstrtoint(arg, 10, &nr);
		if (!err && nr <= 0)
			err = -EINVAL;
		if (!err) {
			tgid = vsys_tgid_of(nr, &uid);
			if (!tgid)
				err = -ESRCH;
		}
	}
	if (!err && uarg) {
		err = kstrtouint(uarg, 10, &u);
		if (!err) {
			uid = make_kuid(current_user_ns(), u);
			if (!uid_valid(uid) || !strcmp(name, "-"))
				err = -EINVAL;
		}
	}
	if (!err)
		err = vsys_set(name, tgid, uid);
	kfree(buf);
	return err ? err : len;
}

static const struct file_operations vsys_set_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.write		= vsys_set_write,
	.llseek		= no_llseek,
};

static int vsys_stats_show(struct seq_file *m, void *v)
{
	unsigned long tracked;
	unsigned int ntargets;

	spin_lock(&vsys_lock);
	tracked = vsys_tracked;
	ntargets = vsys_ntargets;
	spin_unlock(&vsys_lock);
	seq_printf(m, "tracked %lu\n", tracked);
	seq_printf(m, "targets %u\n", ntargets);
	seq_printf(m, "inherited %ld\n", atomic_long_read(&vsys_forks));
	seq_printf(m, "exited %ld\n", atomic_long_read(&vsys_exits));
	seq_printf(m, "nomem %ld\n", atomic_long_read(&vsys_nomem));
	return 0;
}

static int vsys_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, vsys_stats_show, NULL);
}

static const struct file_operations vsys_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= vsys_stats_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int vsys_procs_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct vsys_entry *e;
	unsigned int bkt;
	pid_t nr;

	rcu_read_lock();
	hash_for_each_rcu(vsys_procs, bkt, e, node) {
		nr = pid_nr_ns(find_pid_ns(e->tgid, &init_pid_ns), ns);
		if (nr)
			seq_printf(m, "%d %s %u\n", nr, e->target->name,
				   from_kuid_munged(seq_user_ns(m), e->uid));
	}
	rcu_read_unlock();
	return 0;
}

static int vsys_procs_open(struct inode *inode, struct file *file)
{
	return single_open(file, vsys_procs_show, NULL);
}

static const struct file_operations vsys_procs_fops = {
	.owner		= THIS_MODULE,
	.open		= vsys_procs_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* The filesystem: one superblock, shared by every mount. */
static const struct super_operations vsys_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.free_inode	= vsys_free_inode,
};

enum { VSYS_INO_TARGETS = 2, VSYS_INO_SET, VSYS_INO_STATS, VSYS_INO_PROCS,
	VSYS_INO_LINK, VSYS_INO_OS };

static int vsys_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr files[] = {
		[VSYS_INO_TARGETS] = { "targets", &vsys_targets_fops, 0644 },
		[VSYS_INO_SET] = { "set", &vsys_set_fops, 0222 },
		[VSYS_INO_STATS] = { "stats", &vsys_stats_fops, 0444 },
		[VSYS_INO_PROCS] = { "procs", &vsys_procs_fops, 0400 },
		{ "" }
	};
	struct dentry *dentry;
	struct inode *inode;
	int err;

	err = simple_fill_super(sb, VSYS_MAGIC, files);
	if (err)
		return err;
	sb->s_op = &vsys_sops;

	inode = new_inode(sb);
	if (!inode)
		return -ENOMEM;
	inode->i_ino = VSYS_INO_LINK;
	inode->i_mode = S_IFLNK | 0777;
	inode->i_op = &vsys_link_iops;
	inode->i_atime = current_time(inode);
	inode->i_mtime = inode->i_atime;
	inode->i_ctime = inode->i_atime;
	dentry = d_alloc_name(sb->s_root, "link");
	if (!dentry) {
		iput(inode);
		return -ENOMEM;
	}
	d_add(dentry, inode);

	inode = vsys_dir_inode(sb, 0555, &vsys_os_iops);
	if (!inode)
		return -ENOMEM;
	inode->i_ino = VSYS_INO_OS;
	dentry = d_alloc_name(sb->s_root, "os");
	if (!dentry) {
		iput(inode);
		return -ENOMEM;
	}
	inc_nlink(d_inode(sb->s_root));
	d_add(dentry, inode);
	return 0;
}

static int vsys_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, vsys_fill_super);
}

static const struct fs_context_operations vsys_context_ops = {
	.get_tree	= vsys_get_tree,
};

static int vsys_init_fs_context(struct fs_context *fc)
{
	fc->ops = &vsys_context_ops;
	return 0;
}

static struct file_system_type vsys_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "vsyslink",
	.init_fs_context	= vsys_init_fs_context,
	.kill_sb		= kill_litter_super,
};

/* Module load and unload. */
static void vsys_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		tp_exit = tp;
}

static int __init vsys_init(void)
{
	int err;

	for_each_kernel_tracepoint(vsys_find_tp, NULL);
	if (!tp_fork || !tp_exit) {
		pr_err("sched_process_fork/exit tracepoints not found\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(tp_exit, vsys_exit_probe, NULL);
	if (err)
		goto out;
	err = tracepoint_probe_register(tp_fork, vsys_fork_probe, NULL);
	if (err)
		goto out_exit;
	err = register_filesystem(&vsys_fs_type);
	if (err)
		goto out_fork;
	pr_info("loaded\n");
	return 0;

out_fork:
	tracepoint_probe_unregister(tp_fork, vsys_fork_probe, NULL);
out_exit:
	tracepoint_probe_unregister(tp_exit, vsys_exit_probe, NULL);
	tracepoint_synchronize_unregister();
out:
	pr_err("cannot load: %d\n", err);
	return err;
}

static void __exit vsys_exit(void)
{
	struct vsys_target *t, *tmp;
	struct vsys_entry *e;
	struct hlist_node *n;
	unsigned int bkt;

	/* Not mounted and no process tracked, or we would not be here. */
	unregister_filesystem(&vsys_fs_type);
	tracepoint_probe_unregister(tp_fork, vsys_fork_probe, NULL);
	tracepoint_probe_unregister(tp_exit, vsys_exit_probe, NULL);
	tracepoint_synchronize_unregister();

	spin_lock(&vsys_lock);
	hash_for_each_safe(vsys_procs, bkt, n, e, node) {
		hash_del_rcu(&e->node);
		vsys_target_put(e->target);
		kfree_rcu(e, rcu);
	}
	list_for_each_entry_safe(t, tmp, &vsys_targets, node) {
		list_del(&t->node);
		hash_del(&t->hnode);
		vsys_target_put(t);
	}
	spin_unlock(&vsys_lock);
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(vsys_init);
module_exit(vsys_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vsys project");
MODULE_DESCRIPTION("Per-process symbolic link for vsys (CHOS-style), inherited at fork");
MODULE_VERSION("0.1");
MODULE_ALIAS_FS("vsyslink");
