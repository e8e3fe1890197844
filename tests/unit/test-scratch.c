/*
 * test-scratch.c: restore's scratch files (restore/scratch.c). A scratch
 * file is nameless (nothing appears in its directory), takes a name with
 * scratch_link, which refuses a name that exists; a directory that is
 * missing, or one where neither O_TMPFILE nor a named file can be made
 * (/proc), is refused in one line naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "restore/scratch.h"
#include "tests/tap.h"

static char	tmpdir[] = "/tmp/tresor-test-scratch.XXXXXX";

/* The number of entries in tmpdir, but . and .. */
static int
entries(void)
{
	DIR		*d = opendir(tmpdir);
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

int
main(void)
{
	char	*cause = NULL, *missing, *path, buf[16];
	int	 fd, dirfd, fd2, rc, e;

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY);

	fd = scratch_open(tmpdir, &cause);
	tap_ok(fd != -1 && write(fd, "scratch", 7) == 7 && entries() == 0,
	    "a scratch file is writable and has no name in its directory "
	    "(%s)", cause != NULL ? cause : "ok");

	rc = scratch_link(fd, dirfd, "kept");
	path = xasprintf("%s/kept", tmpdir);
	fd2 = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	tap_ok(rc == 0 && fd2 != -1 && read(fd2, buf, sizeof buf) == 7 &&
	    strcmp(buf, "scratch") == 0 && entries() == 1,
	    "scratch_link gives it a name, with its content: '%s'", buf);
	if (fd2 != -1)
		close(fd2);

	rc = scratch_link(fd, dirfd, "kept");
	e = errno;
	tap_ok(rc == -1 && e == EEXIST && entries() == 1,
	    "scratch_link onto a name that exists fails: %s", strerror(e));
	close(fd);

	fd = scratch_unnamed(dirfd, NULL);
	tap_ok(fd != -1 && entries() == 1,
	    "scratch_unnamed through a directory fd has no name either");
	if (fd != -1)
		close(fd);

	missing = xasprintf("%s/missing", tmpdir);
	fd = scratch_open(missing, &cause);
	tap_ok(fd == -1 && cause != NULL && strstr(cause, "unable to create "
	    "a scratch file in '") != NULL && strstr(cause, missing) != NULL &&
	    strchr(cause, '\n') == NULL,
	    "a missing directory is named: %s", cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* /proc: no O_TMPFILE there, and no file can be created either. */
	fd = scratch_open("/proc", &cause);
	tap_ok(fd == -1 && cause != NULL && strstr(cause, "unable to create "
	    "a scratch file in '/proc'") != NULL,
	    "a directory without O_TMPFILE where no file can be made: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);

	unlink(path);
	close(dirfd);
	rmdir(tmpdir);
	free(path);
	free(missing);
	return tap_done();
}
