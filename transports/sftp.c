/*
 * sftp.c: the sftp:// and scp:// drivers, over one SSH connection (libssh2).
 *
 * URLs are duplicity's: sftp://user[:password]@host[:port]/path, the path
 * relative to the login directory, //path absolute. scp:// is the same
 * server reached the same way: libssh2's scp channel can only copy whole
 * files (no listing, renaming or removal without a remote shell), so scp://
 * runs the SFTP subsystem underneath, as OpenSSH's own scp does since 9.0.
 *
 * The connection, host key check and login are ssh.c's.
 *
 * Objects are written to a temporary name, checked for their size and
 * renamed (OpenSSH's rename never replaces: objects are write-once). A
 * dropped connection is reopened with backoff (transport_retry); an upload
 * resumes at the last offset the server acknowledged, from the bytes still
 * buffered here, so memory stays bounded and nothing is published unless
 * the temporary object has exactly the bytes written.
 *
 * One connection, used by one thread at a time: no TRANSPORT_CONCURRENT.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "ssh.h"

/* Upload and download buffers: large requests let libssh2 pipeline. */
#define SFTP_BUFFER	(1024 * 1024)

struct sftp_target {
	struct ssh_conn		 c;
	char			*dir;		/* remote directory */
	unsigned		 dir_made;	/* generation that made dir */
};

struct sftp_writer {
	struct sink		 sink;
	struct sftp_target	*st;
	char			*name;
	char			*tmppath;
	char			*path;
	LIBSSH2_SFTP_HANDLE	*h;
	unsigned		 generation;	/* of h */
	uint8_t			*buf;
	size_t			 len;		/* bytes in buf */
	size_t			 off;		/* of those, acknowledged */
	uint64_t		 done;		/* acknowledged by the server */
	int			 published;
};

struct sftp_reader {
	struct transport_reader	 reader;
	struct sftp_target	*st;
	char			*name;
	char			*path;
	LIBSSH2_SFTP_HANDLE	*h;
	unsigned		 generation;	/* of h */
	uint64_t		 pos;		/* offset of the next fetch */
	uint8_t			*buf;
	size_t			 len, off;
};

/* mkdir -p of the target directory, once a connection. */
static int
sftp_make_dir(struct sftp_target *st, char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			*p;
	int			 rc = 0;

	if (st->dir_made == st->c.generation)
		return 0;
	p = st->dir;
	while (rc == 0 && p != NULL) {
		p = strchr(p + 1, '/');
		if (p != NULL)
			*p = '\0';
		if (libssh2_sftp_stat(st->c.sftp, st->dir, &a) != 0) {
			if (ssh_status(&st->c) != LIBSSH2_FX_NO_SUCH_FILE)
				rc = ssh_error(&st->c, cause, "unable to create "
				    "directory %s", st->c.t->url.display);
			else if (libssh2_sftp_mkdir(st->c.sftp, st->dir,
			    0700) != 0)
				rc = ssh_error(&st->c, cause, "unable to create "
				    "directory '%s' for %s", st->dir,
				    st->c.t->url.display);
		} else if (!LIBSSH2_SFTP_S_ISDIR(a.permissions))
			rc = error_set(cause, "unable to create directory "
			    "'%s' for %s: a file is in the way", st->dir,
			    st->c.t->url.display);
		if (p != NULL)
			*p = '/';
	}
	if (rc == 0)
		st->dir_made = st->c.generation;
	return rc;
}

static int
sftp_connect_step(struct transport *t, void *arg, char **cause)
{
	(void)arg;
	return ssh_connect(&((struct sftp_target *)t->driver)->c, cause);
}

static void
sftp_close(struct transport *t)
{
	struct sftp_target	*st = t->driver;

	ssh_free(&st->c);
	free(st->dir);
	free(st);
	t->driver = NULL;
}

