/*
 * walker.c: the directory walker (see walker.h). Directories are opened
 * with openat(O_NOFOLLOW) relative to their parent, so a directory swapped
 * for a symlink during the walk is not followed out of the source.
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

struct walker {
	walk_fn			 fn;
	void			*arg;
	struct walker_stats	*stats;
	struct strmap		*links;	/* "dev:ino" -> first stored path */
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

static int walker_visit(struct walker *, int, const char *, const char *,
    char **);

/*
 * Read a directory's names with getdents64 on the fd we already hold: no
 * dup, no fdopendir. Nightly runs over 300,000 unchanged files are mostly
 * system calls, so this matters.
 */
static int
walker_directory(struct walker *w, int fd, const char *path, char **cause)
{
	struct dirent64	 *de;
	char		  buf[32768], **names = NULL, *child;
	size_t		  n = 0, i;
	ssize_t		  len, off;
	int		  rc = -1;

	for (;;) {
		len = getdents64(fd, buf, sizeof buf);
		if (len == -1 && errno == EINTR)
			continue;
		if (len == -1) {
			walker_warn(w, path, "cannot list directory");
			break;
		}
		if (len == 0)
			break;
		for (off = 0; off < len; off += de->d_reclen) {
			de = (struct dirent64 *)(buf + off);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	}
	if (n > 0)
		qsort(names, n, sizeof *names, walker_names_compare);
	for (i = 0; i < n; i++) {
		child = xasprintf("%s/%s", path, names[i]);
		rc = walker_visit(w, fd, names[i], child, cause);
		free(child);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
walker_visit(struct walker *w, int parent, const char *name, const char *path,
    char **cause)
{
	struct walk_item	 it;
	struct stat		 sb;
	char			 key[64], *first, target[65536];
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
		len = readlinkat(parent, name, target, sizeof target - 1);
		if (len < 0) {
			walker_warn(w, path, "cannot read link");
			rc = 0;
			goto out;
		}
		target[len] = '\0';
		it.e.target = xstrdup(target);
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
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
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
	rc = (kind == 'd') ? walker_directory(w, fd, path, cause) : 0;
out:
	if (fd != -1)
		close(fd);
	entry_clear(&it.e);
	return rc;
}

int
walker_run(const char *path, const char *stored_name, walk_fn fn, void *arg,
    struct walker_stats *stats, char **cause)
{
	struct walker	 w;
	struct stat	 sb;
	char		*copy = xstrdup(path), *slash, *dir, *base;
	int		 parent = -1, rc = -1;

	memset(&w, 0, sizeof w);
	w.fn = fn;
	w.arg = arg;
	w.stats = stats;
	w.links = strmap_new();

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
	parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent == -1 || fstatat(parent, base, &sb, AT_SYMLINK_NOFOLLOW)) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	if (S_ISDIR(sb.st_mode) && faccessat(parent, base, R_OK | X_OK,
	    AT_EACCESS) != 0) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && faccessat(parent, base, R_OK,
	    AT_EACCESS) != 0) {
		error_sys(cause, "unable to read source '%s'", path);
		goto out;
	}
	rc = walker_visit(&w, parent, base, stored_name, cause);
out:
	if (parent != -1)
		close(parent);
	strmap_free_values(w.links, free);
	free(copy);
	return rc;
}
