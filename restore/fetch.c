/*
 * fetch.c: one file out of a backup (see fetch.h).
 *
 * To a file: the content goes to a nameless file (O_TMPFILE) in dest's
 * directory, which gets dest's name only after its SHA-256 matched, so
 * dest is either the old file or the complete new one, and a killed run
 * leaves no partial copy. (Without O_TMPFILE: a temporary name beside
 * dest, removed on every exit but SIGKILL.) To stdout: bytes are written
 * as they are restored, and a failure (a hash mismatch found at the end)
 * can only be reported, by the exit status, which a pipeline must check.
 * A reader that stops early (head, pg_restore --list) is not a failure:
 * fetch then dies of SIGPIPE like cat, with no message (cmd-fetch.c).
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
#include "scratch.h"

struct fetch {
	const char	*dest;
	int		 force;
	char		*tmp;		/* a name beside dest, once it has one */
	int		 fd;
	int		 dirfd;		/* dest's directory */
	const char	*dir;
	const char	*leaf;		/* dest's name in it */
	int		 named;		/* tmp exists */
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
	f->mode = e->mode & 0777;
	if (f->dirfd == -1) {
		f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->dirfd == -1)
			return error_sys(cause, "unable to open directory '%s'",
			    f->dir);
	}
	if ((f->fd = scratch_unnamed(f->dirfd, NULL)) != -1) {
		f->tmp = xasprintf("%s.tresor-tmp.%ld", f->dest,
		    (long)getpid());
		return f->fd;
	}
	f->tmp = xasprintf("%s.tresor-tmp.XXXXXX", f->dest);
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	f->named = f->fd != -1;
	if (f->fd == -1) {
		error_sys(cause, "unable to create '%s'", f->tmp);
		free(f->tmp);
		f->tmp = NULL;
		return -1;
	}
	return f->fd;
}

/* Name a nameless copy: dest itself, or (to replace dest) f->tmp. */
static int
fetch_link(struct fetch *f, char **cause)
{
	const char	*tmpleaf;

	if (!f->force) {
		if (scratch_link(f->fd, f->dirfd, f->leaf) == 0)
			return 1;	/* done: dest did not exist */
		if (errno == EEXIST)
			return error_set(cause, "refusing to overwrite '%s' "
			    "(use --force)", f->dest);
		return error_sys(cause, "unable to write '%s'", f->dest);
	}
	tmpleaf = strrchr(f->tmp, '/') != NULL ? strrchr(f->tmp, '/') + 1 :
	    f->tmp;
	(void)unlinkat(f->dirfd, tmpleaf, 0);	/* a killed run's, same pid */
	if (scratch_link(f->fd, f->dirfd, tmpleaf) != 0)
		return error_sys(cause, "unable to write '%s'", f->tmp);
	f->named = 1;
	return 0;
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
		error_sys(cause, "unable to write '%s'", f->dest);
		goto out;
	}
	if (!f->named) {
		switch (fetch_link(f, cause)) {
		case -1:
			goto out;
		case 1:
			rc = 0;
			goto out;	/* under dest's name already */
		}
	}
	if (close(f->fd) != 0) {
		f->fd = -1;
		error_sys(cause, "unable to write '%s'", f->dest);
		goto out;
	}
	f->fd = -1;
	if (rename(f->tmp, f->dest) != 0) {
		error_sys(cause, "unable to rename '%s' to '%s'", f->tmp,
		    f->dest);
		goto out;
	}
	f->named = 0;
	rc = 0;
out:
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	if (f->named)
		unlink(f->tmp);
	f->named = 0;
	free(f->tmp);
	f->tmp = NULL;
	return rc;
}

int
fetch_run(struct restore_options *o, const char *dest, int *reader_gone,
    char **cause)
{
	struct fetch		f;
	struct restore_output	out = { fetch_open, fetch_close, &f, "fetch",
				    0, reader_gone, NULL };
	char			*dir, *slash, *where;
	int			 rc;

	memset(&f, 0, sizeof f);
	if (strcmp(dest, "-") == 0)
		where = xstrdup("stdout");
	else
		where = xasprintf("'%s'", dest);
	out.where = where;
	f.dest = dest;
	f.force = o->force;
	f.fd = f.dirfd = -1;
	f.mode = 0600;
	*reader_gone = 0;

	/* A delta's base waits beside dest, on the filesystem it fills. */
	dir = xstrdup(dest);
	slash = strrchr(dir, '/');
	if (strcmp(dest, "-") == 0)
		o->scratch_dir = NULL;
	else if (slash == NULL) {
		o->scratch_dir = ".";
		f.leaf = dest;
	} else {
		f.leaf = dest + (slash - dir) + 1;
		slash[slash == dir] = '\0';
		o->scratch_dir = dir;
	}
	f.dir = o->scratch_dir;
	o->output = &out;
	rc = restore_run(o, cause);
	o->output = NULL;
	o->scratch_dir = NULL;
	if (f.dirfd != -1)
		close(f.dirfd);
	free(dir);
	free(where);
	return rc;
}
