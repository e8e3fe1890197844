/*
 * ftp.c: the ftp:// and ftps:// drivers (libcurl).
 *
 * URLs are duplicity's: ftp://user[:password]@host[:port]/path, the path
 * relative to the login directory, //path absolute. ftps:// is explicit
 * TLS on the same port (AUTH TLS, required for control and data: curl's
 * --ssl-reqd), the certificate verified against the system's CAs or
 * --ca-file; --insecure-tls turns verification off, only when asked. The
 * password goes to curl as an option, never inside a URL, so no URL curl
 * could print holds it.
 *
 * Every operation is one curl transfer on the target's multi handle
 * (xfer.c), so the control connection is reused between them. Streams are
 * pushed and pulled through curl's pause mechanism: a writer hands curl
 * its 1 MiB buffer and runs the transfer until curl has taken it, a reader
 * runs it until curl has delivered half a buffer. Memory stays at one
 * buffer a stream.
 *
 * Listing uses curl's wildcard matching, which parses the server's LIST
 * (Unix or Windows style) for names, types and sizes; temporaries are
 * found only if the server lists dot files (vsftpd: force_dot_files).
 * Objects are written to a temporary name (curl creates missing
 * directories), checked with SIZE and renamed with RNFR/RNTO after making
 * sure the name is free. A connection that fails before a transfer moves
 * data is retried with backoff; an upload cut off midway fails, and its
 * temporary never becomes an object.
 *
 * Transfers of one target share its multi handle: no TRANSPORT_CONCURRENT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "xfer.h"

struct ftp_target {
	struct xfer_target	 xt;	/* base: ftp://host:port/dir/ */
	char			*root;	/* ftp://host:port/ for curl */
	char			*dir;	/* the directory, as in the URL */
	char			*absdir; /* the same for FTP commands */
	int			 tls;
};

/* A transfer of nothing in the login directory: commands, or the login. */
static struct xfer *
ftp_root_xfer_new(struct ftp_target *ft)
{
	struct xfer	*x = xfer_target_xfer(&ft->xt, NULL);

	curl_easy_setopt(x->easy, CURLOPT_URL, ft->root);
	curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
	return x;
}

static long
ftp_chunk_cb(const void *info, void *arg, int remains)
{
	const struct curl_fileinfo	*fi = info;
	struct xfer			*x = arg;

	(void)remains;
	if (x->temporaries) {
		if (transport_name_temporary(fi->filename))
			name_list_add(x->list, fi->filename, 0);
	} else if (fi->filetype == CURLFILETYPE_FILE &&
	    (fi->flags & CURLFINFOFLAG_KNOWN_SIZE) &&
	    transport_name_valid(fi->filename))
		name_list_add(x->list, fi->filename, (uint64_t)fi->size);
	return CURL_CHUNK_BGN_FUNC_SKIP;
}

/*
 * The directory for commands, absolute: curl reuses the control connection
 * and sends commands before changing directory, so a relative path would
 * be taken from wherever the last transfer left it.
 */
static void
ftp_entry_path(struct ftp_target *ft, struct xfer *x)
{
	const char	*entry = NULL;

	if (ft->absdir != NULL)
		return;
	if (ft->dir[0] == '/') {
		ft->absdir = xstrdup(ft->dir);
		return;
	}
	if (curl_easy_getinfo(x->easy, CURLINFO_FTP_ENTRY_PATH, &entry) !=
	    CURLE_OK || entry == NULL)
		return;
	if (strcmp(ft->dir, ".") == 0)
		ft->absdir = xstrdup(entry);
	else
		ft->absdir = xasprintf("%s%s%s", entry, strcmp(entry, "/") == 0 ?
		    "" : "/", ft->dir);
}

/*
 * After a transfer: a 550 (no such file, or no directory to change to;
 * FTP says the same for a missing and a forbidden one) means nothing is
 * there, not a failure. rc, or 0 with the cause dropped.
 */
static int
ftp_not_there(struct xfer *x, int rc, char **cause)
{
	if (rc != 0 && (x->result == CURLE_REMOTE_FILE_NOT_FOUND ||
	    x->result == CURLE_REMOTE_ACCESS_DENIED)) {
		free(*cause);
		*cause = NULL;
		rc = 0;
	}
	return rc;
}

struct ftp_list_arg {
	struct name_list	*list;
	int			 temporaries;
};

