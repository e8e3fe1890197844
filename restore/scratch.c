/* scratch.c: nameless scratch files (see scratch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "scratch.h"

int
scratch_unnamed(int dirfd, const char *dir)
{
	if (dirfd == -1)
		return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

int
scratch_open(const char *dir, char **cause)
{
	char	*path;
	int	 fd;

	if ((fd = scratch_unnamed(-1, dir)) != -1)
		return fd;
	/* No O_TMPFILE here: a name for as long as it takes to unlink it. */
	path = xasprintf("%s/" SCRATCH_PREFIX "%ld.XXXXXX", dir, (long)getpid());
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		error_sys(cause, "unable to create a scratch file in '%s'", dir);
	else if (unlink(path) != 0) {
		error_sys(cause, "unable to unlink scratch file '%s'", path);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

int
scratch_link(int fd, int dirfd, const char *name)
{
	char	proc[64];

	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return linkat(fd, "", dirfd, name, AT_EMPTY_PATH);
}
