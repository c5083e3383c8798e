// SPDX-License-Identifier: GPL-2.0
/*
 * forkstorm N: create N short-lived processes, one at a time, as fast as
 * possible (vfork + _exit + wait), and print the rate.  Run with a link set:
 * every child inherits an entry at fork and must lose it at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long i, n = argc > 1 ? atol(argv[1]) : 100000;
	double t0, t;
	int status;
	pid_t pid;

	t0 = now();
	for (i = 0; i < n; i++) {
		pid = vfork();
		if (pid < 0) {
			perror("forkstorm: vfork");
			return 1;
		}
		if (pid == 0)
			_exit(0);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				perror("forkstorm: waitpid");
				return 1;
			}
	}
	t = now() - t0;
	printf("forkstorm: %ld processes in %.2f s (%.0f/s)\n", n, t, n / t);
	return 0;
}
