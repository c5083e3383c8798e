/* bench-launch.c - paired, interleaved timing of whole launches.
 *
 * bench-launch N [-u UID:GID] LABEL PROG ARG... [--- [-u UID:GID] LABEL PROG ARG...]...
 *
 * Each iteration runs every command once, in turn (fork, optional
 * setgroups/setgid/setuid, execv, waitpid), timing fork to reap with
 * CLOCK_MONOTONIC. Prints per command: median, mean and p90 in
 * microseconds, and the median of the paired ratios to the LAST command
 * (the baseline). A command that exits non-zero aborts the run.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static double run_once(struct cmd *c)
{
	double t0 = now_us();
	int st;
	pid_t p = fork();

	if (p == 0) {
		if (c->as_user && (setgroups(0, NULL) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0))
			_exit(126);
		execv(c->argv[0], c->argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0) {
		perror("bench-launch");
		exit(2);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench-launch: %s failed (status %d)\n", c->label, st);
		exit(2);
	}
	return now_us() - t0;
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
	}
	for (j = 0; j < nc; j++) /* warm up */
		for (i = 0; i < 20; i++)
			run_once(&cmds[j]);
	for (i = 0; i < n; i++)
		for (j = 0; j < nc; j++)
			cmds[(i + j) % nc].t[i] = run_once(&cmds[(i + j) % nc]);

	printf("%-28s %9s %9s %9s %9s\n", "command", "median_us", "mean_us", "p90_us", "ratio");
	for (j = 0; j < nc; j++) {
		double sum = 0, *ratio = calloc((size_t)n, sizeof(double));
		for (i = 0; i < n; i++) {
			sum += cmds[j].t[i];
			ratio[i] = cmds[j].t[i] / cmds[nc - 1].t[i];
		}
		printf("%-28s %9.1f %9.1f %9.1f %8.2fx\n", cmds[j].label, quantile(cmds[j].t, n, 0.5),
		       sum / n, quantile(cmds[j].t, n, 0.9), quantile(ratio, n, 0.5));
		free(ratio);
	}
	return 0;
}
