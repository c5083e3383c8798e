/*
 * launchbench: paired, interleaved timing of whole commands (fork + exec + wait).
 *
 *   launchbench [-n ROUNDS] [-w WARMUP] [-t SECONDS] [-C DIR] [-v] [-e] [-c] [-o RAWFILE]
 *               ::: LABEL[@USER] CMD [ARGS...] ::: LABEL2[@USER] CMD2 [ARGS...] ...
 *
 * Each round runs every command once, in the order given (A B C A B C ...), so that
 * a colleague's compile or a CPU frequency change hits all commands alike. Every
 * run is timed from just before fork() to just after wait4() with CLOCK_MONOTONIC.
 * The first command is the reference: besides median/min/max the output gives the
 * ratio of medians and the median of the per-round (paired) ratios against it.
 *
 *   -n ROUNDS   measured rounds (default 200)
 *   -w WARMUP   unmeasured rounds first (default 5)
 *   -t SECONDS  stop measuring after this much time (at least 3 rounds are done)
 *   -C DIR      working directory of the children (default: inherited)
 *   -v          keep the children's stdout/stderr (default: /dev/null); stdin is /dev/null
 *   -o FILE     write every sample ("label round microseconds") to FILE
 *   -e          tolerate a non-zero exit status (default: abort on the first one)
 *   -c          time the CPU the child used (user + system, its reaped children included, from
 *               wait4's rusage) instead of the wall clock: on a loaded machine this leaves out
 *               the time spent waiting for a CPU (the "_us" columns are then CPU microseconds)
 *
 * LABEL@USER runs that command as USER (its groups are resolved once; the child makes
 * setgroups + setgid + setuid before exec: a few microseconds).
 *
 * Helper modes for the benchmark's set-up (root):
 *   launchbench --bind-many DIR N    make DIR a private self-bind, bind DIR/src on DIR/m1..mN
 *   launchbench --umount-many DIR    detach DIR and everything below it
 *
 * Output (tab separated, one line per command, after a '#' header):
 *   label n median_us min_us max_us p25_us p75_us ratio paired_ratio maxrss_kb fails
 * ratio = median / median(reference); paired_ratio = median over rounds of
 * t(label)/t(reference); maxrss_kb = median ru_maxrss of the child (covers the
 * process image before and after exec); fails = runs with a non-zero status (with -e;
 * all runs, warm-up included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
    char *label;
    char **argv;
    int as_user;
    uid_t uid;
    gid_t gid;
    char *user;
    gid_t groups[256];
    int ngroups;
    int fails;     /* runs with a non-zero status (only with -e) */
    int last_status;
    double *t;     /* microseconds per measured round */
    long *rss;     /* ru_maxrss per measured round, KiB */
};

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "launchbench: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* quantile of a sorted array, linear interpolation */
static double quant(const double *s, int n, double q)
{
    if (n == 1)
        return s[0];
    double pos = q * (n - 1);
    int i = (int)pos;
    if (i >= n - 1)
        return s[n - 1];
    return s[i] + (pos - i) * (s[i + 1] - s[i]);
}

static int devnull = -1;
static char errpath[64];   /* the children's stderr, shown when one fails */
static int verbose = 0;
static int tolerate = 0;
static int cputime = 0;
static const char *cwd = NULL;

/* run one command; returns elapsed microseconds, stores maxrss */
static double run(struct cmd *c, long *rss)
{
    struct rusage ru;
    int st;
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(devnull, 0);
        if (!verbose) {
            int e = open(errpath, O_WRONLY | O_TRUNC | O_CLOEXEC);
            dup2(devnull, 1);
            dup2(e >= 0 ? e : devnull, 2);
        }
        if (cwd && chdir(cwd) != 0) {
            perror("launchbench: chdir");
            _exit(125);
        }
        if (c->as_user) {
            if (setgroups(c->ngroups, c->groups) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0) {
                perror("launchbench: drop to user");
                _exit(125);
            }
        }
        execvp(c->argv[0], c->argv);
        _exit(127);
    }
    if (wait4(pid, &st, 0, &ru) < 0)
        die("wait4: %s", strerror(errno));
    double t = now_us() - t0;
    if (cputime)
        t = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
    *rss = ru.ru_maxrss;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && tolerate) {
        c->fails++;
        c->last_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !tolerate) {
        fprintf(stderr, "launchbench: %s: ", c->label);
        if (WIFEXITED(st))
            fprintf(stderr, "exit status %d", WEXITSTATUS(st));
        else
            fprintf(stderr, "killed by signal %d", WTERMSIG(st));
        fprintf(stderr, " (command:");
        for (char **a = c->argv; *a; a++)
            fprintf(stderr, " %s", *a);
        fprintf(stderr, ")\n");
        if (!verbose) {
            char buf[1024];
            int e = open(errpath, O_RDONLY | O_CLOEXEC);
            ssize_t k = e >= 0 ? read(e, buf, sizeof buf - 1) : -1;
            if (k > 0) {
                buf[k] = 0;
                fprintf(stderr, "launchbench: its stderr: %s%s", buf, buf[k - 1] == '\n' ? "" : "\n");
            }
        }
        unlink(errpath);
        exit(1);
    }
    return t;
}

/* DIR becomes a private self-bind (so nothing propagates in or out: with a shared "/" a
 * bind of a shared mount joins its peer group and every later mount would be copied
 * to all peers), then DIR/src is bound on DIR/m1 .. DIR/mN. */
