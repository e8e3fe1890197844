/*
 * walker.c: the directory walker (see walker.h). Directories are opened
 * with openat(O_NOFOLLOW) relative to their parent, so a directory swapped
 * for a symlink during the walk is not followed out of the source.
 *
 * The walk is a loop over an explicit stack of open directories, one
 * small frame per level on the heap: depth costs heap, never C stack
 * (a recursive walker with its buffers on the stack died at ~90 levels).
 *
 * File descriptors: keeping every level's directory open would need one
 * per level, and 1,000 levels plus the run's own files pass the default
 * soft limit of 1024. Raising RLIMIT_NOFILE only moves that ceiling (the
 * hard limit may be 1024 too), and reopening a directory by its full path
 * fails past PATH_MAX. So at most WALKER_OPEN_DIRS levels stay open; a
 * deeper level closes the directory WALKER_OPEN_DIRS above it, and coming
 * back up reopens it with openat(child, "..") or, failing that, name by
 * name from the nearest directory still open, each checked against the
 * st_dev/st_ino seen on the way down.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "walker.h"

#define WALKER_OPEN_DIRS	64
#define WALKER_DENTS_LEN	32768
#define WALKER_TARGET_LEN	65536

/* One directory being walked. */
struct walker_dir {
	int		 fd;		/* -1 while closed for the fd budget */
	dev_t		 dev;
	ino_t		 ino;
	char		*path;		/* stored path */
	char		*name;		/* name within the parent */
	char		**names;	/* sorted contents */
	size_t		 n;
	size_t		 next;		/* next name to visit */
};

struct walker {
	walk_fn			 fn;
	void			*arg;
	struct walker_stats	*stats;
	struct strmap		*links;	/* "dev:ino" -> first stored path */
	int			 top;	/* the source's parent, always open */
	struct walker_dir	*dirs;	/* dirs[0] is the source */
	size_t			 ndirs;
	size_t			 dirs_cap;
	char			*dents;	/* getdents64 buffer */
	char			*target; /* readlinkat buffer */
	int			 one_fs;	/* stay on the source's device */
	dev_t			 root_dev;
};

static void
walker_warn(struct walker *w, const char *path, const char *what)
{
	char	*q = log_quote(path);

	log_warn("skipping '%s': %s: %s", q, what, strerror(errno));
	free(q);
	w->stats->warnings++;
}

static int
walker_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return 'f';
	if (S_ISDIR(mode))
		return 'd';
	if (S_ISLNK(mode))
		return 'l';
	if (S_ISFIFO(mode))
		return 'p';
	if (S_ISCHR(mode))
		return 'c';
	if (S_ISBLK(mode))
		return 'b';
	return 0;		/* sockets: nothing to restore */
}

static int
walker_names_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read a directory's names with getdents64 on the fd we already hold: no
 * dup, no fdopendir. Nightly runs over 300,000 unchanged files are mostly
 * system calls, so this matters.
 */
static void
walker_list(struct walker *w, struct walker_dir *d)
{
	struct dirent64	*de;
	ssize_t		 len, off;

	for (;;) {
		len = getdents64(d->fd, w->dents, WALKER_DENTS_LEN);
		if (len == -1 && errno == EINTR)
			continue;
		if (len == -1) {
			walker_warn(w, d->path, "cannot list directory");
			break;
		}
		if (len == 0)
			break;
		for (off = 0; off < len; off += de->d_reclen) {
			de = (struct dirent64 *)(w->dents + off);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			d->names = xrealloc(d->names, (d->n + 1) *
			    sizeof *d->names);
			d->names[d->n++] = xstrdup(de->d_name);
		}
	}
	if (d->n > 0)
		qsort(d->names, d->n, sizeof *d->names, walker_names_compare);
}

/* Is fd the directory d was when it was first opened? */
static int
walker_same_dir(int fd, const struct walker_dir *d)
{
	struct stat	sb;

	return fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    sb.st_dev == d->dev && sb.st_ino == d->ino;
}

