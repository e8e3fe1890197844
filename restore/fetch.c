/*
 * fetch.c: one file out of a backup (see fetch.h).
 *
 * To a file: the content goes to a temporary name beside dest and is
 * renamed over it after its SHA-256 matched, so dest is either the old
 * file or the complete new one. To stdout: bytes are written as they are
 * restored, and a failure (a hash mismatch found at the end) can only be
 * reported, by the exit status, which a pipeline must check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "fetch.h"

struct fetch {
	const char	*dest;
	int		 force;
	char		*tmp;
	int		 fd;
	mode_t		 mode;
};

static int
fetch_open(void *arg, const struct entry *e, char **cause)
{
	struct fetch	*f = arg;
	struct stat	 sb;

	if (strcmp(f->dest, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return error_set(cause, "refusing to write '%s' to a "
			    "terminal: redirect stdout or give a file", e->path);
		return STDOUT_FILENO;
	}
	if (!f->force && lstat(f->dest, &sb) == 0)
		return error_set(cause, "refusing to overwrite '%s' (use "
		    "--force)", f->dest);
	f->tmp = xasprintf("%s.tresor-tmp.XXXXXX", f->dest);
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd == -1) {
		error_sys(cause, "unable to create '%s'", f->tmp);
		free(f->tmp);
		f->tmp = NULL;
		return -1;
	}
	f->mode = e->mode & 0777;
	return f->fd;
}

static int
fetch_close(void *arg, int ok, char **cause)
{
	struct fetch	*f = arg;
	int		 rc = -1;

	if (f->tmp == NULL)
		return ok ? 0 : -1;	/* stdout */
	if (!ok)
		goto out;
	if (fchmod(f->fd, f->mode) != 0 || fsync(f->fd) != 0) {
		error_sys(cause, "unable to write '%s'", f->tmp);
		goto out;
	}
	if (close(f->fd) != 0) {
		f->fd = -1;
		error_sys(cause, "unable to write '%s'", f->tmp);
		goto out;
	}
	f->fd = -1;
	if (rename(f->tmp, f->dest) != 0) {
		error_sys(cause, "unable to rename '%s' to '%s'", f->tmp,
		    f->dest);
		goto out;
	}
	free(f->tmp);
	f->tmp = NULL;
	return 0;
out:
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	unlink(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	return rc;
}

int
fetch_run(struct restore_options *o, const char *dest, char **cause)
{
	struct fetch		f = { dest, o->force, NULL, -1, 0600 };
	struct restore_output	out = { fetch_open, fetch_close, &f, "fetch",
				    0 };
	char			*dir, *slash;
	int			 rc;

	/* A delta's base waits beside dest, on the filesystem it fills. */
	dir = xstrdup(dest);
	slash = strrchr(dir, '/');
	if (strcmp(dest, "-") == 0)
		o->scratch_dir = NULL;
	else if (slash == NULL)
		o->scratch_dir = ".";
	else {
		slash[slash == dir] = '\0';
		o->scratch_dir = dir;
	}
	o->output = &out;
	rc = restore_run(o, cause);
	o->output = NULL;
	o->scratch_dir = NULL;
	free(dir);
	return rc;
}