static int
sftp_open(struct transport *t, char **cause)
{
	struct sftp_target	*st;
	const char		*path = t->url.path;
	size_t			 len;

	st = xcalloc(1, sizeof *st);
	if (ssh_init(&st->c, t, cause) != 0) {
		free(st);
		return -1;
	}
	/* duplicity: /path is relative to the login directory, //path not. */
	if (path[0] == '/' && path[1] == '/')
		st->dir = xstrdup(path + 1);
	else
		st->dir = xstrdup(path[1] == '\0' ? "." : path + 1);
	len = strlen(st->dir);
	while (len > 1 && st->dir[len - 1] == '/')
		st->dir[--len] = '\0';
	t->driver = st;
	/* Connect now, so a bad host, host key or password shows at once. */
	if (transport_retry(t, sftp_connect_step, NULL, cause) != 0) {
		sftp_close(t);
		return -1;
	}
	return 0;
}

static char *
sftp_path(struct sftp_target *st, const char *name)
{
	return xasprintf("%s/%s", st->dir, name);
}

/*
 * Room for any name a listing can hold: libssh2 refuses SFTP packets over
 * 256 KiB (LIBSSH2_SFTP_PACKET_MAXLEN), so no name is longer. A smaller
 * buffer is not enough: NAME_MAX is 255 bytes on Linux, but a server's
 * names may be longer (255 UTF-16 units from NTFS or Windows are up to
 * 765 bytes of UTF-8), and libssh2 cannot hand back a name that did not
 * fit (1.10 drops the entry's place in its batch): one such name once
 * failed every listing of the directory. The long entry (ls -l text) is
 * not asked for.
 */
#define SFTP_LIST_NAME_MAX	(256 * 1024)

struct sftp_list_arg {
	struct name_list	*l;
	int			 temporaries;
};

static int
sftp_list_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_list_arg	*la = arg;
	LIBSSH2_SFTP_HANDLE	*d;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			*name = NULL;
	int			 rc, n;

	name_list_clear(la->l);		/* from a try that failed */
	if ((rc = ssh_connect(&st->c, cause)) != 0)
		return rc;
	d = libssh2_sftp_opendir(st->c.sftp, st->dir);
	if (d == NULL) {
		/* No directory yet: an empty target (put creates it). */
		if (ssh_status(&st->c) == LIBSSH2_FX_NO_SUCH_FILE)
			return 0;
		return ssh_error(&st->c, cause, "unable to list %s",
		    t->url.display);
	}
	name = xmalloc(SFTP_LIST_NAME_MAX);
	while ((n = libssh2_sftp_readdir(d, name, SFTP_LIST_NAME_MAX,
	    &a)) > 0) {
		if (la->temporaries) {
			if (transport_name_temporary(name))
				name_list_add(la->l, name, 0);
		} else if (transport_name_valid(name) &&
		    (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
		    LIBSSH2_SFTP_S_ISREG(a.permissions))
			name_list_add(la->l, name, a.filesize);
	}
	free(name);
	if (n == LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
		/* Cannot happen (see SFTP_LIST_NAME_MAX); say so if it does. */
		libssh2_sftp_closedir(d);
		return error_set(cause, "unable to list %s: a name in it is "
		    "longer than %d bytes", t->url.display, SFTP_LIST_NAME_MAX);
	}
	if (n < 0) {
		rc = ssh_error(&st->c, cause, "unable to list %s", t->url.display);
		if (rc != TRANSPORT_TRANSIENT)
			libssh2_sftp_closedir(d);
		return rc;
	}
	libssh2_sftp_closedir(d);
	return 0;
}

static int
sftp_list(struct transport *t, struct name_list *l, char **cause)
{
	struct sftp_list_arg	la = { l, 0 };

	return transport_retry(t, sftp_list_step, &la, cause);
}

static int
sftp_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct sftp_list_arg	la = { l, 1 };

	return transport_retry(t, sftp_list_step, &la, cause);
}