static int
ftp_list_step(struct transport *t, void *arg, char **cause)
{
	struct ftp_target	*ft = t->driver;
	struct ftp_list_arg	*la = arg;
	struct xfer		*x;
	char			*what;
	int			 rc;

	name_list_clear(la->list);	/* from a try that failed */
	if (ft->tls && ft->absdir == NULL) {
		/* Learn the login directory before the listing drops its
		 * connection (below), which takes curl's note of it along. */
		x = ftp_root_xfer_new(ft);
		what = xasprintf("unable to log in to %s", t->url.display);
		rc = xfer_run(x, NULL, cause, what);
		free(what);
		if (rc == 0)
			ftp_entry_path(ft, x);
		xfer_free(x);
		if (rc != 0)
			return rc;
	}
	x = xfer_target_xfer(&ft->xt, "*");
	x->list = la->list;
	x->temporaries = la->temporaries;
	curl_easy_setopt(x->easy, CURLOPT_WILDCARDMATCH, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CHUNK_BGN_FUNCTION, ftp_chunk_cb);
	curl_easy_setopt(x->easy, CURLOPT_CHUNK_DATA, x);
	/*
	 * Over TLS, the next data connection after a LIST on the same control
	 * connection stalls for a second (vsftpd 3.0.3 with libcurl 7.88; the
	 * curl command shows it too, NLST does not): the listing's control
	 * connection is closed after it, and the next transfer logs in anew
	 * (a few milliseconds on a LAN).
	 */
	if (ft->tls)
		curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
	what = xasprintf("unable to list %s", t->url.display);
	rc = xfer_run(x, NULL, cause, what);
	ftp_entry_path(ft, x);
	/*
	 * Nothing matched (an empty directory) or no directory to change to
	 * (none yet: put creates it) both mean no objects.
	 */
	rc = ftp_not_there(x, rc, cause);
	free(what);
	xfer_free(x);
	return rc;
}

static int
ftp_list(struct transport *t, struct name_list *l, char **cause)
{
	struct ftp_list_arg	la = { .list = l };

	return transport_retry(t, ftp_list_step, &la, cause);
}

static int
ftp_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct ftp_list_arg	la = { .list = l, .temporaries = 1 };

	return transport_retry(t, ftp_list_step, &la, cause);
}

/* SIZE of an object: na->found and na->size. */
static int
ftp_stat_step(struct transport *t, void *arg, char **cause)
{
	struct ftp_target	*ft = t->driver;
	struct transport_stat_arg *na = arg;
	struct xfer		*x;
	curl_off_t		 size = -1;
	char			*what;
	int			 rc;

	x = xfer_target_xfer(&ft->xt, na->name);
	curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
	what = xasprintf("unable to stat '%s' in %s", na->name,
	    t->url.display);
	rc = xfer_run(x, NULL, cause, what);
	na->found = 0;
	if (rc == 0) {
		curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		    &size);
		if (size < 0)
			rc = error_set(cause, "%s: the server gave no size",
			    what);
		na->found = 1;
		na->size = (uint64_t)size;
	} else {
		/*
		 * No such file, or no directory to change to: not there. A
		 * forbidden directory shows when put tries to create it.
		 */
		rc = ftp_not_there(x, rc, cause);
	}
	free(what);
	xfer_free(x);
	return rc;
}

static int
ftp_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	return transport_stat_retry(t, ftp_stat_step, name, size, cause);
}

/*
 * FTP commands on objects of the target directory (its absolute path).
 */
static int
ftp_command(struct transport *t, const char *what, const char *cmd1,
    const char *name1, const char *cmd2, const char *name2, char **cause)
{
	struct ftp_target	*ft = t->driver;
	struct xfer		*x;
	char			*line;
	int			 rc;

	if (ft->absdir == NULL)
		return error_set(cause, "%s: the server did not say its login "
		    "directory", what);
	x = ftp_root_xfer_new(ft);
	line = xasprintf("%s %s/%s", cmd1, ft->absdir, name1);
	x->quote = curl_slist_append(x->quote, line);
	free(line);
	if (cmd2 != NULL) {
		line = xasprintf("%s %s/%s", cmd2, ft->absdir, name2);
		x->quote = curl_slist_append(x->quote, line);
		free(line);
	}
	/* From the login directory: the commands name the directory. */
	curl_easy_setopt(x->easy, CURLOPT_QUOTE, x->quote);
	rc = xfer_run(x, NULL, cause, what);
	xfer_free(x);
	return rc;
}

static int
ftp_remove_step(struct transport *t, void *arg, char **cause)
{
	struct transport_stat_arg na = { .name = arg };
	char			*what;
	int			 rc;

	if ((rc = ftp_stat_step(t, &na, cause)) != 0 || !na.found)
		return rc;
	what = xasprintf("unable to remove '%s' from %s", na.name,
	    t->url.display);
	rc = ftp_command(t, what, "DELE", na.name, NULL, NULL, cause);
	free(what);
	return rc;
}

static int
ftp_remove(struct transport *t, const char *name, char **cause)
{
	return transport_retry(t, ftp_remove_step, (void *)name, cause);
}

/* The upload is complete: check its size, then rename it if free. */
static int
ftp_publish_step(struct transport *t, void *arg, char **cause)
{
	struct xfer_writer	*w = arg;
	struct transport_stat_arg tmp = { .name = w->tmpname };
	struct transport_stat_arg dst = { .name = w->name };
	char			*what;
	int			 rc;

	if ((rc = ftp_stat_step(t, &tmp, cause)) != 0 ||
	    (rc = ftp_stat_step(t, &dst, cause)) != 0)
		return rc;
	/* Done already (a reply lost), or a short upload, or taken. */
	if ((rc = transport_publish_check(t, w->name, w->up.total, tmp.found,
	    tmp.size, dst.found, dst.size, cause)) != 0)
		return rc == 1 ? 0 : -1;
	what = xasprintf("unable to publish '%s' in %s", w->name,
	    t->url.display);
	rc = ftp_command(t, what, "RNFR", w->tmpname, "RNTO", w->name, cause);
	free(what);
	return rc;
}

