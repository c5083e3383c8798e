/* helpers.c - small programs for launcher-tests.sh (built by the test itself).
 *
 * xexec [-m] [-u USER | -U UID:GID] [-c DIR] [-e NAME=VALUE]... [-E ENTRY]... [-k FD]... [-0 ARGV0 | -z] PROG [ARG...]
 *   become USER (initgroups, setgid, setuid), chdir DIR, close every fd >= 3
 *   except the -k ones, exec PROG with exactly the given environment, with
 *   argv[0] ARGV0 (default PROG) or with argc == 0 (-z).
 * loglisten PATH SECONDS MATCH [COUNT]
 *   bind a datagram socket at PATH (a stand-in /dev/log), print the first
 *   COUNT (default 1) messages holding MATCH received within SECONDS, each
 *   as received (a newline in one shows as a line break), remove PATH.
 * logstall PATH SECONDS
 *   bind a datagram socket at PATH whose queue is full (filled by the helper
 *   itself, never read), print "ready", hold it SECONDS, remove PATH.
 * fusestall DIR SECONDS
 *   mount a FUSE file system at DIR (root: /dev/fuse) holding one file "f"
 *   (mode 0666, empty) whose poll(2) never answers, print "ready", serve it
 *   SECONDS, then unmount (lazily) and exit.
 * xexec -m ...: exec with every signal blocked.
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
#include <linux/fuse.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
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

static int loglisten(const char *path, int seconds, const char *match, int count)
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
			fflush(stdout);
			if (--count <= 0)
				break;
		}
	}
	unlink(path);
	return 0;
}

static int logstall(const char *path, int seconds)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int n = 0;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("logstall");
		return 1;
	}
	chmod(path, 0666);
	while (sendto(c, "<14>fill", 8, 0, (struct sockaddr *)&sa, sizeof sa) == 8 && n < 100000)
		n++;
	printf("ready %d\n", n);
	fflush(stdout);
	sleep((unsigned)seconds);
	unlink(path);
	return 0;
}

static void fuse_reply(int fd, uint64_t unique, int error, const void *body, size_t len)
{
	struct fuse_out_header h = { (uint32_t)(sizeof h + len), error, unique };
	struct iovec v[2] = { { &h, sizeof h }, { (void *)body, len } };
	(void)!writev(fd, v, len ? 2 : 1);
}

static void fuse_attr_of(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof *a);
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0666);
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
}

static int fusestall(const char *dir, int seconds)
{
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	char opts[128];
	time_t end = time(NULL) + seconds;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	pid_t pid;

	snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (fd < 0 || mount("vlt-fuse", dir, "fuse.vlt", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fusestall");
		return 1;
	}
	pid = fork();
	if (pid == 0) { /* the timer: unmount when the time is up */
		sleep((unsigned)seconds);
		umount2(dir, MNT_DETACH);
		_exit(0);
	}
	printf("ready\n");
	fflush(stdout);
	alarm((unsigned)seconds + 1); /* then the connection ends: every waiter gets an error */
	while (time(NULL) <= end) {
		ssize_t n = read(fd, buf, sizeof buf);
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof *in)
			break;
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = (struct fuse_init_in *)(in + 1);
			struct fuse_init_out o;
			memset(&o, 0, sizeof o);
			o.major = FUSE_KERNEL_VERSION;
			o.minor = ii->minor < 31 ? ii->minor : 31;
			o.max_readahead = ii->max_readahead;
			o.max_write = 4096;
			fuse_reply(fd, in->unique, 0, &o, sizeof o);
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o;
			if (strcmp((char *)(in + 1), "f") != 0) {
				fuse_reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			memset(&o, 0, sizeof o);
			o.nodeid = 2;
			o.generation = 1;
			fuse_attr_of(&o.attr, 2);
			fuse_reply(fd, in->unique, 0, &o, sizeof o);
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o;
			memset(&o, 0, sizeof o);
			fuse_attr_of(&o.attr, in->nodeid);
			fuse_reply(fd, in->unique, 0, &o, sizeof o);
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o;
			memset(&o, 0, sizeof o);
			o.fh = 1;
			fuse_reply(fd, in->unique, 0, &o, sizeof o);
			break;
		}
		case FUSE_READ:
		case FUSE_READDIR:
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_POLL:      /* the stall: never answered */
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		case FUSE_DESTROY:
			return 0;
		default:
			fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char **env = calloc((size_t)argc + 1, sizeof(char *));
	int keep[64], nkeep = 0, ne = 0, i, zero = 0, block = 0;
	const char *user = NULL, *dir = NULL, *argv0 = NULL, *ids = NULL;

	if (argc >= 2 && strcmp(argv[1], "loglisten") == 0 && (argc == 5 || argc == 6))
		return loglisten(argv[2], atoi(argv[3]), argv[4], argc == 6 ? atoi(argv[5]) : 1);
	if (argc == 4 && strcmp(argv[1], "logstall") == 0)
		return logstall(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "fusestall") == 0)
		return fusestall(argv[2], atoi(argv[3]));
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
		else if (strcmp(argv[i], "-m") == 0)
			block = 1;
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
	if (block) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
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
