/* helpers.c - small programs for launcher-tests.sh (built by the test itself).
 *
 * xexec [-u USER | -U UID:GID] [-c DIR] [-e NAME=VALUE]... [-E ENTRY]... [-k FD]... [-0 ARGV0 | -z] PROG [ARG...]
 *   become USER (initgroups, setgid, setuid), chdir DIR, close every fd >= 3
 *   except the -k ones, exec PROG with exactly the given environment, with
 *   argv[0] ARGV0 (default PROG) or with argc == 0 (-z).
 * loglisten PATH SECONDS MATCH
 *   bind a datagram socket at PATH (a stand-in /dev/log), print the first
 *   message holding MATCH received within SECONDS, remove PATH.
 * preload.so (built with -DPRELOAD -shared): a constructor that creates
 *   $VLT_MARKDIR/preload.<euid> - proof that LD_PRELOAD was honoured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef PRELOAD
__attribute__((constructor)) static void mark(void)
{
	char path[512];
	const char *dir = "/tmp";
	int fd;
	snprintf(path, sizeof path, "%s/vsys-lt-preload.%u", dir, (unsigned)geteuid());
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}
#else

static int loglisten(const char *path, int seconds, const char *match)
{
	struct sockaddr_un sa;
	struct pollfd p;
	char buf[4096];
	ssize_t n;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("loglisten");
		return 1;
	}
	chmod(path, 0666);
	printf("ready\n");
	fflush(stdout);
	p.fd = s;
	p.events = POLLIN;
	/* print messages until one from vsys arrives or the time is up */
	while (poll(&p, 1, seconds * 1000) == 1 && (n = recv(s, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, match)) {
			printf("%s\n", buf);
			break;
		}
	}
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	char **env = calloc((size_t)argc + 1, sizeof(char *));
	int keep[64], nkeep = 0, ne = 0, i, zero = 0;
	const char *user = NULL, *dir = NULL, *argv0 = NULL, *ids = NULL;

	if (argc >= 2 && strcmp(argv[1], "loglisten") == 0 && argc == 5)
		return loglisten(argv[2], atoi(argv[3]), argv[4]);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "-U") == 0 && i + 1 < argc)
			ids = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if ((strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "-E") == 0) && i + 1 < argc)
			env[ne++] = argv[++i];
		else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc && nkeep < 64)
			keep[nkeep++] = atoi(argv[++i]);
		else if (strcmp(argv[i], "-0") == 0 && i + 1 < argc)
			argv0 = argv[++i];
		else if (strcmp(argv[i], "-z") == 0)
			zero = 1;
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "xexec: no program\n");
		return 2;
	}
	env[ne] = NULL;
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw || initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0) {
			perror("xexec: become user");
			return 2;
		}
	}
	if (ids) {
		unsigned u, g;
		if (sscanf(ids, "%u:%u", &u, &g) != 2 || setgroups(0, NULL) < 0 || setgid(g) < 0 ||
		    setuid(u) < 0) {
			perror("xexec: become uid");
			return 2;
		}
	}
	if (dir && chdir(dir) < 0) {
		perror("xexec: chdir");
		return 2;
	}
	for (int fd = 3; fd < 1024; fd++) {
		int k = 0;
		for (int j = 0; j < nkeep; j++)
			if (keep[j] == fd)
				k = 1;
		if (!k)
			close(fd);
	}
	if (zero) {
		char *none[] = { NULL };
		execve(argv[i], none, env);
	} else {
		const char *prog = argv[i];
		if (argv0)
			argv[i] = (char *)argv0;
		execve(prog, &argv[i], env);
		argv[i] = (char *)prog;
	}
	fprintf(stderr, "xexec: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
#endif
