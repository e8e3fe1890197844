/*
 * webdav.c: the webdav:// and webdavs:// drivers (libcurl, through xfer.c).
 *
 * URLs are duplicity's: webdav://user[:password]@host[:port]/path is
 * http://host:port/path/ on the wire, webdavs:// the same over https (the
 * certificate verified against the system's CAs or --ca-file;
 * --insecure-tls turns verification off, only when asked). The password
 * goes to curl as an option, never inside a URL. Basic and digest
 * authentication: the first request lets curl learn which one the server
 * asks for, later ones use that one alone (basic then costs no extra round
 * trip; over webdav:// it is in clear on the wire, as with ftp://).
 *
 * Every operation is one HTTP request on the target's multi handle, so
 * connections are kept alive between them:
 *   list, stat	PROPFIND, Depth 1 (the directory) or 0 (one object); the
 *		207 answer is parsed as it streams in (propfind.c)
 *   put	an empty PUT of the temporary name (so cleanup can see it while
 *		the upload runs: Apache keeps a PUT's body under a name of its
 *		own until it ends), then a chunked PUT streamed by pausing
 *		(xfer.c), its size checked, then MOVE to the name with
 *		"Overwrite: F" (the server refuses a taken name: 412)
 *   get	GET, with "Range: bytes=N-" from an offset
 *   remove	DELETE
 * Missing directories are made with MKCOL, from the top, before the first
 * upload. Refused, reset and timed-out connections and 408, 429, 500, 502,
 * 503 and 504 answers are retried with backoff; other answers (401, 403,
 * 507 Insufficient Storage, ...) fail at once, named in one line. An
 * upload cut off midway fails; its temporary never becomes an object.
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
#include "propfind.h"
#include "xfer.h"

#define DAV_PROPFIND_BODY \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" \
	"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/>" \
	"<D:getcontentlength/></D:prop></D:propfind>\n"

struct dav_target {
	struct xfer_target	 xt;		/* origin http[s]://host:port,
						   base: origin and path */
	char			*path;		/* /escaped/dir/ */
	long			 auth;		/* CURLAUTH_* to offer */
	int			 auth_known;
	int			 dir_exists;
};

/* A request's authentication and method (NULL: GET, or PUT for an
   upload). */
static struct xfer *
dav_xfer_setup(struct dav_target *dt, struct xfer *x, const char *method)
{
	curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, dt->auth);
	if (method != NULL)
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, method);
	return x;
}

/* A request of a URL. */
static struct xfer *
dav_xfer_url(struct dav_target *dt, const char *url, const char *method)
{
	return dav_xfer_setup(dt, xfer_new(dt->xt.multi, dt->xt.t, url,
	    dt->xt.flags), method);
}

/* A request for `name` in the directory (NULL: the directory itself). */
static struct xfer *
dav_xfer_new(struct dav_target *dt, const char *name, const char *method)
{
	return dav_xfer_setup(dt, xfer_target_xfer(&dt->xt, name), method);
}

