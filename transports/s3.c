/*
 * s3.c: the s3:// driver, S3 over libcurl (through xfer.c), tested against
 * Ceph's RADOS Gateway.
 *
 * s3://bucket/prefix names a bucket and a key prefix; the server is
 * --s3-endpoint (default https://s3.REGION.amazonaws.com), path-style
 * (endpoint/bucket/key) unless --s3-virtual-hosted (bucket.host/key).
 * Messages name the target as s3://HOST[:PORT]/bucket/prefix, so endpoint
 * and bucket are in every line, and that spelling is also the local cache's
 * key: two endpoints never share a cache. Requests are signed with AWS
 * Signature V4 by libcurl (CURLOPT_AWS_SIGV4); the x-amz-content-sha256
 * header is always sent (RGW refuses requests without it) with
 * UNSIGNED-PAYLOAD: bodies are tresor's own hashed, encrypted volumes,
 * checked when read back. Credentials: s3cred.c, never argv or messages.
 *
 *   put	CreateMultipartUpload at once (so an object being written is
 *		listed as a temporary, and a killed upload is found by
 *		cleanup). Bytes are gathered into parts of the part size; an
 *		object smaller than one part is a single PUT (If-None-Match:
 *		*, which RGW honours there) and its upload is aborted; larger
 *		ones upload their parts, up to --s3-parallel at once, each
 *		part retried from its buffer, then CompleteMultipartUpload.
 *		RGW 16.2 ignores If-None-Match on that request, so a HEAD
 *		checks the name is free first (a race with another writer of
 *		the same name is possible there: tresor's target lock rules
 *		it out). Memory: part size x (parallel + 1), for part sizes
 *		up to 64 MiB; larger parts are spooled to unlinked files in
 *		$TMPDIR instead (s3put.c). Failing or freed unfinished, the
 *		upload is aborted.
 *   get	GET, with "Range: bytes=N-" from an offset
 *   list	ListObjectsV2 with continuation tokens
 *   stat	HEAD
 *   remove	HEAD, then DELETE (of the version HEAD named, so a versioned
 *		bucket keeps nothing); an object under object lock until a
 *		later date is kept: 1, with the date in the cause
 *   temporaries  ListMultipartUploads under the prefix, each named
 *		".tmp.<name>.u<upload ID in hex>"; removing one aborts it
 *
 * With --s3-object-lock-days N, each published object gets a retention
 * (PutObjectRetention, mode COMPLIANCE or GOVERNANCE) until N days from
 * now: RGW drops object lock headers given with a multipart upload, so the
 * retention is set afterwards, for single PUTs too (one way for all). The
 * bucket must have been created with object lock enabled. Objects named
 * "*.lock" (the target's lock, removed at the end of each run) get none.
 *
 * Refused, reset and timed-out connections, 408, 429, 5xx and SlowDown
 * answers are retried with backoff; 403, NoSuchBucket,
 * InvalidAccessKeyId, SignatureDoesNotMatch and other answers fail at
 * once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "s3.intern.h"
#include "s3cred.h"
#include "s3xml.h"

/* ---- list ---- */

struct s3_list_page {
	struct s3_target	*st;
	struct name_list	*list;
	int			 temporaries;
	int			 truncated;
	char			*next;		/* continuation token */
	char			*next_upload;	/* upload-id-marker */
	char			*key;		/* of the entry being read */
	char			*upload;
	int			 bad;		/* an entry without a size */
};

/* An object key under the prefix naming an object: its name, or NULL. */
static const char *
s3_key_name(struct s3_target *st, const char *key)
{
	size_t	plen = strlen(st->prefix);

	if (strncmp(key, st->prefix, plen) != 0)
		return NULL;
	key += plen;
	if (strchr(key, '/') != NULL || !transport_name_valid(key))
		return NULL;
	return key;
}

