/* vsys-automap KEY - the autofs program map of vsys's on-demand systems
 * (docs/DESIGN.md "On demand", vsys-systems.d(5)).
 *
 * The automount daemon runs it as root on the first lookup of R/.auto/KEY
 * (R/.private/.auto/KEY) and mounts what it prints: the entry `vsys apply`
 * wrote to R/etc/automap/KEY, its lines that are not comments. A key that is
 * not a system name ([A-Za-z0-9][A-Za-z0-9._-]*, at most 64 bytes), or
 * without a regular file (no symlink followed), prints nothing and exits 1
 * (autofs: no such entry). The map of R/.auto serves the open systems, that
 * of R/.private/.auto (its master line defines VSYS_AUTOMAP=restricted, which
 * automount passes in the environment) those whose entry has the line
 * "# access=restricted": a restricted system is never mounted where every
 * user reads it. No server is asked anything, nothing else is parsed.
 *
 * C and linked static-pie, not sh: it runs on every first access, between
 * the kernel's request and the mount; under the VM's TCG the shell's exec and
 * dynamic loading were 70 ms of a first launch (tests/vm/steps/55-*). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VSYS_ROOT
#define VSYS_ROOT "/OS"
#endif
#define KEY_MAX 64
#define ENTRY_MAX 65536

static int key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > KEY_MAX || k[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[ENTRY_MAX + 1];
	char path[sizeof VSYS_ROOT + 16 + KEY_MAX];
	struct stat st;
	size_t have = 0, i, start;
	const char *map = getenv("VSYS_AUTOMAP");
	int fd, restricted = 0;

	umask(077);
	if (argc != 2 || !key_ok(argv[1]))
		return 1;
	memcpy(path, VSYS_ROOT "/etc/automap/", sizeof VSYS_ROOT + 13);
	strcpy(path + sizeof VSYS_ROOT + 13 - 1, argv[1]);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 1;
	for (;;) {
		ssize_t r = read(fd, buf + have, ENTRY_MAX - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1;
		if (r == 0 || (have += (size_t)r) == ENTRY_MAX)
			break;
	}
	close(fd);
	for (start = 0, i = 0; i <= have; i++) {
		if (i < have && buf[i] != '\n')
			continue;
		restricted |= i - start == 19 && memcmp(buf + start, "# access=restricted", 19) == 0;
		start = i + 1;
	}
	if (map && *map ? strcmp(map, "restricted") != 0 || !restricted : restricted)
		return 1;
	/* each line that is not a comment, with its newline (a last line without one gets one) */
	for (start = 0, i = 0; i <= have; i++) {
		if (i < have && buf[i] != '\n')
			continue;
		if (i > start && buf[start] != '#') {
			buf[i] = '\n';
			if (write_all(buf + start, i - start + 1) < 0)
				return 1;
		}
		start = i + 1;
	}
	return 0;
}