static long
dav_status(struct xfer *x)
{
	long	code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* After a first answer: offer only the scheme the server asked for. */
static void
dav_learn_auth(struct dav_target *dt, struct xfer *x)
{
	long	avail = 0;

	if (dt->auth_known)
		return;
	curl_easy_getinfo(x->easy, CURLINFO_HTTPAUTH_AVAIL, &avail);
	if (avail & CURLAUTH_DIGEST)
		dt->auth = CURLAUTH_DIGEST;
	else if (avail & CURLAUTH_BASIC)
		dt->auth = CURLAUTH_BASIC;
	dt->auth_known = 1;
}

/*
 * "<what>: why (HTTP code)" for an answer that is not a success:
 * TRANSPORT_TRANSIENT for the server's temporary troubles, else -1.
 */
static int
dav_http_error(struct transport *t, long code, char **cause,
    const char *what)
{
	const char	*why;

	switch (code) {
	case 401:
		return error_set(cause, "%s: authentication failed for user "
		    "'%s' (HTTP 401)", what, t->url.user != NULL ?
		    t->url.user : "(none)");
	case 403:
		why = "permission denied";
		break;
	case 404:
		why = "no such file or directory";
		break;
	case 405:
		why = "method not allowed (is WebDAV enabled there?)";
		break;
	case 409:
		why = "a parent directory is missing";
		break;
	case 413:
		why = "too large for the server";
		break;
	case 507:
		why = "insufficient storage on the server";
		break;
	default:
		why = NULL;
		break;
	}
	if (why != NULL)
		error_set(cause, "%s: %s (HTTP %ld)", what, why, code);
	else
		error_set(cause, "%s: the server answered HTTP %ld", what, code);
	if (code == 408 || code == 429 || code == 500 || code == 502 ||
	    code == 503 || code == 504)
		return TRANSPORT_TRANSIENT;
	return -1;
}

/* Run a request without a body of interest to its end: its status, or
   TRANSPORT_TRANSIENT or -1 (cause set) if it failed. */
static long
dav_perform(struct dav_target *dt, struct xfer *x, char **cause,
    const char *what)
{
	int	rc;

	if ((rc = xfer_run(x, NULL, cause, what)) != 0)
		return rc;
	dav_learn_auth(dt, x);
	return dav_status(x);
}

/*
 * The end of a request's step: code as it stands if it is not an HTTP
 * status (0, or a failure with the cause set), else the status as
 * dav_http_error words it; x and what are freed.
 */
static int
dav_step_end(struct transport *t, struct xfer *x, long code, char *what,
    char **cause)
{
	if (code > 0)
		code = dav_http_error(t, code, cause, what);
	xfer_free(x);
	free(what);
	return (int)code;
}

struct dav_feed {
	struct xfer	*x;
	struct propfind	*pf;
};

static size_t
dav_propfind_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct dav_feed	*feed = arg;

	/* Only a Multi-Status is a listing; other pages are dropped. */
	if (dav_status(feed->x) != 207)
		return size * n;
	if (propfind_feed(feed->pf, buf, size * n) != 0)
		return 0;	/* ends the transfer */
	return size * n;
}

struct dav_list_arg {
	const char		*name;	/* NULL: the directory */
	struct name_list	*list;
	int			 which;
	int			 found;	/* 207: the directory or object */
};

static int
dav_propfind_step(struct transport *t, void *arg, char **cause)
{
	struct dav_target	*dt = t->driver;
	struct dav_list_arg	*la = arg;
	struct dav_feed		 feed;
	struct xfer		*x;
	char			*what, *why = NULL;
	long			 code;

	name_list_clear(la->list);	/* from a try that failed */
	la->found = 0;
	x = dav_xfer_new(dt, la->name, "PROPFIND");
	x->headers = curl_slist_append(x->headers, la->name != NULL ?
	    "Depth: 0" : "Depth: 1");
	x->headers = curl_slist_append(x->headers,
	    "Content-Type: application/xml; charset=utf-8");
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, DAV_PROPFIND_BODY);
	feed.x = x;
	feed.pf = propfind_new(la->list, la->which);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, dav_propfind_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, &feed);
	if (la->name != NULL)
		what = xasprintf("unable to stat '%s' in %s", la->name,
		    t->url.display);
	else
		what = xasprintf("unable to list %s", t->url.display);
	code = dav_perform(dt, x, cause, what);
	if (code < 0 && x->result == CURLE_WRITE_ERROR) {
		/* The parser's reason, not curl's. */
		free(*cause);
		*cause = NULL;
		propfind_finish(feed.pf, &why);
		code = error_set(cause, "%s: %s", what, why);
		free(why);
	} else if (code == 207) {
		if (propfind_finish(feed.pf, &why) != 0) {
			code = error_set(cause, "%s: %s", what, why);
			free(why);
		} else {
			la->found = 1;
			code = 0;
		}
	} else if (code == 404)
		code = 0;	/* no such directory (yet) or object */
	propfind_free(feed.pf);
	return dav_step_end(t, x, code, what, cause);
}

static int
dav_list(struct transport *t, struct name_list *l, char **cause)
{
	struct dav_list_arg	la = { .list = l, .which = PROPFIND_OBJECTS };
	struct dav_target	*dt = t->driver;

	if (transport_retry(t, dav_propfind_step, &la, cause) != 0)
		return -1;
	dt->dir_exists = la.found;
	return 0;
}

static int
dav_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct dav_list_arg	la = { .list = l,
				    .which = PROPFIND_TEMPORARIES };

	return transport_retry(t, dav_propfind_step, &la, cause);
}