static int
walker_open_dir(int parent, const char *name)
{
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * Reopen dirs[i] (closed for the fd budget) name by name from the nearest
 * open directory above it, leaving open only the levels within the
 * budget. Fails with ESTALE if a level is no longer the directory it was.
 */
static int
walker_reopen_chain(struct walker *w, size_t i)
{
	struct walker_dir	*d;
	size_t			 j = i;
	int			 parent;

	while (j > 0 && w->dirs[j - 1].fd == -1)
		j--;
	for (; j <= i; j++) {
		d = &w->dirs[j];
		parent = j == 0 ? w->top : w->dirs[j - 1].fd;
		d->fd = walker_open_dir(parent, d->name);
		if (d->fd != -1 && !walker_same_dir(d->fd, d)) {
			close(d->fd);
			d->fd = -1;
			errno = ESTALE;
		}
		if (j > 0 && i - (j - 1) >= WALKER_OPEN_DIRS) {
			close(w->dirs[j - 1].fd);
			w->dirs[j - 1].fd = -1;
		}
		if (d->fd == -1)
			return -1;
	}
	return 0;
}

/*
 * Reopen the parent of the deepest directory if it was closed: through
 * "..", unless that is no longer it (a directory moved during the walk).
 */
static void
walker_reopen_parent(struct walker *w)
{
	struct walker_dir	*d, *up;
	char			*q;

	if (w->ndirs < 2)
		return;
	d = &w->dirs[w->ndirs - 1];
	up = d - 1;
	if (up->fd != -1)
		return;
	up->fd = openat(d->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (up->fd != -1 && !walker_same_dir(up->fd, up)) {
		close(up->fd);
		up->fd = -1;
	}
	if (up->fd != -1 || walker_reopen_chain(w, w->ndirs - 2) == 0)
		return;
	if (errno == ESTALE) {
		q = log_quote(up->path);
		log_warn("skipping the rest of '%s': it was moved during the "
		    "backup", q);
		free(q);
		w->stats->warnings++;
	} else
		walker_warn(w, up->path, "cannot reopen directory");
	up->next = up->n;
}

static void
walker_dir_free(struct walker_dir *d)
{
	size_t	i;

	if (d->fd != -1)
		close(d->fd);
	for (i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->path);
	free(d->name);
}

/* Leave the deepest directory. */
static void
walker_pop(struct walker *w)
{
	walker_reopen_parent(w);
	walker_dir_free(&w->dirs[--w->ndirs]);
}

/* Enter a directory: fd is open on it; path and name are taken over. */
static void
walker_push(struct walker *w, int fd, const struct stat *sb, char *path,
    char *name)
{
	struct walker_dir	*d;

	if (w->ndirs == w->dirs_cap) {
		w->dirs_cap = w->dirs_cap == 0 ? 16 : w->dirs_cap * 2;
		w->dirs = xrealloc(w->dirs, w->dirs_cap * sizeof *w->dirs);
	}
	d = &w->dirs[w->ndirs++];
	memset(d, 0, sizeof *d);
	d->fd = fd;
	d->dev = sb->st_dev;
	d->ino = sb->st_ino;
	d->path = path;
	d->name = name;
	walker_list(w, d);
	/* Keep at most WALKER_OPEN_DIRS levels open (see the top). */
	if (w->ndirs > WALKER_OPEN_DIRS) {
		d = &w->dirs[w->ndirs - 1 - WALKER_OPEN_DIRS];
		if (d->fd != -1)
			close(d->fd);
		d->fd = -1;
	}
}

/*
 * Visit one entry of directory `parent`; a directory that was stored is
 * pushed, to be walked by walker_run's loop. Returns -1 only if fn failed.
 */
static int
walker_visit(struct walker *w, int parent, const char *name, const char *path,
    char **cause)
{
	struct walk_item	 it;
	struct stat		 sb;
	char			 key[64], *first;
	ssize_t			 len;
	int			 kind, rc = -1, fd = -1;

	memset(&it, 0, sizeof it);
	if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;	/* deleted since it was listed */
		walker_warn(w, path, "cannot stat");
		return 0;
	}
	if ((kind = walker_kind(sb.st_mode)) == 0)
		return 0;
	if (strlen(path) > 65535) {
		errno = ENAMETOOLONG;	/* the format stores 64 KiB at most */
		walker_warn(w, path, "path too long to store");
		return 0;
	}
	it.e.kind = (char)kind;
	it.e.mode = sb.st_mode & 07777;
	it.e.uid = sb.st_uid;
	it.e.gid = sb.st_gid;
	it.e.mtime_sec = sb.st_mtim.tv_sec;
	it.e.mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	it.e.size = kind == 'f' ? (uint64_t)sb.st_size : 0;
	it.e.rdev = (kind == 'c' || kind == 'b') ? (uint64_t)sb.st_rdev : 0;
	it.e.path = xstrdup(path);
	it.dirfd = parent;
	it.name = name;
	it.dev = sb.st_dev;
	it.ino = sb.st_ino;
	it.ctime = sb.st_ctim;
	it.blocks = sb.st_blocks;

	if (kind == 'l') {
		len = readlinkat(parent, name, w->target,
		    WALKER_TARGET_LEN - 1);
		if (len < 0) {
			walker_warn(w, path, "cannot read link");
			rc = 0;
			goto out;
		}
		w->target[len] = '\0';
		it.e.target = xstrdup(w->target);
	}
	key[0] = '\0';
	if (kind == 'f' && sb.st_nlink > 1) {
		snprintf(key, sizeof key, "%ju:%ju", (uintmax_t)sb.st_dev,
		    (uintmax_t)sb.st_ino);
		first = strmap_get(w->links, key);
		if (first != NULL) {
			it.e.kind = 'h';
			it.e.size = 0;
			it.e.target = xstrdup(first);
			key[0] = '\0';
		}
	}
	if (kind == 'd') {
		fd = walker_open_dir(parent, name);
		if (fd == -1) {
			if (errno != ENOENT)
				walker_warn(w, path, "cannot open directory");
			rc = 0;
			goto out;
		}
	}
	switch (w->fn(w->arg, &it, cause)) {
	case 0:
		w->stats->entries++;
		/* The first stored name of an inode is what later links name. */
		if (key[0] != '\0')
			strmap_put(w->links, key, xstrdup(path));
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	/*
	 * Another filesystem mounted below the source (with one_fs): the
	 * mount point is stored as an empty directory, as duplicity's
	 * --exclude-other-filesystems and tar's --one-file-system do.
	 */
	if (kind == 'd' && w->one_fs && sb.st_dev != w->root_dev) {
		rc = 0;
		goto out;
	}
	if (kind == 'd') {
		walker_push(w, fd, &sb, it.e.path, xstrdup(name));
		it.e.path = NULL;
		fd = -1;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	entry_clear(&it.e);
	return rc;
}

int
walker_run(const char *path, const char *stored_name, int one_fs, walk_fn fn,
    void *arg, struct walker_stats *stats, char **cause)
{
	struct walker		 w;
	struct walker_dir	*d;
	struct stat		 sb;
	char			*copy = xstrdup(path), *slash, *dir, *base;
	char			*child;
	const char		*name;
	int			 rc = -1;

	memset(&w, 0, sizeof w);
	w.fn = fn;
	w.arg = arg;
	w.stats = stats;
	w.one_fs = one_fs;
	w.links = strmap_new();
	w.dents = xmalloc(WALKER_DENTS_LEN);
	w.target = xmalloc(WALKER_TARGET_LEN);

	/* Open the parent so the source itself is visited like any entry. */
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		dir = ".";
		base = copy;
	} else if (slash == copy) {
		dir = "/";
		base = copy + 1;
	} else {
		*slash = '\0';
		dir = copy;
		base = slash + 1;
	}
	w.top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.top == -1 || fstatat(w.top, base, &sb, AT_SYMLINK_NOFOLLOW)) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	if (S_ISDIR(sb.st_mode) && faccessat(w.top, base, R_OK | X_OK,
	    AT_EACCESS) != 0) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && faccessat(w.top, base, R_OK,
	    AT_EACCESS) != 0) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	w.root_dev = sb.st_dev;
	if (walker_visit(&w, w.top, base, stored_name, cause) != 0)
		goto out;
	/* Depth first: the deepest directory's next name, or leave it. */
	while (w.ndirs > 0) {
		d = &w.dirs[w.ndirs - 1];
		if (d->next == d->n) {
			walker_pop(&w);
			continue;
		}
		/* d may move when a child is pushed; names[] does not. */
		name = d->names[d->next++];
		child = xasprintf("%s/%s", d->path, name);
		rc = walker_visit(&w, d->fd, name, child, cause);
		free(child);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	while (w.ndirs > 0)
		walker_dir_free(&w.dirs[--w.ndirs]);
	if (w.top != -1)
		close(w.top);
	strmap_free_values(w.links, free);
	free(w.dirs);
	free(w.dents);
	free(w.target);
	free(copy);
	return rc;
}