static int
ftp_writer_finish(struct sink *s, char **cause)
{
	struct xfer_writer	*w = (struct xfer_writer *)s;

	if (xfer_upload_finish(&w->up, cause) != 0)
		return -1;
	return xfer_writer_publish(w, ftp_publish_step, cause);
}

static const struct sink_ops ftp_writer_ops = {
	.name = "ftp-writer",
	.write = xfer_writer_write,
	.finish = ftp_writer_finish,
	.free = xfer_writer_free,
};

/* Start the upload and run it until the server is ready for data. */
static int
ftp_create_step(struct transport *t, void *arg, char **cause)
{
	struct ftp_target	*ft = t->driver;
	struct xfer_writer	*w = arg;
	char			*what;
	int			 rc;

	xfer_free(w->up.x);
	w->up.x = xfer_target_xfer(&ft->xt, w->tmpname);
	curl_easy_setopt(w->up.x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(w->up.x->easy, CURLOPT_FTP_CREATE_MISSING_DIRS,
	    (long)CURLFTP_CREATE_DIR_RETRY);
	what = xasprintf("unable to create '%s' in %s", w->name,
	    t->url.display);
	rc = xfer_run(w->up.x, xfer_taken, cause, what);
	free(what);
	return rc;
}

static struct sink *
ftp_put(struct transport *t, const char *name, char **cause)
{
	struct xfer_writer	*w;

	w = xfer_writer_new(t, &ftp_writer_ops, name, ftp_remove_step);
	if (transport_retry(t, ftp_create_step, w, cause) != 0) {
		w->published = 1;	/* nothing to remove */
		xfer_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

/* Start the download (REST for an offset) and run it to its first block. */
static int
ftp_open_step(struct transport *t, void *arg, char **cause)
{
	struct ftp_target	*ft = t->driver;
	struct xfer_reader	*r = arg;
	char			*what;
	int			 rc;

	xfer_free(r->x);
	r->x = xfer_target_xfer(&ft->xt, r->name);
	if (r->offset > 0)
		curl_easy_setopt(r->x->easy, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)r->offset);
	what = xasprintf("unable to open '%s' in %s", r->name,
	    t->url.display);
	rc = xfer_run(r->x, xfer_ready, cause, what);
	if (rc != 0 && r->x->result == CURLE_REMOTE_FILE_NOT_FOUND) {
		free(*cause);
		*cause = NULL;
		rc = error_set(cause, "object '%s' is missing from %s", r->name,
		    t->url.display);
	}
	free(what);
	return rc;
}

static struct transport_reader *
ftp_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	return xfer_get(t, name, offset, ftp_open_step, cause);
}

static int
ftp_open(struct transport *t, char **cause)
{
	struct ftp_target	*ft;
	const char		*path = t->url.path;
	char			*dir;
	size_t			 len;

	if (strpbrk(path, "\r\n") != NULL)
		return error_set(cause, "invalid URL '%s': a line break in the "
		    "path", t->url.display);
	ft = xcalloc(1, sizeof *ft);
	ft->tls = strcmp(t->url.scheme, "ftps") == 0;
	if (xfer_target_init(&ft->xt, t, "ftp", 21, ft->tls ? XFER_TLS : 0,
	    cause) != 0) {
		free(ft);
		return -1;
	}
	/* duplicity: /path is relative to the login directory, //path not. */
	if (path[0] == '/' && path[1] == '/')
		ft->dir = xstrdup(path + 1);
	else
		ft->dir = xstrdup(path[1] == '\0' ? "." : path + 1);
	len = strlen(ft->dir);
	while (len > 1 && ft->dir[len - 1] == '/')
		ft->dir[--len] = '\0';
	dir = xfer_escape_path(ft->dir);
	ft->root = xasprintf("%s/", ft->xt.origin);
	ft->xt.base = xasprintf("%s%s%s", ft->root, ft->dir[0] == '/' ? "%2F" :
	    "", dir);
	free(dir);
	t->driver = ft;
	/* Log in and list now. */
	return transport_open_list(t, cause);
}

static void
ftp_close(struct transport *t)
{
	struct ftp_target	*ft = t->driver;

	xfer_target_clear(&ft->xt);
	free(ft->root);
	free(ft->dir);
	free(ft->absdir);
	free(ft);
	t->driver = NULL;
}

/* ftps://: explicit TLS required (see the top). */
const struct transport_ops transport_ftp_ops = {
	.scheme = "ftp",
	.alias = "ftps",
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = ftp_open,
	.close = ftp_close,
	.list = ftp_list,
	.stat = ftp_stat,
	.put = ftp_put,
	.get = ftp_get,
	.remove = ftp_remove,
	.list_temporary = ftp_list_temporary,
	.remove_temporary = ftp_remove,
};