static int
sftp_stat_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct transport_stat_arg *na = arg;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			*path;
	int			 rc;

	if ((rc = ssh_connect(&st->c, cause)) != 0)
		return rc;
	path = sftp_path(st, na->name);
	na->found = 0;
	if (libssh2_sftp_lstat(st->c.sftp, path, &a) != 0) {
		if (ssh_status(&st->c) != LIBSSH2_FX_NO_SUCH_FILE)
			rc = ssh_error(&st->c, cause, "unable to stat '%s' in %s",
			    na->name, t->url.display);
	} else if (!LIBSSH2_SFTP_S_ISREG(a.permissions))
		rc = error_set(cause, "'%s' in %s is not a regular file",
		    na->name, t->url.display);
	else {
		na->found = 1;
		na->size = a.filesize;
	}
	free(path);
	return rc;
}

static int
sftp_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	return transport_stat_retry(t, sftp_stat_step, name, size, cause);
}

static int
sftp_remove_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	const char		*name = arg;
	char			*path;
	int			 rc;

	if ((rc = ssh_connect(&st->c, cause)) != 0)
		return rc;
	path = sftp_path(st, name);
	if (libssh2_sftp_unlink(st->c.sftp, path) != 0 &&
	    ssh_status(&st->c) != LIBSSH2_FX_NO_SUCH_FILE)
		rc = ssh_error(&st->c, cause, "unable to remove '%s' from %s",
		    name, t->url.display);
	free(path);
	return rc;
}

static int
sftp_remove(struct transport *t, const char *name, char **cause)
{
	return transport_retry(t, sftp_remove_step, (void *)name, cause);
}

/*
 * (Re)open the temporary object: created empty the first time, reopened
 * at the acknowledged offset after a reconnection. The server may hold
 * more than that (written, reply lost): those bytes are written again,
 * identical; less would mean it lost data it acknowledged.
 */
static int
sftp_writer_open(struct sftp_writer *w, char **cause)
{
	struct sftp_target	*st = w->st;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	int			 rc;

	if (w->h != NULL && w->generation == st->c.generation &&
	    st->c.sftp != NULL)
		return 0;
	w->h = NULL;	/* its connection is gone */
	if ((rc = ssh_connect(&st->c, cause)) != 0 ||
	    (rc = sftp_make_dir(st, cause)) != 0)
		return rc;
	w->h = libssh2_sftp_open(st->c.sftp, w->tmppath, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_CREAT | (w->done == 0 ? LIBSSH2_FXF_TRUNC : 0), 0600);
	if (w->h == NULL)
		return ssh_error(&st->c, cause, "unable to create '%s' in %s",
		    w->name, st->c.t->url.display);
	st->c.upload = w->h;
	w->generation = st->c.generation;
	if (w->done == 0)
		return 0;
	if (libssh2_sftp_fstat(w->h, &a) != 0)
		return ssh_error(&st->c, cause, "unable to resume '%s' in %s",
		    w->name, st->c.t->url.display);
	if (a.filesize < w->done)
		return error_set(cause, "unable to resume '%s' in %s: the "
		    "server lost data it had acknowledged", w->name,
		    st->c.t->url.display);
	libssh2_sftp_seek64(w->h, w->done);
	return 0;
}

static int
sftp_flush_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_writer	*w = arg;
	ssize_t			 n;
	int			 rc;

	(void)t;
	if ((rc = sftp_writer_open(w, cause)) != 0)
		return rc;
	while (w->off < w->len) {
		n = libssh2_sftp_write(w->h, (const char *)w->buf + w->off,
		    w->len - w->off);
		if (n < 0)
			return ssh_error(&w->st->c, cause, "unable to write '%s' "
			    "to %s", w->name, t->url.display);
		w->off += (size_t)n;
		w->done += (uint64_t)n;
	}
	w->off = w->len = 0;
	return 0;
}