/* Whether an object (or temporary) exists, and its size: one try. */
static int
dav_stat_step(struct transport *t, void *arg, char **cause)
{
	struct transport_stat_arg *sa = arg;
	struct name_list	 l = { NULL, 0 };
	struct dav_list_arg	 la = { .name = sa->name, .list = &l,
				    .which = PROPFIND_ANY };
	int			 rc;

	rc = dav_propfind_step(t, &la, cause);
	sa->found = rc == 0 && l.count == 1;
	if (sa->found)
		sa->size = l.entries[0].size;
	name_list_clear(&l);
	return rc;
}

static int
dav_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	return transport_stat_retry(t, dav_stat_step, name, size, cause);
}

static int
dav_remove_step(struct transport *t, void *arg, char **cause)
{
	const char	*name = arg;
	struct xfer	*x;
	char		*what;
	long		 code;

	x = dav_xfer_new(t->driver, name, "DELETE");
	what = xasprintf("unable to remove '%s' from %s", name,
	    t->url.display);
	code = dav_perform(t->driver, x, cause, what);
	if (code == 200 || code == 204 || code == 404)
		code = 0;
	return dav_step_end(t, x, code, what, cause);
}

static int
dav_remove(struct transport *t, const char *name, char **cause)
{
	return transport_retry(t, dav_remove_step, (void *)name, cause);
}

/* MKCOL each directory of the path from the top: "mkdir -p". */
static int
dav_mkdirs(struct transport *t, char **cause)
{
	struct dav_target	*dt = t->driver;
	struct xfer		*x;
	char			*url, *end, *what;
	long			 code = 0;

	what = xasprintf("unable to create the directory of %s",
	    t->url.display);
	for (end = strchr(dt->path + 1, '/'); end != NULL && code >= 0;
	    end = strchr(end + 1, '/')) {
		url = xasprintf("%s%.*s", dt->xt.origin,
		    (int)(end - dt->path + 1), dt->path);
		x = dav_xfer_url(dt, url, "MKCOL");
		free(url);
		code = dav_perform(dt, x, cause, what);
		/* 405: there already. */
		if (code > 0 && code != 201 && code != 405)
			code = dav_http_error(t, code, cause, what);
		xfer_free(x);
	}
	free(what);
	if (code < 0)
		return (int)code;
	dt->dir_exists = 1;
	return 0;
}

/* The upload is complete: check its size, then move it if free. */
static int
dav_publish_step(struct transport *t, void *arg, char **cause)
{
	struct xfer_writer	*w = arg;
	struct dav_target	*dt = t->driver;
	struct transport_stat_arg tmp = { .name = w->tmpname };
	struct transport_stat_arg dst = { .name = w->name };
	struct xfer		*x;
	char			*what, *header;
	long			 code;

	if ((code = dav_stat_step(t, &tmp, cause)) != 0 ||
	    (code = dav_stat_step(t, &dst, cause)) != 0)
		return (int)code;
	/* Done already (a reply lost), or a short upload, or taken. */
	if ((code = transport_publish_check(t, w->name, w->up.total,
	    tmp.found, tmp.size, dst.found, dst.size, cause)) != 0)
		return code == 1 ? 0 : -1;
	x = dav_xfer_new(dt, w->tmpname, "MOVE");
	header = xasprintf("Destination: %s%s", dt->xt.base, w->name);
	x->headers = curl_slist_append(x->headers, header);
	free(header);
	x->headers = curl_slist_append(x->headers, "Overwrite: F");
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	what = xasprintf("unable to publish '%s' in %s", w->name,
	    t->url.display);
	code = dav_perform(dt, x, cause, what);
	if (code == 201 || code == 204)
		code = 0;
	else if (code == 412)
		code = error_set(cause, "%s: an object of that name exists",
		    what);
	return dav_step_end(t, x, code, what, cause);
}

static int
dav_writer_finish(struct sink *s, char **cause)
{
	struct xfer_writer	*w = (struct xfer_writer *)s;
	long			 code;

	if (xfer_upload_finish(&w->up, cause) != 0)
		return -1;
	code = dav_status(w->up.x);
	if (code != 200 && code != 201 && code != 204) {
		dav_http_error(w->t, code, cause, w->up.what);
		return -1;
	}
	return xfer_writer_publish(w, dav_publish_step, cause);
}

static const struct sink_ops dav_writer_ops = {
	.name = "webdav-writer",
	.write = xfer_writer_write,
	.finish = dav_writer_finish,
	.free = xfer_writer_free,
};

/*
 * Make the directory if needed and an empty temporary, then start the
 * upload and run it until the server takes data (after its "100
 * Continue", or a refusal: no such directory, denied, storage full).
 */
