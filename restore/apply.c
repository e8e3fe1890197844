/* apply.c: writing restored entries to disk (see apply.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "apply.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "scratch.h"

#define APPLY_OPEN_DIRS	64

struct apply_dir {
	struct entry	e;
};

/* A complete regular file held open (apply_hold). */
struct apply_held {
	struct entry	e;
	int		fd;
	char		*tmp;	/* its temporary name, or NULL: nameless */
	uint8_t		sha256[HASH_LEN];
};

struct apply {
	char		*dest;
	int		 rootfd;
	int		 force;
	int		 owner;		/* restore uid/gid (only as root) */
	/* The open regular file. */
	struct entry	 file;
	int		 file_parent;
	int		 file_fd;
	int		 file_named;	/* file_tmp exists (else O_TMPFILE) */
	char		*file_tmp;
	char		*file_leaf;
	unsigned	 counter;
	long		 pid;
	/*
	 * The directories of the last parent resolved, kept open: a vault's
	 * files come sorted, several to a directory, and resolving each
	 * one's parent component by component cost more system calls than
	 * writing it. A path sharing leading directories with it is
	 * resolved from the deepest one shared, so a tree 1,000 levels deep
	 * costs about one openat per level, not 1,000. Only the deepest
	 * APPLY_OPEN_DIRS levels stay open (one fd per level would run out
	 * of fds); a closed level is reopened from the nearest open one
	 * above it. Forgotten whenever anything but a regular file or a
	 * directory is created (that could change what a path resolves to;
	 * a new directory only takes a name that was free).
	 */
	char		*cpath;		/* the directory resolved */
	size_t		*cend;		/* cend[k]: end of component k in cpath */
	int		*cfd;		/* cfd[k]: components 0..k, or -1 */
	size_t		 cn;
	size_t		 ccap;
	/* Directories, in creation order, for apply_finish. */
	struct apply_dir *dirs;
	size_t		  ndirs;
	/* Files held until their volume is checked, in commit order. */
	struct apply_held *held;
	size_t		   nheld;
};