static int
sftp_writer_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;

	return transport_buffer_write(w->st->c.t, w->buf, SFTP_BUFFER, &w->len,
	    buf, len, sftp_flush_step, w, cause);
}

/*
 * Close the temporary object once it has every byte, then rename it. A
 * rename whose reply was lost is retried: then the temporary is gone and
 * the object is there with our size.
 */
static int
sftp_publish_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_writer	*w = arg;
	struct sftp_target	*st = w->st;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	int			 rc;

	if ((rc = sftp_flush_step(t, w, cause)) != 0)
		return rc;
	if (w->h != NULL) {
		/* fsync@openssh.com; servers without it just say so. */
		libssh2_sftp_fsync(w->h);
		if (st->c.upload == w->h)
			st->c.upload = NULL;
		rc = libssh2_sftp_close(w->h);
		w->h = NULL;
		if (rc != 0)
			return ssh_error(&st->c, cause, "unable to write '%s' to %s",
			    w->name, t->url.display);
	}
	if (libssh2_sftp_stat(st->c.sftp, w->tmppath, &a) != 0) {
		if (ssh_status(&st->c) == LIBSSH2_FX_NO_SUCH_FILE &&
		    libssh2_sftp_stat(st->c.sftp, w->path, &a) == 0 &&
		    a.filesize == w->done)
			return 0;
		return ssh_error(&st->c, cause, "unable to publish '%s' in %s",
		    w->name, t->url.display);
	}
	if (a.filesize != w->done)
		return error_set(cause, "unable to publish '%s' in %s: %llu "
		    "bytes written, %llu stored", w->name, t->url.display,
		    (unsigned long long)w->done,
		    (unsigned long long)a.filesize);
	/* OpenSSH renames by link(2): an existing object is never replaced. */
	if (libssh2_sftp_rename_ex(st->c.sftp, w->tmppath,
	    (unsigned)strlen(w->tmppath), w->path, (unsigned)strlen(w->path),
	    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
		if (ssh_status(&st->c) == LIBSSH2_FX_FAILURE ||
		    ssh_status(&st->c) == LIBSSH2_FX_FILE_ALREADY_EXISTS)
			return error_set(cause, "unable to publish '%s' in %s: "
			    "an object of that name exists", w->name,
			    t->url.display);
		return ssh_error(&st->c, cause, "unable to publish '%s' in %s",
		    w->name, t->url.display);
	}
	return 0;
}

static int
sftp_writer_finish(struct sink *s, char **cause)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;

	if (transport_retry(w->st->c.t, sftp_publish_step, w, cause) != 0)
		return -1;
	w->published = 1;
	return 0;
}

static void
sftp_writer_free(struct sink *s)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;
	struct sftp_target	*st = w->st;

	if (w->h != NULL && w->generation == st->c.generation &&
	    st->c.sftp != NULL) {
		if (st->c.upload == w->h)
			st->c.upload = NULL;
		libssh2_sftp_close(w->h);
	}
	/* Best effort: cleanup removes what a lost connection leaves. */
	if (!w->published && st->c.sftp != NULL)
		libssh2_sftp_unlink(st->c.sftp, w->tmppath);
	free(w->name);
	free(w->tmppath);
	free(w->path);
	free(w->buf);
	free(w);
}

static const struct sink_ops sftp_writer_ops = {
	.name = "sftp-writer",
	.write = sftp_writer_write,
	.finish = sftp_writer_finish,
	.free = sftp_writer_free,
};

static int
sftp_create_step(struct transport *t, void *arg, char **cause)
{
	(void)t;
	return sftp_writer_open(arg, cause);
}