static int
dav_create_step(struct transport *t, void *arg, char **cause)
{
	struct xfer_writer	*w = arg;
	struct dav_target	*dt = t->driver;
	struct xfer		*x;
	char			*what;
	long			 code;
	int			 rc;

	if (!dt->dir_exists && (rc = dav_mkdirs(t, cause)) != 0)
		return rc;
	what = xasprintf("unable to create '%s' in %s", w->name,
	    t->url.display);
	x = dav_xfer_new(dt, w->tmpname, NULL);
	curl_easy_setopt(x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(x->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
	x->eof = 1;
	code = dav_perform(dt, x, cause, what);
	xfer_free(x);
	if (code == 200 || code == 201 || code == 204) {
		xfer_free(w->up.x);
		w->up.x = dav_xfer_new(dt, w->tmpname, NULL);
		curl_easy_setopt(w->up.x->easy, CURLOPT_UPLOAD, 1L);
		code = xfer_run(w->up.x, xfer_taken, cause, what);
		if (code == 0 && w->up.x->done)
			code = dav_http_error(t, dav_status(w->up.x), cause,
			    what);
	} else if (code > 0)
		code = dav_http_error(t, code, cause, what);
	free(what);
	return (int)code;
}

static struct sink *
dav_put(struct transport *t, const char *name, char **cause)
{
	struct xfer_writer	*w;

	w = xfer_writer_new(t, &dav_writer_ops, name, dav_remove_step);
	if (transport_retry(t, dav_create_step, w, cause) != 0) {
		xfer_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

/* Start the download (a range from an offset) and run it to its first
   block, which tells its status. */
static int
dav_open_step(struct transport *t, void *arg, char **cause)
{
	struct xfer_reader	*r = arg;
	struct dav_target	*dt = t->driver;
	char			*what;
	long			 code;
	int			 rc;

	xfer_free(r->x);
	r->x = dav_xfer_new(dt, r->name, NULL);
	if (r->offset > 0)
		curl_easy_setopt(r->x->easy, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)r->offset);
	what = xasprintf("unable to open '%s' in %s", r->name,
	    t->url.display);
	rc = xfer_run(r->x, xfer_ready, cause, what);
	code = dav_status(r->x);
	if (rc == 0 && (code == 206 || (code == 200 && r->offset == 0)))
		rc = 0;
	else if (rc == 0 && code == 416) {
		/* The offset is the object's end: nothing to read. */
		r->at_end = 1;
	} else if (rc == 0 && code == 404)
		rc = error_set(cause, "object '%s' is missing from %s",
		    r->name, t->url.display);
	else if (rc == 0 && code == 200)
		rc = error_set(cause, "%s: the server ignored the range "
		    "request", what);
	else if (rc == 0)
		rc = dav_http_error(t, code, cause, what);
	free(what);
	return rc;
}

static struct transport_reader *
dav_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	return xfer_get(t, name, offset, dav_open_step, cause);
}

static int
dav_open(struct transport *t, char **cause)
{
	struct dav_target	*dt;
	char			*dir;
	int			 tls = strcmp(t->url.scheme, "webdavs") == 0;

	dt = xcalloc(1, sizeof *dt);
	if (xfer_target_init(&dt->xt, t, tls ? "https" : "http",
	    tls ? 443 : 80, XFER_HTTP | (tls ? XFER_TLS : 0), cause) != 0) {
		free(dt);
		return -1;
	}
	dt->auth = CURLAUTH_BASIC | CURLAUTH_DIGEST;
	dir = xfer_escape_path(t->url.path);
	dt->path = xasprintf("/%s", dir);
	free(dir);
	dt->xt.base = xasprintf("%s%s", dt->xt.origin, dt->path);
	t->driver = dt;
	/* Log in and list now. */
	return transport_open_list(t, cause);
}

static void
dav_close(struct transport *t)
{
	struct dav_target	*dt = t->driver;

	xfer_target_clear(&dt->xt);
	free(dt->path);
	free(dt);
	t->driver = NULL;
}

/* webdavs://: the same over https (see the top). */
const struct transport_ops transport_webdav_ops = {
	.scheme = "webdav",
	.alias = "webdavs",
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = dav_open,
	.close = dav_close,
	.list = dav_list,
	.stat = dav_stat,
	.put = dav_put,
	.get = dav_get,
	.remove = dav_remove,
	.list_temporary = dav_list_temporary,
	.remove_temporary = dav_remove,
};