int
apply_path_safe(const char *path)
{
	const char	*p = path, *slash;
	size_t		 len;

	if (*path == '\0' || *path == '/')
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

static char *
apply_quote(struct apply *a, const char *path)
{
	char	*q = log_quote(path), *s;

	s = xasprintf("%s/%s", a->dest, q);
	free(q);
	return s;
}

static int
apply_fail(struct apply *a, const char *what, const char *path, char **cause)
{
	char	*q = apply_quote(a, path);

	error_sys(cause, "unable to %s '%s'", what, q);
	free(q);
	return -1;
}

static void
apply_parent_forget(struct apply *a)
{
	size_t	k;

	for (k = 0; k < a->cn; k++) {
		if (a->cfd[k] != -1)
			close(a->cfd[k]);
	}
	a->cn = 0;
}

/*
 * Open component k of the chain from its parent: -1 with errno, or -2 if
 * it was missing and could not be created.
 */
static int
apply_parent_open(struct apply *a, size_t k, int create)
{
	size_t	 start = k == 0 ? 0 : a->cend[k - 1] + 1;
	char	*comp = xmemdup(a->cpath + start, a->cend[k] - start + 1);
	int	 base = k == 0 ? a->rootfd : a->cfd[k - 1], fd;

	comp[a->cend[k] - start] = '\0';
	a->cfd[k] = -1;
	fd = openat(base, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(base, comp, 0700) != 0 && errno != EEXIST) {
			free(comp);
			return -2;
		}
		fd = openat(base, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	free(comp);
	if ((a->cfd[k] = fd) == -1)
		return -1;
	/* Keep at most APPLY_OPEN_DIRS levels open. */
	if (k >= APPLY_OPEN_DIRS && a->cfd[k - APPLY_OPEN_DIRS] != -1) {
		close(a->cfd[k - APPLY_OPEN_DIRS]);
		a->cfd[k - APPLY_OPEN_DIRS] = -1;
	}
	return fd;
}

/*
 * Open the directory holding `path`, creating missing directories when
 * asked to: one component at a time, never through a link, from the
 * deepest directory it shares with the last one resolved. Returns a new
 * fd (or -1) and points *leaf into path.
 */
static int
apply_parent(struct apply *a, const char *path, int create, const char **leaf,
    char **cause)
{
	const char	*last = strrchr(path, '/');
	size_t		 len, c, k, start, end;
	int		 fd = -1, saved, mkfail;

	if (last == NULL) {
		*leaf = path;
		if ((fd = fcntl(a->rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
			apply_fail(a, "open the directory of", path, cause);
		return fd;
	}
	*leaf = last + 1;
	len = (size_t)(last - path);

	/* How many leading directories are the chain's already? */
	for (c = 0; c < a->cn; c++) {
		start = c == 0 ? 0 : a->cend[c - 1] + 1;
		if (a->cend[c] > len || (a->cend[c] < len &&
		    path[a->cend[c]] != '/') || memcmp(path + start,
		    a->cpath + start, a->cend[c] - start) != 0)
			break;
	}
	for (k = c; k < a->cn; k++) {
		if (a->cfd[k] != -1)
			close(a->cfd[k]);
	}
	a->cn = c;

	/* The rest of path's directories join the chain. */
	free(a->cpath);
	a->cpath = xmemdup(path, len + 1);
	a->cpath[len] = '\0';
	for (end = c == 0 ? 0 : a->cend[c - 1] + 1; end <= len; end++) {
		if (end < len && path[end] != '/')
			continue;
		if (a->cn == a->ccap) {
			a->ccap = a->ccap == 0 ? 16 : a->ccap * 2;
			a->cend = xrealloc(a->cend, a->ccap * sizeof *a->cend);
			a->cfd = xrealloc(a->cfd, a->ccap * sizeof *a->cfd);
		}
		a->cend[a->cn] = end;
		a->cfd[a->cn++] = -1;
	}

	/* Reopen from the nearest open level (or the root) down. */
	for (k = c; k > 0 && a->cfd[k - 1] == -1; k--)
		;
	for (; k < a->cn; k++) {
		if ((fd = apply_parent_open(a, k, create)) < 0)
			break;
	}
	if (k == a->cn && (fd = fcntl(a->cfd[a->cn - 1],
	    F_DUPFD_CLOEXEC, 0)) != -1)
		return fd;
	mkfail = fd == -2;
	saved = errno;
	apply_parent_forget(a);
	errno = saved;
	if (errno == ELOOP || errno == ENOTDIR) {
		char	*q = apply_quote(a, path);

		error_set(cause, "refusing to restore '%s' through a symlink "
		    "or non-directory", q);
		free(q);
	} else if (mkfail)
		apply_fail(a, "create directory for", path, cause);
	else
		apply_fail(a, "open the directory of", path, cause);
	return -1;
}

struct apply *
apply_new(const char *dest, int force, char **cause)
{
	struct apply	*a = xcalloc(1, sizeof *a);

	a->dest = xstrdup(dest);
	a->force = force;
	a->owner = geteuid() == 0;
	a->file_fd = a->file_parent = -1;
	a->pid = (long)getpid();
	if (mkdir(dest, 0700) != 0 && errno != EEXIST) {
		error_sys(cause, "unable to create restore directory '%s'",
		    dest);
		goto fail;
	}
	a->rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->rootfd == -1) {
		error_sys(cause, "unable to open restore directory '%s'", dest);
		goto fail;
	}
	return a;
fail:
	a->rootfd = -1;
	apply_free(a);
	return NULL;
}

int
apply_exists(struct apply *a, const char *path)
{
	const char	*leaf;
	struct stat	 sb;
	int		 fd, found;

	fd = apply_parent(a, path, 0, &leaf, NULL);
	if (fd == -1)
		return 0;
	found = fstatat(fd, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISDIR(sb.st_mode);
	close(fd);
	return found;
}

/* Owner, mode and times of an entry that exists under fd/leaf. */
static int
apply_metadata(struct apply *a, int fd, const char *leaf,
    const struct entry *e, char **cause)
{
	struct timespec	times[2];

	if (a->owner && fchownat(fd, leaf, e->uid, e->gid,
	    AT_SYMLINK_NOFOLLOW) != 0)
		return apply_fail(a, "set the owner of", e->path, cause);
	/* After chown, which clears set-id bits. Symlinks have no mode. */
	if (e->kind != 'l' && fchmodat(fd, leaf, e->mode, 0) != 0)
		return apply_fail(a, "set the mode of", e->path, cause);
	times[0].tv_sec = e->mtime_sec;
	times[0].tv_nsec = e->mtime_nsec;
	times[1] = times[0];
	if (utimensat(fd, leaf, times, AT_SYMLINK_NOFOLLOW) != 0)
		return apply_fail(a, "set the times of", e->path, cause);
	return 0;
}

static int
apply_replace(struct apply *a, int fd, const char *leaf, const char *path,
    char **cause)
{
	if (!a->force) {
		char	*q = apply_quote(a, path);

		error_set(cause, "refusing to overwrite '%s' (use --force)", q);
		free(q);
		return -1;
	}
	if (unlinkat(fd, leaf, 0) != 0 && errno != ENOENT)
		return apply_fail(a, "replace", path, cause);
	return 0;
}

static int
apply_special(struct apply *a, int fd, const char *leaf,
    const struct entry *e, char **cause)
{
	const char	*pleaf;
	int		 pfd, rc = -1, tries;

	for (tries = 0; tries < 2; tries++) {
		switch (e->kind) {
		case 'l':
			rc = symlinkat(e->target, fd, leaf);
			break;
		case 'p':
			rc = mkfifoat(fd, leaf, 0600);
			break;
		case 'c':
		case 'b':
			rc = mknodat(fd, leaf, (e->kind == 'c' ? S_IFCHR :
			    S_IFBLK) | 0600, (dev_t)e->rdev);
			break;
		case 'h':
			pfd = apply_parent(a, e->target, 0, &pleaf, cause);
			if (pfd == -1)
				return -1;
			rc = linkat(pfd, pleaf, fd, leaf, 0);
			close(pfd);
			break;
		}
		if (rc == 0 || errno != EEXIST)
			break;
		if (apply_replace(a, fd, leaf, e->path, cause) != 0)
			return -1;
	}
	/* A link whose first name was not restored: say so, not ENOENT. */
	if (rc != 0 && e->kind == 'h' && errno == ENOENT) {
		char	*q = apply_quote(a, e->path), *t = log_quote(e->target);

		error_set(cause, "unable to create hard link '%s': its first "
		    "name '%s' was not restored (it is not in the set)", q, t);
		free(q);
		free(t);
		return -1;
	}
	if (rc != 0)
		return apply_fail(a, "create", e->path, cause);
	if (e->kind == 'h')
		return 0;	/* shares the first name's metadata */
	return apply_metadata(a, fd, leaf, e, cause);
}

int
apply_begin(struct apply *a, const struct entry *e, char **cause)
{
	const char	*leaf;
	struct stat	 sb;
	int		 fd, rc = -1;

	if (e->kind != 'f' && e->kind != 'd')
		apply_parent_forget(a);
	fd = apply_parent(a, e->path, 1, &leaf, cause);
	if (fd == -1)
		return -1;
	switch (e->kind) {
	case 'd':
		if (mkdirat(fd, leaf, 0700) != 0) {
			if (errno != EEXIST || fstatat(fd, leaf, &sb,
			    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode)) {
				apply_fail(a, "create directory", e->path,
				    cause);
				goto out;
			}
		}
		a->dirs = xrealloc(a->dirs, (a->ndirs + 1) * sizeof *a->dirs);
		a->dirs[a->ndirs].e = *e;
		a->dirs[a->ndirs].e.path = xstrdup(e->path);
		a->dirs[a->ndirs].e.target = NULL;
		a->ndirs++;
		rc = 0;
		break;
	case 'f':
		free(a->file_tmp);
		a->file_tmp = xasprintf(".tresor-part.%ld.%u", a->pid,
		    a->counter++);
		/* Nameless until complete: a killed run leaves nothing. */
		a->file_fd = scratch_unnamed(fd, NULL);
		a->file_named = a->file_fd == -1;
		if (a->file_named)
			a->file_fd = openat(fd, a->file_tmp, O_WRONLY | O_CREAT |
			    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (a->file_fd == -1) {
			apply_fail(a, "create", e->path, cause);
			goto out;
		}
		entry_clear(&a->file);
		a->file = *e;
		a->file.path = xstrdup(e->path);
		a->file.target = NULL;
		free(a->file_leaf);
		a->file_leaf = xstrdup(leaf);
		a->file_parent = fd;
		fd = -1;
		rc = 0;
		break;
	default:
		rc = apply_special(a, fd, leaf, e, cause);
		break;
	}
out:
	if (fd != -1)
		close(fd);
	return rc;
}

int
apply_data(struct apply *a, const void *buf, size_t len, char **cause)
{
	if (io_write_all(a->file_fd, buf, len) != 0)
		return apply_fail(a, "write", a->file.path, cause);
	return 0;
}

int
apply_hole(struct apply *a, uint64_t len, char **cause)
{
	if (lseek(a->file_fd, (off_t)len, SEEK_CUR) == -1)
		return apply_fail(a, "write", a->file.path, cause);
	return 0;
}

/*
 * Give a complete file its name: linked under the temporary name tmp in
 * parent (unless it has it already), its metadata set there, then renamed
 * to leaf over what is in the way (with --force). fd is closed; tmp never
 * outlives a failure.
 */
static int
apply_place(struct apply *a, int parent, int fd, const char *tmp, int named,
    const char *leaf, const struct entry *e, char **cause)
{
	struct stat	sb;
	int		linked = named, rc = -1;

	if (!linked) {
		if (scratch_link(fd, parent, tmp) != 0) {
			apply_fail(a, "write", e->path, cause);
			goto out;
		}
		linked = 1;
	}
	if (close(fd) != 0) {
		fd = -1;
		apply_fail(a, "write", e->path, cause);
		goto out;
	}
	fd = -1;
	if (apply_metadata(a, parent, tmp, e, cause) != 0)
		goto out;
	if (fstatat(parent, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (S_ISDIR(sb.st_mode) || apply_replace(a, parent, leaf, e->path,
	    cause) != 0)) {
		if (S_ISDIR(sb.st_mode))
			apply_fail(a, "replace directory", e->path, cause);
		goto out;
	}
	if (renameat(parent, tmp, parent, leaf) != 0) {
		apply_fail(a, "rename into place", e->path, cause);
		goto out;
	}
	linked = 0;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (linked)
		unlinkat(parent, tmp, 0);
	return rc;
}

int
apply_commit(struct apply *a, uint64_t size, char **cause)
{
	int	rc = -1;

	/* A trailing hole is only a seek: set the size explicitly. */
	if (ftruncate(a->file_fd, (off_t)size) != 0) {
		apply_fail(a, "write", a->file.path, cause);
		goto out;
	}
	rc = apply_place(a, a->file_parent, a->file_fd, a->file_tmp,
	    a->file_named, a->file_leaf, &a->file, cause);
	a->file_fd = -1;
	a->file_named = 0;	/* renamed, or removed by apply_place */
out:
	apply_abort(a);
	return rc;
}

int
apply_hold(struct apply *a, uint64_t size, const uint8_t sha256[HASH_LEN],
    char **cause)
{
	struct apply_held	*h;
	int			 rc = -1;

	if (ftruncate(a->file_fd, (off_t)size) != 0) {
		apply_fail(a, "write", a->file.path, cause);
		goto out;
	}
	a->held = xrealloc(a->held, (a->nheld + 1) * sizeof *a->held);
	h = &a->held[a->nheld++];
	h->e = a->file;			/* the entry moves to the held file */
	memset(&a->file, 0, sizeof a->file);
	h->fd = a->file_fd;
	a->file_fd = -1;
	/* Without O_TMPFILE it has a temporary name already: it keeps it. */
	h->tmp = a->file_named ? a->file_tmp : NULL;
	if (a->file_named)
		a->file_tmp = NULL;
	a->file_named = 0;
	memcpy(h->sha256, sha256, HASH_LEN);
	rc = 0;
out:
	apply_abort(a);
	return rc;
}

/* Does held file h hash to its sha256? (1 yes, 0 no or unreadable) */
static int
apply_held_intact(const struct apply_held *h)
{
	const size_t	 len = 1024 * 1024;
	uint8_t		*buf = xmalloc(len), got[HASH_LEN];
	struct hash	*hash = hash_new();
	off_t		 off = 0;
	ssize_t		 n;

	while ((n = pread(h->fd, buf, len, off)) > 0) {
		hash_update(hash, buf, (size_t)n);
		off += n;
	}
	hash_final(hash, got);
	hash_free(hash);
	free(buf);
	return n == 0 && memcmp(got, h->sha256, HASH_LEN) == 0;
}

/* Drop held file h: closed (and its temporary name, if any, removed). */
static void
apply_held_drop(struct apply *a, struct apply_held *h)
{
	const char	*leaf;
	int		 parent;

	if (h->fd != -1)
		close(h->fd);
	h->fd = -1;
	if (h->tmp != NULL && (parent = apply_parent(a, h->e.path, 0, &leaf,
	    NULL)) != -1) {
		unlinkat(parent, h->tmp, 0);
		close(parent);
	}
	free(h->tmp);
	h->tmp = NULL;
	entry_clear(&h->e);
}

/* Name held file i, or drop it; its slot is emptied either way. */
static int
apply_held_place(struct apply *a, size_t i, char **cause)
{
	struct apply_held	*h = &a->held[i];
	const char		*leaf;
	char			*tmp;
	int			 parent, rc = -1;

	if ((parent = apply_parent(a, h->e.path, 0, &leaf, cause)) == -1)
		goto out;
	tmp = h->tmp != NULL ? h->tmp : xasprintf(".tresor-part.%ld.%u",
	    a->pid, a->counter++);
	rc = apply_place(a, parent, h->fd, tmp, h->tmp != NULL, leaf, &h->e,
	    cause);
	h->fd = -1;
	if (tmp != h->tmp)
		free(tmp);
	free(h->tmp);
	h->tmp = NULL;		/* renamed, or removed by apply_place */
	close(parent);
out:
	apply_held_drop(a, h);
	return rc;
}

int
apply_publish(struct apply *a, void (*lost)(void *, const char *),
    void *arg, char **cause)
{
	struct apply_held	*h;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < a->nheld; i++) {
		h = &a->held[i];
		if (rc == 0 && lost != NULL && !apply_held_intact(h)) {
			lost(arg, h->e.path);
			apply_held_drop(a, h);
		} else if (rc == 0)
			rc = apply_held_place(a, i, cause);
		else
			apply_held_drop(a, h);	/* after a failure */
	}
	a->nheld = 0;
	return rc;
}

void
apply_discard(struct apply *a)
{
	size_t	i;

	for (i = 0; i < a->nheld; i++)
		apply_held_drop(a, &a->held[i]);
	a->nheld = 0;
}

void
apply_abort(struct apply *a)
{
	if (a->file_fd != -1)
		close(a->file_fd);
	a->file_fd = -1;
	if (a->file_tmp != NULL && a->file_named && a->file_parent != -1)
		unlinkat(a->file_parent, a->file_tmp, 0);
	free(a->file_tmp);
	a->file_tmp = NULL;
	if (a->file_parent != -1)
		close(a->file_parent);
	a->file_parent = -1;
}

int
apply_finish(struct apply *a, char **cause)
{
	const char	*leaf;
	size_t		 i;
	int		 fd, rc;

	for (i = a->ndirs; i > 0; i--) {
		fd = apply_parent(a, a->dirs[i - 1].e.path, 0, &leaf, cause);
		if (fd == -1)
			return -1;
		rc = apply_metadata(a, fd, leaf, &a->dirs[i - 1].e, cause);
		close(fd);
		if (rc != 0)
			return -1;
	}
	return 0;
}

void
apply_free(struct apply *a)
{
	size_t	i;

	if (a == NULL)
		return;
	apply_abort(a);
	apply_discard(a);
	free(a->held);
	apply_parent_forget(a);
	free(a->cpath);
	free(a->cend);
	free(a->cfd);
	entry_clear(&a->file);
	free(a->file_leaf);
	for (i = 0; i < a->ndirs; i++)
		entry_clear(&a->dirs[i].e);
	free(a->dirs);
	if (a->rootfd != -1)
		close(a->rootfd);
	free(a->dest);
	free(a);
}