/* An upload's temporary name: ".tmp.<name>.u<hex of the upload ID>". */
static char *
s3_tmp_name(const char *name, const char *upload)
{
	char	*out, *p;
	size_t	 i, len = strlen(upload);

	out = xmalloc(strlen(TRANSPORT_TMP_PREFIX) + strlen(name) +
	    strlen(S3_TMP_MARK) + 2 * len + 1);
	p = out + sprintf(out, "%s%s%s", TRANSPORT_TMP_PREFIX, name,
	    S3_TMP_MARK);
	for (i = 0; i < len; i++)
		p += sprintf(p, "%02x", (unsigned char)upload[i]);
	return out;
}

/* The name and upload ID back from a temporary name: 0, or -1. */
static int
s3_tmp_parse(const char *tmp, char **name, char **upload)
{
	const char	*start = tmp + strlen(TRANSPORT_TMP_PREFIX), *mark;
	size_t		 i, hexlen;
	unsigned	 byte;

	if ((mark = strrchr(start, '.')) == NULL || mark == start ||
	    mark[1] != 'u' || (hexlen = strlen(mark + 2)) == 0 ||
	    hexlen % 2 != 0)
		return -1;
	*upload = xmalloc(hexlen / 2 + 1);
	for (i = 0; i < hexlen / 2; i++) {
		if (sscanf(mark + 2 + 2 * i, "%2x", &byte) != 1) {
			free(*upload);
			return -1;
		}
		(*upload)[i] = (char)byte;
	}
	(*upload)[hexlen / 2] = '\0';
	*name = s3_strndup(start, (size_t)(mark - start));
	return 0;
}

static void
s3_list_leaf(void *arg, const char *parent, const char *el, const char *text)
{
	struct s3_list_page	*pg = arg;
	const char		*name;
	char			*end, *tmp;
	unsigned long long	 size;

	if (strcmp(el, "IsTruncated") == 0 && *parent != '\0' &&
	    strcmp(parent, "Contents") != 0 && strcmp(parent, "Upload") != 0)
		pg->truncated = strcmp(text, "true") == 0;
	else if (strcmp(el, "NextContinuationToken") == 0 ||
	    strcmp(el, "NextKeyMarker") == 0) {
		free(pg->next);
		pg->next = xstrdup(text);
	} else if (strcmp(el, "NextUploadIdMarker") == 0) {
		free(pg->next_upload);
		pg->next_upload = xstrdup(text);
	} else if (strcmp(el, "Key") == 0 && (strcmp(parent, "Contents") == 0 ||
	    strcmp(parent, "Upload") == 0)) {
		free(pg->key);
		pg->key = xstrdup(text);
	} else if (strcmp(el, "Size") == 0 && strcmp(parent, "Contents") == 0 &&
	    pg->key != NULL) {
		size = strtoull(text, &end, 10);
		if (*text == '\0' || *end != '\0')
			pg->bad = 1;
		else if ((name = s3_key_name(pg->st, pg->key)) != NULL)
			name_list_add(pg->list, name, (uint64_t)size);
		free(pg->key);
		pg->key = NULL;
	} else if (strcmp(el, "UploadId") == 0 && strcmp(parent, "Upload") ==
	    0) {
		free(pg->upload);
		pg->upload = xstrdup(text);
	}
	if (pg->temporaries && pg->key != NULL && pg->upload != NULL) {
		if ((name = s3_key_name(pg->st, pg->key)) != NULL) {
			tmp = s3_tmp_name(name, pg->upload);
			if (strlen(tmp) <= 200 + strlen(TRANSPORT_TMP_PREFIX))
				name_list_add(pg->list, tmp, 0);
			free(tmp);
		}
		free(pg->key);
		free(pg->upload);
		pg->key = pg->upload = NULL;
	}
}

