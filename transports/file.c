/*
 * file.c: the file:// driver, a directory on a local or mounted filesystem.
 *
 * Objects are published atomically: written to a hidden temporary name in the
 * same directory, fsync'd, renamed over the final name and the directory
 * fsync'd, so after a crash or a full disk an object is either complete under
 * its name or absent. The target directory must exist: creating it silently
 * would write to the root filesystem when a backup mount is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/io.h"
#include "common/xmalloc.h"
#include "transport.intern.h"

struct file_target {
	int	 dirfd;
	char	*display;	/* borrowed from the transport's URL */
};

struct file_writer {
	struct sink		 sink;
	struct file_target	*target;
	char			*name;
	char			*tmpname;
	int			 fd;
	int			 published;
};

struct file_reader {
	struct transport_reader	 reader;
	struct file_target	*target;
	char			*name;
	int			 fd;
};

static int
file_open(struct transport *t, char **cause)
{
	struct file_target	*ft;
	struct stat		 sb;
	int			 fd;

	fd = open(t->url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return error_set(cause, "target directory %s does not "
			    "exist (create it first)", t->url.display);
		return error_sys(cause, "unable to open target directory %s",
		    t->url.display);
	}
	if (fstat(fd, &sb) != 0) {
		error_sys(cause, "unable to stat target directory %s",
		    t->url.display);
		close(fd);
		return -1;
	}
	ft = xcalloc(1, sizeof *ft);
	ft->dirfd = fd;
	ft->display = t->url.display;
	t->driver = ft;
	return 0;
}

static void
file_close(struct transport *t)
{
	struct file_target	*ft = t->driver;

	close(ft->dirfd);
	free(ft);
	t->driver = NULL;
}

/*
 * List the directory: objects (regular files with valid names, and their
 * sizes) or, for cleanup, temporaries.
 */
static int
file_scan(struct transport *t, struct name_list *l, int temporaries,
    char **cause)
{
	struct file_target	*ft = t->driver;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*dir;
	int			 fd, rc = -1;

	fd = openat(ft->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		error_sys(cause, "unable to list %s", ft->display);
		if (fd != -1)
			close(fd);
		return -1;
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (temporaries) {
			if (transport_name_temporary(de->d_name))
				name_list_add(l, de->d_name, 0);
		} else if (transport_name_valid(de->d_name) &&
		    fstatat(ft->dirfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode))
			name_list_add(l, de->d_name, (uint64_t)sb.st_size);
		errno = 0;
	}
	if (errno != 0) {
		error_sys(cause, "unable to list %s", ft->display);
		goto out;
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
}

static int
file_list(struct transport *t, struct name_list *l, char **cause)
{
	return file_scan(t, l, 0, cause);
}

static int
file_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	return file_scan(t, l, 1, cause);
}

static int
file_stat(struct transport *t, const char *name, uint64_t *size, char **cause)
{
	struct file_target	*ft = t->driver;
	struct stat		 sb;

	if (fstatat(ft->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 1;
		return error_sys(cause, "unable to stat '%s' in %s", name,
		    ft->display);
	}
	if (!S_ISREG(sb.st_mode))
		return error_set(cause, "'%s' in %s is not a regular file",
		    name, ft->display);
	*size = (uint64_t)sb.st_size;
	return 0;
}

static int
file_writer_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct file_writer	*w = (struct file_writer *)s;

	if (io_write_all(w->fd, buf, len) != 0)
		return error_sys(cause, "unable to write '%s' to %s", w->name,
		    w->target->display);
	return 0;
}

