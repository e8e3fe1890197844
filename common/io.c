/* io.c: small system-call helpers (see io.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "io.h"
#include "xmalloc.h"

int
io_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
io_spool_open(const char *what, char **cause)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	/* Not every file system has O_TMPFILE: a name, unlinked at once. */
	path = xasprintf("%s/tresor-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd == -1)
		error_sys(cause, "unable to create %s in '%s'", what, dir);
	else
		unlink(path);
	free(path);
	return fd;
}

FILE *
io_spool_fopen(const char *what, char **cause)
{
	FILE	*f;
	int	 fd;

	if ((fd = io_spool_open(what, cause)) == -1)
		return NULL;
	if ((f = fdopen(fd, "w+e")) == NULL) {
		error_sys(cause, "unable to create %s", what);
		close(fd);
	}
	return f;
}

void
io_sockets_cloexec(void)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*end;
	long		 fd;
	int		 flags;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = strtol(de->d_name, &end, 10);
		if (end == de->d_name || *end != '\0' || fd <= 2 ||
		    fd == dirfd(d))
			continue;
		if (fstat((int)fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
			continue;
		if ((flags = fcntl((int)fd, F_GETFD)) != -1 &&
		    !(flags & FD_CLOEXEC))
			(void)fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	}
	closedir(d);
}