/* The query of a listing's next page (sorted by parameter name). */
static char *
s3_list_query(struct s3_target *st, struct s3_list_page *pg)
{
	char	*prefix = s3_qesc(st->prefix), *next = NULL, *nextu = NULL;
	char	*q;

	if (pg->next != NULL)
		next = s3_qesc(pg->next);
	if (pg->next_upload != NULL)
		nextu = s3_qesc(pg->next_upload);
	if (pg->temporaries)
		q = xasprintf("%s%s%sprefix=%s%s%s&uploads=", next != NULL ?
		    "key-marker=" : "", next != NULL ? next : "", next != NULL ?
		    "&" : "", prefix, nextu != NULL ? "&upload-id-marker=" :
		    "", nextu != NULL ? nextu : "");
	else
		q = xasprintf("%s%s%slist-type=2&prefix=%s", next != NULL ?
		    "continuation-token=" : "", next != NULL ? next : "",
		    next != NULL ? "&" : "", prefix);
	free(prefix);
	free(next);
	free(nextu);
	return q;
}

struct s3_list_arg {
	struct name_list	*list;
	int			 temporaries;
};

/* One try at the whole listing, page by page. */
static int
s3_list_step(struct transport *t, void *arg, char **cause)
{
	struct s3_list_arg	*la = arg;
	struct s3_list_page	 pg;
	struct s3_req		*r = NULL;
	char			*q, *what, root[64];
	long			 code = 0;

	memset(&pg, 0, sizeof pg);
	pg.st = t->driver;
	pg.list = la->list;
	pg.temporaries = la->temporaries;
	name_list_clear(la->list);	/* from a try that failed */
	what = s3_what(t, la->temporaries ? "list the uploads of" : "list",
	    NULL);
	do {
		q = s3_list_query(pg.st, &pg);
		s3_req_free(r);
		r = s3_req_new(t, NULL, q, NULL, 1);
		free(q);
		pg.truncated = 0;
		if ((code = s3_perform(r, what, cause)) < 0)
			goto out;
		if (code != 200) {
			code = s3_http_error(r, code, what, cause);
			goto out;
		}
		if (s3xml_parse(r->body, r->bodylen, s3_list_leaf, &pg, root,
		    sizeof root) != 0 || pg.bad) {
			code = error_set(cause, "%s: the answer is not a "
			    "listing", what);
			goto out;
		}
		if (pg.truncated && pg.next == NULL) {
			code = error_set(cause, "%s: a truncated listing "
			    "without a continuation", what);
			goto out;
		}
	} while (pg.truncated);
	code = 0;
out:
	s3_req_free(r);
	free(pg.next);
	free(pg.next_upload);
	free(pg.key);
	free(pg.upload);
	free(what);
	return (int)code;
}

static int
s3_list(struct transport *t, struct name_list *l, char **cause)
{
	struct s3_list_arg	la = { .list = l, .temporaries = 0 };

	return transport_retry(t, s3_list_step, &la, cause);
}

static int
s3_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct s3_list_arg	la = { .list = l, .temporaries = 1 };

	return transport_retry(t, s3_list_step, &la, cause);
}

/* ---- stat, remove ---- */

struct s3_head {
	const char	*name;
	int		 found;
	uint64_t	 size;
	char		 retain[64];
	char		 version[256];
};

