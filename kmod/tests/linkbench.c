// SPDX-License-Identifier: GPL-2.0
/*
 * linkbench: drives native/kmod_link.c (the launcher side of the kmod mode)
 * in the guest tests, and measures launch costs.
 *
 *   linkbench available               print vsys_kmod_available() and errno
 *   linkbench enter NAME CMD...       vsys_kmod_enter(-1, NAME), then exec CMD
 *   linkbench setns NSFILE CMD...     namespace mode: setns, chdir /, exec CMD
 *   linkbench populate N              N extra systems s0..sN-1: a tmpfs at
 *                                     R/.root/.os/sI each, registered
 *   linkbench depopulate N            undo populate
 *   linkbench bench ROUNDS M DIR NAME NSFILE
 *                                     ROUNDS rounds of M launches of
 *                                     /bin/true each, interleaved: chroot(8)
 *                                     DIR, kmod (enter NAME), namespace
 *                                     (setns NSFILE); prints median ratios
 * R is VSYS_ROOT, compiled in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native/kmod_link.c"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static double launches(char *const argv[], int m)
{
	double t0 = now();
	int i;

	for (i = 0; i < m; i++)
		if (run(argv) != 0) {
			fprintf(stderr, "linkbench: %s ... failed\n", argv[0]);
			exit(1);
		}
	return now() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench(int rounds, int m, char *dir, char *name, char *nsfile)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *chroot8[] = { "/usr/sbin/chroot", dir, "/bin/true", NULL };
	char *kmod[] = { self, "enter", name, "/bin/true", NULL };
	char *ns[] = { self, "setns", nsfile, "/bin/true", NULL };
	double rk[64], rn[64], tc, tk, tn;
	int i;

	if (n < 0 || rounds < 1 || rounds > 64)
		return 2;
	self[n] = '\0';
	launches(chroot8, 2);	/* warm up */
	launches(kmod, 2);
	launches(ns, 2);
	/* one launch of each in turn, rotating the order: same load for all */
	for (i = 0; i < rounds; i++) {
		double t[3] = { 0, 0, 0 };
		char *const *argvs[3] = { chroot8, kmod, ns };
		int j, k;

		for (j = 0; j < m; j++)
			for (k = 0; k < 3; k++)
				t[(j + k) % 3] += launches(argvs[(j + k) % 3], 1);
		tc = t[0];
		tk = t[1];
		tn = t[2];
		rk[i] = tk / tc;
		rn[i] = tn / tc;
	}
	printf("kmod/chroot(8) %.2f namespace/chroot(8) %.2f kmod/namespace %.2f\n",
	       median(rk, rounds), median(rn, rounds),
	       median(rk, rounds) / median(rn, rounds));
	return 0;
}

static int populate(int count)
{
	char path[4096], cmd[256];
	int i, tfd;

	tfd = open(VSYS_ROOT "/.root/.vsys/targets", O_WRONLY | O_CLOEXEC);
	if (tfd < 0) {
		perror("linkbench: targets");
		return 1;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), VSYS_ROOT "/.root/.os/s%d", i);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto err;
		if (mount("tmpfs", path, "tmpfs", 0, "size=64k") < 0)
			goto err;
		snprintf(cmd, sizeof(cmd), "add s%d ../.os/s%d", i, i);
		if (write(tfd, cmd, strlen(cmd)) < 0)
			goto err;
	}
	close(tfd);
	return 0;
err:
	perror(path);
	return 1;
}

static int depopulate(int count)
{
	char path[4096], cmd[256];
	int i, tfd, err = 0;

	tfd = open(VSYS_ROOT "/.root/.vsys/targets", O_WRONLY | O_CLOEXEC);
	if (tfd < 0) {
		perror("linkbench: targets");
		return 1;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), VSYS_ROOT "/.root/.os/s%d", i);
		snprintf(cmd, sizeof(cmd), "del s%d", i);
		if (umount2(path, MNT_DETACH) < 0 || rmdir(path) < 0 ||
		    write(tfd, cmd, strlen(cmd)) < 0) {
			perror(path);
			err = 1;
		}
	}
	close(tfd);
	return err;
}

int main(int argc, char **argv)
{
	const char *what = "";
	int fd;

	if (argc >= 2 && !strcmp(argv[1], "available")) {
		int a = vsys_kmod_available();

		printf("%d %s\n", a, a ? "-" : strerror(errno));
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "enter")) {
		if (vsys_kmod_enter(-1, argv[2], getuid(), &what) < 0) {
			fprintf(stderr, "linkbench: %s: %s\n", what, strerror(errno));
			return 125;
		}
		execv(argv[3], argv + 3);
		return 127;
	}
	if (argc >= 4 && !strcmp(argv[1], "setns")) {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNS) < 0 || chdir("/") < 0) {
			perror("linkbench: setns");
			return 125;
		}
		close(fd);
		execv(argv[3], argv + 3);
		return 127;
	}
	if (argc == 3 && !strcmp(argv[1], "populate"))
		return populate(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "depopulate"))
		return depopulate(atoi(argv[2]));
	if (argc == 7 && !strcmp(argv[1], "bench"))
		return bench(atoi(argv[2]), atoi(argv[3]), argv[4], argv[5], argv[6]);
	fprintf(stderr, "usage: see the comment at the top of linkbench.c\n");
	return 2;
}