static int
file_writer_finish(struct sink *s, char **cause)
{
	struct file_writer	*w = (struct file_writer *)s;

	if (fsync(w->fd) != 0)
		return error_sys(cause, "unable to write '%s' to %s", w->name,
		    w->target->display);
	if (close(w->fd) != 0) {
		w->fd = -1;
		return error_sys(cause, "unable to write '%s' to %s", w->name,
		    w->target->display);
	}
	w->fd = -1;
	/* Objects are write-once: never replace one that exists. */
	if (renameat2(w->target->dirfd, w->tmpname, w->target->dirfd,
	    w->name, RENAME_NOREPLACE) != 0 && (errno != EINVAL ||
	    linkat(w->target->dirfd, w->tmpname, w->target->dirfd, w->name,
	    0) != 0 || unlinkat(w->target->dirfd, w->tmpname, 0) != 0)) {
		if (errno == EEXIST)
			return error_set(cause, "unable to publish '%s' in %s: "
			    "an object of that name exists", w->name,
			    w->target->display);
		return error_sys(cause, "unable to publish '%s' in %s", w->name,
		    w->target->display);
	}
	w->published = 1;
	if (fsync(w->target->dirfd) != 0 && errno != EINVAL)
		return error_sys(cause, "unable to sync %s after writing '%s'",
		    w->target->display, w->name);
	return 0;
}

static void
file_writer_free(struct sink *s)
{
	struct file_writer	*w = (struct file_writer *)s;

	if (w->fd != -1)
		close(w->fd);
	if (!w->published)
		unlinkat(w->target->dirfd, w->tmpname, 0);
	free(w->name);
	free(w->tmpname);
	free(w);
}

static const struct sink_ops file_writer_ops = {
	.name = "file-writer",
	.write = file_writer_write,
	.finish = file_writer_finish,
	.free = file_writer_free,
};

static struct sink *
file_put(struct transport *t, const char *name, char **cause)
{
	struct file_target	*ft = t->driver;
	struct file_writer	*w;

	w = xcalloc(1, sizeof *w);
	w->sink.ops = &file_writer_ops;
	w->target = ft;
	w->name = xstrdup(name);
	w->tmpname = transport_tmpname(name);
	w->fd = openat(ft->dirfd, w->tmpname, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600);
	if (w->fd == -1) {
		error_sys(cause, "unable to create '%s' in %s", name,
		    ft->display);
		w->published = 1;	/* nothing to remove */
		file_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

static ssize_t
file_reader_read(struct transport_reader *r, void *buf, size_t len,
    char **cause)
{
	struct file_reader	*fr = (struct file_reader *)r;
	ssize_t			 n;

	do
		n = read(fr->fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return error_sys(cause, "unable to read '%s' from %s",
		    fr->name, fr->target->display);
	return n;
}

static void
file_reader_close(struct transport_reader *r)
{
	struct file_reader	*fr = (struct file_reader *)r;

	close(fr->fd);
	free(fr->name);
	free(fr);
}

static const struct transport_reader_ops file_reader_ops = {
	.read = file_reader_read,
	.close = file_reader_close,
};

static struct transport_reader *
file_get(struct transport *t, const char *name, uint64_t offset, char **cause)
{
	struct file_target	*ft = t->driver;
	struct file_reader	*fr;
	int			 fd;

	fd = openat(ft->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)
			error_set(cause, "object '%s' is missing from %s",
			    name, ft->display);
		else
			error_sys(cause, "unable to open '%s' in %s", name,
			    ft->display);
		return NULL;
	}
	if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) == -1) {
		error_sys(cause, "unable to seek in '%s' in %s", name,
		    ft->display);
		close(fd);
		return NULL;
	}
	fr = xcalloc(1, sizeof *fr);
	fr->reader.ops = &file_reader_ops;
	fr->target = ft;
	fr->name = xstrdup(name);
	fr->fd = fd;
	return &fr->reader;
}

static int
file_remove(struct transport *t, const char *name, char **cause)
{
	struct file_target	*ft = t->driver;

	if (unlinkat(ft->dirfd, name, 0) != 0 && errno != ENOENT)
		return error_sys(cause, "unable to remove '%s' from %s", name,
		    ft->display);
	return 0;
}

const struct transport_ops transport_file_ops = {
	.scheme = "file",
	/* Every call opens what it needs: nothing shared between threads. */
	.features = TRANSPORT_ATOMIC_RENAME | TRANSPORT_CONCURRENT |
	    TRANSPORT_LOCAL_SYNCED,
	.open = file_open,
	.close = file_close,
	.list = file_list,
	.stat = file_stat,
	.put = file_put,
	.get = file_get,
	.remove = file_remove,
	.list_temporary = file_list_temporary,
	.remove_temporary = file_remove,
};