static int
s3_head_step(struct transport *t, void *arg, char **cause)
{
	struct s3_head	*h = arg;
	struct s3_req	*r = s3_req_new(t, h->name, NULL, "HEAD", 1);
	char		*what = s3_what(t, "stat", h->name);
	curl_off_t	 len = -1;
	long		 code;

	h->found = 0;
	if ((code = s3_perform(r, what, cause)) < 0)
		goto out;
	if (code == 200) {
		curl_easy_getinfo(r->x->easy,
		    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		if (len < 0) {
			code = error_set(cause, "%s: no Content-Length", what);
			goto out;
		}
		h->found = 1;
		h->size = (uint64_t)len;
		memcpy(h->retain, r->retain, sizeof h->retain);
		memcpy(h->version, r->version, sizeof h->version);
		code = 0;
	} else if (code == 404)
		code = 0;
	else
		code = s3_http_error(r, code, what, cause);
out:
	s3_req_free(r);
	free(what);
	return (int)code;
}

int
s3_stat_step(struct transport *t, void *arg, char **cause)
{
	struct transport_stat_arg	*sa = arg;
	struct s3_head			 h = { .name = sa->name };
	int				 rc;

	rc = s3_head_step(t, &h, cause);
	sa->found = h.found;
	sa->size = h.size;
	return rc;
}

static int
s3_stat(struct transport *t, const char *name, uint64_t *size, char **cause)
{
	return transport_stat_retry(t, s3_stat_step, name, size, cause);
}

/* An ISO 8601 date (as S3 writes it) as a time: 0, or -1. */
static int
s3_parse_date(const char *s, time_t *out)
{
	struct tm	tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
s3_delete_step(struct transport *t, void *arg, char **cause)
{
	struct s3_delete_arg	*da = arg;
	struct s3_req		*r = s3_req_new(t, da->name, da->query,
				    "DELETE", 1);
	char			*what = s3_what(t, da->verb, da->name);
	long			 code;

	if ((code = s3_perform(r, what, cause)) >= 0) {
		if (code == 200 || code == 204 || code == 404)
			code = 0;
		else
			code = s3_http_error(r, code, what, cause);
	}
	s3_req_free(r);
	free(what);
	return (int)code;
}

static int
s3_remove(struct transport *t, const char *name, char **cause)
{
	struct s3_head		 h = { .name = name };
	struct s3_delete_arg	 da = { .name = name, .verb = "remove" };
	char			*version = NULL, *esc;
	time_t			 until;
	int			 rc;

	if (transport_retry(t, s3_head_step, &h, cause) != 0)
		return -1;
	if (!h.found)
		return 0;
	if (h.retain[0] != '\0' && s3_parse_date(h.retain, &until) == 0 &&
	    until > time(NULL)) {
		error_set(cause, "'%s' in %s is under object lock until %s: "
		    "kept", name, t->url.display, h.retain);
		return 1;
	}
	/* A versioned bucket (object lock needs one): delete the version
	   itself, not hide it behind a delete marker. */
	if (h.version[0] != '\0' && strcmp(h.version, "null") != 0) {
		esc = s3_qesc(h.version);
		version = xasprintf("versionId=%s", esc);
		free(esc);
		da.query = version;
	}
	rc = transport_retry(t, s3_delete_step, &da, cause);
	free(version);
	return rc;
}

static int
s3_remove_temporary(struct transport *t, const char *tmp, char **cause)
{
	struct s3_delete_arg	 da = { .verb = "abort the upload of" };
	char			*name, *upload, *esc;
	int			 rc;

	if (s3_tmp_parse(tmp, &name, &upload) != 0)
		return error_set(cause, "'%s' is not an S3 upload's name", tmp);
	esc = s3_qesc(upload);
	free(upload);
	upload = xasprintf("uploadId=%s", esc);
	free(esc);
	da.name = name;
	da.query = upload;
	rc = transport_retry(t, s3_delete_step, &da, cause);
	free(name);
	free(upload);
	return rc;
}

/* ---- get ---- */

static int
s3_open_step(struct transport *t, void *arg, char **cause)
{
	struct xfer_reader	*r = arg;
	struct s3_req		*q;
	char			*what;
	long			 code;
	int			 rc;

	xfer_free(r->x);
	q = s3_req_new(t, r->name, NULL, NULL, 0);
	if (r->offset > 0)
		curl_easy_setopt(q->x->easy, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)r->offset);
	/* Headers go to a request freed below: the reader keeps x alone. */
	curl_easy_setopt(q->x->easy, CURLOPT_HEADERFUNCTION, NULL);
	curl_easy_setopt(q->x->easy, CURLOPT_HEADERDATA, NULL);
	r->x = q->x;
	q->x = NULL;
	what = s3_what(t, "open", r->name);
	rc = xfer_run(r->x, xfer_ready, cause, what);
	q->x = r->x;
	code = s3_status(q);
	if (rc != 0)
		;
	else if (code == 206 || (code == 200 && r->offset == 0))
		rc = 0;
	else if (code == 416)
		r->at_end = 1;	/* the offset is the object's end */
	else if (code == 404 && r->x->out != NULL && strstr((char *)r->x->out,
	    "NoSuchBucket") != NULL)
		rc = s3_http_error(q, code, what, cause);
	else if (code == 404)
		rc = error_set(cause, "object '%s' is missing from %s",
		    r->name, t->url.display);
	else if (code == 200)
		rc = error_set(cause, "%s: the server ignored the range "
		    "request", what);
	else {
		/* The error body, whole: it is short. */
		xfer_run(r->x, NULL, cause, what);
		free(*cause);
		*cause = NULL;
		rc = s3_http_error(q, code, what, cause);
	}
	q->x = NULL;
	s3_req_free(q);
	free(what);
	return rc;
}

static struct transport_reader *
s3_get(struct transport *t, const char *name, uint64_t offset, char **cause)
{
	return xfer_get(t, name, offset, s3_open_step, cause);
}

/* ---- open, close ---- */

static void
s3_close(struct transport *t)
{
	struct s3_target	*st = t->driver;

	if (st->multi != NULL)
		curl_multi_cleanup(st->multi);
	free(st->base);
	free(st->bucket);
	free(st->prefix);
	free(st->prefix_esc);
	free(st->sigv4);
	if (st->userpwd != NULL)
		explicit_bzero(st->userpwd, strlen(st->userpwd));
	free(st->userpwd);
	if (st->token != NULL)
		explicit_bzero(st->token, strlen(st->token));
	free(st->token);
	free(st);
	t->driver = NULL;
}

/* The endpoint's scheme and host[:port] (no path), checked: 0 or -1. */
static int
s3_endpoint(const char *endpoint, int *tls, char **hostport, char **cause)
{
	const char	*rest;
	size_t		 len;

	if (strncmp(endpoint, "https://", 8) == 0) {
		*tls = 1;
		rest = endpoint + 8;
	} else if (strncmp(endpoint, "http://", 7) == 0) {
		*tls = 0;
		rest = endpoint + 7;
	} else
		return error_set(cause, "--s3-endpoint '%s': not an http:// "
		    "or https:// URL", endpoint);
	len = strcspn(rest, "/");
	if (len == 0 || strchr(rest, '@') != NULL || (rest[len] == '/' &&
	    rest[len + 1] != '\0'))
		return error_set(cause, "--s3-endpoint '%s': give "
		    "scheme://host[:port] only", endpoint);
	*hostport = s3_strndup(rest, len);
	return 0;
}

static int
s3_open(struct transport *t, char **cause)
{
	const struct transport_options *o = &t->opts;
	struct s3_target	*st = xcalloc(1, sizeof *st);
	struct s3cred		 cred;
	const char		*region, *p;
	char			*endpoint = NULL, *hostport = NULL, *dir, *q;
	char			*display;
	int			 tls = 1, have_cred = 0;

	t->driver = st;
	region = o->s3_region != NULL ? o->s3_region : S3_DEFAULT_REGION;
	/* $FTP_PASSWORD (t->url.password when the URL has no user) is not
	   for S3: dropped, never sent. */
	if (t->url.password != NULL && t->url.user == NULL) {
		explicit_bzero(t->url.password, strlen(t->url.password));
		free(t->url.password);
		t->url.password = NULL;
	}
	if (t->url.user != NULL || t->url.password != NULL ||
	    t->url.port != 0) {
		error_set(cause, "invalid URL '%s': s3://bucket/prefix takes "
		    "no user, password or port (the keys come from "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a "
		    "credentials file; the server from --s3-endpoint)",
		    t->url.display);
		goto fail;
	}
	for (p = t->url.host; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.')) {
			error_set(cause, "invalid URL '%s': '%s' is not a "
			    "bucket name", t->url.display, t->url.host);
			goto fail;
		}
	}
	if (o->s3_endpoint != NULL)
		endpoint = xstrdup(o->s3_endpoint);
	else
		endpoint = xasprintf("https://s3.%s.amazonaws.com", region);
	if (s3_endpoint(endpoint, &tls, &hostport, cause) != 0)
		goto fail;
	if (xfer_global_init_once(cause) != 0)
		goto fail;
	if ((st->multi = curl_multi_init()) == NULL) {
		error_set(cause, "unable to start libcurl");
		goto fail;
	}
	if (s3cred_load(&cred, o->s3_credentials, cause) != 0)
		goto fail;
	have_cred = 1;
	st->userpwd = xasprintf("%s:%s", cred.access_key, cred.secret_key);
	if (cred.session_token != NULL)
		st->token = xasprintf("x-amz-security-token: %s",
		    cred.session_token);
	st->flags = XFER_HTTP | (tls ? XFER_TLS : 0);
	st->sigv4 = xasprintf("aws:amz:%s:s3", region);
	st->bucket = xstrdup(t->url.host);
	/* The prefix: the path's segments, each followed by '/'. */
	dir = xfer_escape_path(t->url.path);
	st->prefix_esc = dir;
	q = curl_easy_unescape(NULL, dir, 0, NULL);
	if (q == NULL)
		abort();
	st->prefix = xstrdup(q);
	curl_free(q);
	if (o->s3_virtual_hosted)
		st->base = xasprintf("%s://%s.%s/", tls ? "https" : "http",
		    st->bucket, hostport);
	else
		st->base = xasprintf("%s://%s/%s/", tls ? "https" : "http",
		    hostport, st->bucket);
	st->part_size = (size_t)(o->s3_part_mib > 0 ? o->s3_part_mib :
	    S3_DEFAULT_PART_MIB) * 1024 * 1024;
	st->parallel = o->s3_parallel > 0 ? o->s3_parallel :
	    S3_DEFAULT_PARALLEL;
	st->lock_days = o->s3_lock_days;
	st->lock_mode = o->s3_lock_mode != NULL ? o->s3_lock_mode :
	    "COMPLIANCE";
	if (strcmp(st->lock_mode, "COMPLIANCE") != 0 &&
	    strcmp(st->lock_mode, "GOVERNANCE") != 0) {
		error_set(cause, "--s3-object-lock-mode must be COMPLIANCE or "
		    "GOVERNANCE, not '%s'", st->lock_mode);
		goto fail;
	}
	/* Endpoint and bucket in every message (and the cache's key). */
	display = xasprintf("s3://%s/%s%s", hostport, st->bucket,
	    st->prefix[0] != '\0' ? "/" : "");
	free(t->url.display);
	t->url.display = xasprintf("%s%.*s", display,
	    (int)(st->prefix[0] != '\0' ? strlen(st->prefix) - 1 : 0),
	    st->prefix);
	free(display);
	s3cred_clear(&cred);
	free(endpoint);
	free(hostport);
	/* Keys, bucket and endpoint checked now, by a listing. */
	return transport_open_list(t, cause);
fail:
	if (have_cred)
		s3cred_clear(&cred);
	free(endpoint);
	free(hostport);
	s3_close(t);
	return -1;
}

const struct transport_ops transport_s3_ops = {
	.scheme = "s3",
	.alias = NULL,
	.features = 0,
	.open = s3_open,
	.close = s3_close,
	.list = s3_list,
	.stat = s3_stat,
	.put = s3_put,
	.get = s3_get,
	.remove = s3_remove,
	.list_temporary = s3_list_temporary,
	.remove_temporary = s3_remove_temporary,
};
