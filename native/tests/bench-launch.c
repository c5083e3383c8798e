/* bench-launch.c - paired, interleaved timing of whole launches.
 *
 * bench-launch N [-u UID:GID] LABEL PROG ARG... [--- [-u UID:GID] LABEL PROG ARG...]...
 *
 * Each iteration runs every command once, in turn (fork, optional
 * setgroups/setgid/setuid, execv, waitpid), timing fork to reap with
 * CLOCK_MONOTONIC, and the CPU time the command used (user + system, from
 * wait4, robust against a loaded machine). Prints per command: median, mean
 * and p90 wall time in microseconds, the median of the paired wall-time
 * ratios to the LAST command (the baseline), the median CPU time and its
 * ratio to the baseline's median CPU time. A failing run is retried (at most 20 in all),
 * then the benchmark aborts.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD 8

struct cmd {
	const char *label;
	char **argv;
	int as_user;
	uid_t uid;
	gid_t gid;
	double *t;
	double *cpu;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(double *v, int n, double q)
{
	double *c = malloc(sizeof(double) * (size_t)n), r;
	memcpy(c, v, sizeof(double) * (size_t)n);
	qsort(c, (size_t)n, sizeof(double), cmp_double);
	r = c[(int)(q * (n - 1) + 0.5)];
	free(c);
	return r;
}

static int failures;

static double run_once(struct cmd *c, double *cpu)
{
	double t0 = now_us(), t;
	struct rusage ru;
	int st;
	pid_t p = fork();

	if (p == 0) {
		if (c->as_user && (setgroups(0, NULL) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0))
			_exit(126);
		execv(c->argv[0], c->argv);
		_exit(127);
	}
	if (p < 0 || wait4(p, &st, 0, &ru) < 0) {
		perror("bench-launch");
		exit(2);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* others may be changing the installation for a moment: retry */
		if (++failures > 20) {
			fprintf(stderr, "bench-launch: %s failed (status %d)\n", c->label, st);
			exit(2);
		}
		usleep(200000);
		return run_once(c, cpu);
	}
	t = now_us() - t0;
	*cpu = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
	       ru.ru_stime.tv_usec;
	return t;
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAXCMD];
	int nc = 0, n, i, j;

	if (argc < 4) {
		fprintf(stderr, "usage: bench-launch N [-u UID:GID] LABEL PROG ARG... [--- ...]\n");
		return 2;
	}
	n = atoi(argv[1]);
	for (i = 2; i < argc && nc < MAXCMD;) {
		struct cmd *c = &cmds[nc++];
		memset(c, 0, sizeof *c);
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
			unsigned u, g;
			if (sscanf(argv[i + 1], "%u:%u", &u, &g) != 2)
				return 2;
			c->as_user = 1;
			c->uid = u;
			c->gid = g;
			i += 2;
		}
		c->label = argv[i++];
		c->argv = &argv[i];
		while (i < argc && strcmp(argv[i], "---") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
		c->t = calloc((size_t)n, sizeof(double));
		c->cpu = calloc((size_t)n, sizeof(double));
	}
	for (j = 0; j < nc; j++) { /* warm up */
		double dummy;
		for (i = 0; i < 20; i++)
			run_once(&cmds[j], &dummy);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < nc; j++) {
			struct cmd *c = &cmds[(i + j) % nc];
			c->t[i] = run_once(c, &c->cpu[i]);
		}

	printf("%-24s %9s %9s %9s %7s %8s %7s\n", "command", "median_us", "mean_us", "p90_us", "ratio",
	       "cpu_us", "cpu_rat");
	for (j = 0; j < nc; j++) {
		double sum = 0, *ratio = calloc((size_t)n, sizeof(double));
		double *cratio = calloc((size_t)n, sizeof(double));
		double cb = quantile(cmds[nc - 1].cpu, n, 0.5);
		for (i = 0; i < n; i++) {
			sum += cmds[j].t[i];
			ratio[i] = cmds[j].t[i] / cmds[nc - 1].t[i];
			cratio[i] = cmds[j].cpu[i];
		}
		printf("%-24s %9.1f %9.1f %9.1f %6.2fx %8.1f %6.2fx\n", cmds[j].label,
		       quantile(cmds[j].t, n, 0.5), sum / n, quantile(cmds[j].t, n, 0.9),
		       quantile(ratio, n, 0.5), quantile(cratio, n, 0.5),
		       cb > 0 ? quantile(cratio, n, 0.5) / cb : 0.0);
		free(ratio);
		free(cratio);
	}
	return 0;
}