static int bind_many(const char *dir, int n)
{
    char p[4096], src[4096];
    if (mount(dir, dir, NULL, MS_BIND, NULL) != 0 || mount(NULL, dir, NULL, MS_PRIVATE, NULL) != 0) {
        perror(dir);
        return 1;
    }
    snprintf(src, sizeof src, "%s/src", dir);
    if (mkdir(src, 0755) != 0 && errno != EEXIST) {
        perror(src);
        return 1;
    }
    for (int k = 1; k <= n; k++) {
        snprintf(p, sizeof p, "%s/m%d", dir, k);
        if ((mkdir(p, 0755) != 0 && errno != EEXIST) || mount(src, p, NULL, MS_BIND, NULL) != 0) {
            perror(p);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--bind-many"))
        return bind_many(argv[2], atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "--umount-many")) {
        /* detaching DIR takes every mount below it along */
        if (umount2(argv[2], MNT_DETACH) != 0) {
            perror(argv[2]);
            return 1;
        }
        return 0;
    }

    int rounds = 200, warm = 5;
    double limit_s = 0;
    const char *rawfile = NULL;
    int i = 1;

    for (; i < argc && strcmp(argv[i], ":::") != 0; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-n") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(o, "-w") && i + 1 < argc)
            warm = atoi(argv[++i]);
        else if (!strcmp(o, "-t") && i + 1 < argc)
            limit_s = atof(argv[++i]);
        else if (!strcmp(o, "-C") && i + 1 < argc)
            cwd = argv[++i];
        else if (!strcmp(o, "-o") && i + 1 < argc)
            rawfile = argv[++i];
        else if (!strcmp(o, "-v"))
            verbose = 1;
        else if (!strcmp(o, "-e"))
            tolerate = 1;
        else if (!strcmp(o, "-c"))
            cputime = 1;
        else
            die("unknown option %s (usage: launchbench [-n N] [-w W] [-t S] [-C DIR] [-v] [-e] [-c] [-o FILE] ::: LABEL CMD... ::: ...)", o);
    }
    if (rounds < 1)
        rounds = 1;

    /* split the commands at ":::": each separator becomes the NULL ending the argv before it */
    struct cmd cmds[64];
    int nc = 0;
    while (i < argc) {
        argv[i++] = NULL; /* was ":::" */
        if (i >= argc || !strcmp(argv[i], ":::"))
            die("%s", "empty command after :::");
        if (nc == 64)
            die("%s", "too many commands");
        struct cmd *c = &cmds[nc++];
        memset(c, 0, sizeof *c);
        c->label = argv[i++];
        char *at = strchr(c->label, '@');
        if (at) {
            *at = 0;
            c->user = at + 1;
            struct passwd *pw = getpwnam(c->user);
            if (!pw)
                die("no such user %s", c->user);
            c->as_user = 1;
            c->uid = pw->pw_uid;
            c->gid = pw->pw_gid;
            /* resolved here, once: the child only makes three system calls */
            c->ngroups = 256;
            if (getgrouplist(c->user, c->gid, c->groups, &c->ngroups) < 0)
                die("too many groups for %s", c->user);
        }
        c->argv = &argv[i];
        while (i < argc && strcmp(argv[i], ":::") != 0)
            i++;
        if (c->argv == &argv[i])
            die("no command for label %s", c->label);
        c->t = calloc(rounds, sizeof(double));
        c->rss = calloc(rounds, sizeof(long));
        if (!c->t || !c->rss)
            die("%s", "out of memory");
    }
    if (nc == 0)
        die("%s", "no commands (give ::: LABEL CMD ...)");

    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        die("/dev/null: %s", strerror(errno));
    snprintf(errpath, sizeof errpath, "/tmp/launchbench.%d.err", (int)getpid());
    {
        int e = open(errpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (e < 0)
            die("%s: cannot create", errpath);
        fchmod(e, 0666); /* children may run as another user */
        close(e);
    }

    long rss;
    for (int r = 0; r < warm; r++)
        for (int k = 0; k < nc; k++)
            run(&cmds[k], &rss);

    double start = now_us();
    int done = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < nc; k++)
            cmds[k].t[r] = run(&cmds[k], &cmds[k].rss[r]);
        done = r + 1;
        if (limit_s > 0 && done >= 3 && (now_us() - start) / 1e6 > limit_s)
            break;
    }

    unlink(errpath);
    if (rawfile) {
        FILE *f = fopen(rawfile, "w");
        if (!f)
            die("%s: cannot write", rawfile);
        for (int r = 0; r < done; r++)
            for (int k = 0; k < nc; k++)
                fprintf(f, "%s\t%d\t%.1f\n", cmds[k].label, r, cmds[k].t[r]);
        fclose(f);
    }

    double *ratio = calloc(done, sizeof(double));
    double *s = calloc(done, sizeof(double));
    double refmed = 0;
    printf("#label\tn\tmedian_us\tmin_us\tmax_us\tp25_us\tp75_us\tratio\tpaired_ratio\tmaxrss_kb\tfails\n");
    for (int k = 0; k < nc; k++) {
        struct cmd *c = &cmds[k];
        memcpy(s, c->t, done * sizeof(double));
        qsort(s, done, sizeof(double), cmp_double);
        double med = quant(s, done, 0.5);
        if (k == 0)
            refmed = med;
        for (int r = 0; r < done; r++)
            ratio[r] = c->t[r] / cmds[0].t[r];
        qsort(ratio, done, sizeof(double), cmp_double);
        qsort(c->rss, done, sizeof(long), cmp_long);
        printf("%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\t%.3f\t%ld\t", c->label, done, med,
               s[0], s[done - 1], quant(s, done, 0.25), quant(s, done, 0.75), med / refmed,
               quant(ratio, done, 0.5), c->rss[done / 2]);
        if (c->fails)
            printf("%d(last status %d)\n", c->fails, c->last_status);
        else
            printf("0\n");
    }
    return 0;
}