static struct sink *
sftp_put(struct transport *t, const char *name, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_writer	*w;
	char			*tmpname;

	w = xcalloc(1, sizeof *w);
	w->sink.ops = &sftp_writer_ops;
	w->st = st;
	w->name = xstrdup(name);
	tmpname = transport_tmpname(name);
	w->tmppath = sftp_path(st, tmpname);
	free(tmpname);
	w->path = sftp_path(st, name);
	w->buf = xmalloc(SFTP_BUFFER);
	if (transport_retry(t, sftp_create_step, w, cause) != 0) {
		w->published = 1;	/* nothing to remove */
		sftp_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

/* (Re)open the object at the next offset to fetch. */
static int
sftp_fetch_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_reader	*r = arg;
	struct sftp_target	*st = r->st;
	ssize_t			 n;
	int			 rc;

	if (r->h == NULL || r->generation != st->c.generation ||
	    st->c.sftp == NULL) {
		r->h = NULL;
		if ((rc = ssh_connect(&st->c, cause)) != 0)
			return rc;
		r->h = libssh2_sftp_open(st->c.sftp, r->path, LIBSSH2_FXF_READ,
		    0);
		if (r->h == NULL) {
			if (ssh_status(&st->c) == LIBSSH2_FX_NO_SUCH_FILE)
				return error_set(cause, "object '%s' is missing "
				    "from %s", r->name, t->url.display);
			return ssh_error(&st->c, cause, "unable to open '%s' in %s",
			    r->name, t->url.display);
		}
		r->generation = st->c.generation;
		libssh2_sftp_seek64(r->h, r->pos);
	}
	if (r->buf == NULL)
		return 0;	/* only opening */
	n = libssh2_sftp_read(r->h, (char *)r->buf, SFTP_BUFFER);
	if (n < 0)
		return ssh_error(&st->c, cause, "unable to read '%s' from %s",
		    r->name, t->url.display);
	r->len = (size_t)n;
	r->off = 0;
	r->pos += (uint64_t)n;
	return 0;
}

static ssize_t
sftp_reader_read(struct transport_reader *tr, void *buf, size_t len,
    char **cause)
{
	struct sftp_reader	*r = (struct sftp_reader *)tr;

	if (r->buf == NULL)
		r->buf = xmalloc(SFTP_BUFFER);
	if (r->off == r->len && transport_retry(r->st->c.t, sftp_fetch_step, r,
	    cause) != 0)
		return -1;
	if (len > r->len - r->off)
		len = r->len - r->off;
	memcpy(buf, r->buf + r->off, len);
	r->off += len;
	return (ssize_t)len;
}

static void
sftp_reader_close(struct transport_reader *tr)
{
	struct sftp_reader	*r = (struct sftp_reader *)tr;

	if (r->h != NULL && r->generation == r->st->c.generation &&
	    r->st->c.sftp != NULL)
		libssh2_sftp_close(r->h);
	free(r->name);
	free(r->path);
	free(r->buf);
	free(r);
}

static const struct transport_reader_ops sftp_reader_ops = {
	.read = sftp_reader_read,
	.close = sftp_reader_close,
};

static struct transport_reader *
sftp_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_reader	*r;

	r = xcalloc(1, sizeof *r);
	r->reader.ops = &sftp_reader_ops;
	r->st = st;
	r->name = xstrdup(name);
	r->path = sftp_path(st, name);
	r->pos = offset;
	/* Open now (no buffer yet: nothing is read), so errors show here. */
	if (transport_retry(t, sftp_fetch_step, r, cause) != 0) {
		sftp_reader_close(&r->reader);
		return NULL;
	}
	return &r->reader;
}

/* scp://: the same server and login, SFTP underneath (see the top). */
const struct transport_ops transport_sftp_ops = {
	.scheme = "sftp",
	.alias = "scp",
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = sftp_open,
	.close = sftp_close,
	.list = sftp_list,
	.stat = sftp_stat,
	.put = sftp_put,
	.get = sftp_get,
	.remove = sftp_remove,
	.list_temporary = sftp_list_temporary,
	.remove_temporary = sftp_remove,
};
