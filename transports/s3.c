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
 *		it out). Memory: part size x (parallel + 1). Failing or
 *		freed unfinished, the upload is aborted.
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
#include "s3cred.h"
#include "s3xml.h"
#include "xfer.h"

#define S3_DEFAULT_REGION	"us-east-1"
#define S3_DEFAULT_PART_MIB	8
#define S3_DEFAULT_PARALLEL	4
#define S3_MAX_PARTS		10000
#define S3_MAX_BODY		(16 * 1024 * 1024)
#define S3_PUMP_EVERY		(256 * 1024)
#define S3_TMP_MARK		".u"
#define S3_UNLOCKED_SUFFIX	".lock"

struct s3_target {
	CURLM		*multi;
	int		 flags;		/* XFER_HTTP [| XFER_TLS] */
	char		*base;		/* the bucket's URL, ending in '/' */
	char		*bucket;
	char		*prefix;	/* "" or "a/b/", as in keys */
	char		*prefix_esc;	/* the same for a URL's path */
	char		*sigv4;		/* "aws:amz:REGION:s3" */
	char		*userpwd;	/* "key:secret": a secret */
	char		*token;		/* the session token header, or NULL */
	size_t		 part_size;
	int		 parallel;
	int		 lock_days;
	const char	*lock_mode;
};

/* A request with its answer's body and the headers of interest. */
struct s3_req {
	struct xfer	*x;
	char		*body;
	size_t		 bodylen;
	int		 collect;	/* body goes to `body`, not x->out */
	char		 etag[128];
	char		 retain[64];	/* x-amz-object-lock-retain-until-date */
	char		 version[256];	/* x-amz-version-id */
};

static char *
s3_strndup(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1);

	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static size_t
s3_body_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = size * n;

	if (r->bodylen + len > S3_MAX_BODY)
		return 0;	/* ends the transfer: not an S3 answer */
	r->body = xrealloc(r->body, r->bodylen + len + 1);
	memcpy(r->body + r->bodylen, buf, len);
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
	return len;
}

/* Copy a header's value if it is `name`'s. */
static void
s3_header_value(const char *line, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	nlen = strlen(name), vlen;

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
		len--;
	vlen = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, vlen);
	out[vlen] = '\0';
}

static size_t
s3_header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = size * n;

	s3_header_value(buf, len, "ETag", r->etag, sizeof r->etag);
	s3_header_value(buf, len, "x-amz-object-lock-retain-until-date",
	    r->retain, sizeof r->retain);
	s3_header_value(buf, len, "x-amz-version-id", r->version,
	    sizeof r->version);
	return len;
}

/* The URL of a key (name NULL: the bucket) with a query (sorted, encoded,
   each "k=v": SigV4 signs it as it stands). */
static char *
s3_url(struct s3_target *st, const char *name, const char *query)
{
	return xasprintf("%s%s%s%s%s", st->base, name != NULL ?
	    st->prefix_esc : "", name != NULL ? name : "", query != NULL ?
	    "?" : "", query != NULL ? query : "");
}

/* A query value, %-escaped as SigV4 wants it (unreserved kept). */
static char *
s3_qesc(const char *s)
{
	char	*e = curl_easy_escape(NULL, s, 0), *out;

	if (e == NULL)
		abort();
	out = xstrdup(e);
	curl_free(e);
	return out;
}

/* A signed request of a key (NULL: the bucket); method NULL: GET. */
static struct s3_req *
s3_req_new(struct transport *t, const char *name, const char *query,
    const char *method, int collect)
{
	struct s3_target	*st = t->driver;
	struct s3_req		*r = xcalloc(1, sizeof *r);
	char			*url = s3_url(st, name, query);

	r->x = xfer_new(st->multi, t, url, st->flags);
	free(url);
	curl_easy_setopt(r->x->easy, CURLOPT_AWS_SIGV4, st->sigv4);
	curl_easy_setopt(r->x->easy, CURLOPT_USERPWD, st->userpwd);
	r->x->headers = curl_slist_append(r->x->headers,
	    "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	if (st->token != NULL)
		r->x->headers = curl_slist_append(r->x->headers, st->token);
	curl_easy_setopt(r->x->easy, CURLOPT_HTTPHEADER, r->x->headers);
	if (method != NULL && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(r->x->easy, CURLOPT_NOBODY, 1L);
	else if (method != NULL)
		curl_easy_setopt(r->x->easy, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(r->x->easy, CURLOPT_HEADERFUNCTION, s3_header_cb);
	curl_easy_setopt(r->x->easy, CURLOPT_HEADERDATA, r);
	r->collect = collect;
	if (collect) {
		curl_easy_setopt(r->x->easy, CURLOPT_WRITEFUNCTION,
		    s3_body_cb);
		curl_easy_setopt(r->x->easy, CURLOPT_WRITEDATA, r);
	}
	return r;
}

/* Add a header (before the request runs). */
static void
s3_req_header(struct s3_req *r, const char *header)
{
	r->x->headers = curl_slist_append(r->x->headers, header);
	curl_easy_setopt(r->x->easy, CURLOPT_HTTPHEADER, r->x->headers);
}

/* A body to send, held by the caller until the request ends. */
static void
s3_req_send(struct s3_req *r, const void *buf, size_t len)
{
	curl_easy_setopt(r->x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(r->x->easy, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)len);
	r->x->in = buf;
	r->x->inlen = len;
	r->x->eof = 1;
}

static void
s3_req_free(struct s3_req *r)
{
	if (r == NULL)
		return;
	xfer_free(r->x);
	free(r->body);
	free(r);
}

static long
s3_status(struct s3_req *r)
{
	long	code = 0;

	curl_easy_getinfo(r->x->easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/*
 * "<what>: <S3 code or reason> (HTTP n)" for an answer that is not a
 * success: TRANSPORT_TRANSIENT for the server's temporary troubles
 * (5xx, 408, 429, SlowDown), else -1.
 */
static int
s3_http_error(struct s3_req *r, long code, const char *what, char **cause)
{
	const char	*body = r->collect ? r->body : (const char *)r->x->out;
	size_t		 len = r->collect ? r->bodylen : r->x->outlen;
	char		*s3code = s3xml_error_code(body, len);
	const char	*why = NULL;

	if (s3code == NULL) {
		switch (code) {
		case 400:
			why = "bad request";
			break;
		case 403:
			why = "access denied (check the keys and the bucket's "
			    "policy)";
			break;
		case 404:
			why = "not found";
			break;
		case 503:
			why = "service unavailable";
			break;
		}
	} else if (strcmp(s3code, "NoSuchBucket") == 0)
		why = "no such bucket";
	else if (strcmp(s3code, "InvalidAccessKeyId") == 0)
		why = "the access key is not known there";
	else if (strcmp(s3code, "SignatureDoesNotMatch") == 0)
		why = "wrong secret key (the signature does not match)";
	else if (strcmp(s3code, "AccessDenied") == 0)
		why = "access denied";
	if (why != NULL && s3code != NULL)
		error_set(cause, "%s: %s (%s, HTTP %ld)", what, why, s3code,
		    code);
	else if (why != NULL)
		error_set(cause, "%s: %s (HTTP %ld)", what, why, code);
	else if (s3code != NULL)
		error_set(cause, "%s: the server answered %s (HTTP %ld)", what,
		    s3code, code);
	else
		error_set(cause, "%s: the server answered HTTP %ld", what,
		    code);
	if (code >= 500 || code == 408 || code == 429 || (s3code != NULL &&
	    strcmp(s3code, "SlowDown") == 0)) {
		free(s3code);
		return TRANSPORT_TRANSIENT;
	}
	free(s3code);
	return -1;
}

/* Run a request to its end: its HTTP status, or TRANSPORT_TRANSIENT or
   -1 (cause set) if the connection failed. */
static long
s3_perform(struct s3_req *r, const char *what, char **cause)
{
	int	rc;

	if ((rc = xfer_run(r->x, NULL, cause, what)) != 0)
		return rc;
	if (r->collect && r->x->result == CURLE_WRITE_ERROR)
		return error_set(cause, "%s: the answer is too long", what);
	return s3_status(r);
}

/* "unable to <verb> 'name' in <display>", allocated. */
static char *
s3_what(struct transport *t, const char *verb, const char *name)
{
	if (name == NULL)
		return xasprintf("unable to %s %s", verb, t->url.display);
	return xasprintf("unable to %s '%s' in %s", verb, name,
	    t->url.display);
}

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

static int
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

struct s3_delete_arg {
	const char	*name;
	const char	*query;		/* "uploadId=..." or "versionId=..." */
	const char	*verb;
};

static int
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

/* ---- put ---- */

struct s3_slot {
	struct s3_req	*req;		/* in flight, or NULL */
	uint8_t		*buf;		/* the part's bytes */
	size_t		 len;
	int		 number;	/* 1..; 0: free */
};

struct s3_writer {
	struct sink		 sink;
	struct transport	*t;
	char			*name;
	char			*upload;	/* the multipart upload's ID */
	char			*upload_q;	/* "uploadId=..." */
	uint8_t			*buf;		/* the part being filled */
	size_t			 len;
	size_t			 since_pump;
	struct s3_slot		*slots;
	char			**etags;	/* by part number - 1 */
	int			 nparts;	/* parts started */
	uint64_t		 total;
	int			 tries;		/* of the publishing step */
	int			 published;
	char			*what;
};

static char *
s3_part_query(struct s3_writer *w, int number)
{
	return xasprintf("partNumber=%d&%s", number, w->upload_q);
}

/* Start slot's part on the multi handle (it runs while others do). */
static void
s3_part_start(struct s3_writer *w, struct s3_slot *sl)
{
	char	*q = s3_part_query(w, sl->number);

	sl->req = s3_req_new(w->t, w->name, q, NULL, 1);
	free(q);
	s3_req_send(sl->req, sl->buf, sl->len);
	xfer_start(sl->req->x);
}

/* The writer a part step works for (transport_retry passes one arg). */
struct s3_part_arg {
	struct s3_writer	*w;
	struct s3_slot		*sl;
};

/*
 * A step for transport_retry: run the slot's part to its end (starting it
 * again after a failed try) and keep its ETag.
 */
static int
s3_part_wait_step(struct transport *t, void *arg, char **cause)
{
	struct s3_part_arg	*pa = arg;
	struct s3_writer	*w = pa->w;
	struct s3_slot		*sl = pa->sl;
	long			 code;

	(void)t;
	if (sl->req == NULL)
		s3_part_start(w, sl);
	code = s3_perform(sl->req, w->what, cause);
	if (code == 200 && sl->req->etag[0] != '\0') {
		free(w->etags[sl->number - 1]);
		w->etags[sl->number - 1] = xstrdup(sl->req->etag);
		code = 0;
	} else if (code == 200)
		code = error_set(cause, "%s: part %d has no ETag", w->what,
		    sl->number);
	else if (code > 0)
		code = s3_http_error(sl->req, code, w->what, cause);
	s3_req_free(sl->req);
	sl->req = NULL;
	return (int)code;
}

/* Wait for a slot's part to be stored: 0 (the slot free), or -1. */
static int
s3_part_wait(struct s3_writer *w, struct s3_slot *sl, char **cause)
{
	struct s3_part_arg	pa = { .w = w, .sl = sl };

	if (sl->number == 0)
		return 0;
	if (transport_retry(w->t, s3_part_wait_step, &pa, cause) != 0)
		return -1;
	sl->number = 0;
	return 0;
}

/* Hand the full buffer to a free slot (waiting for the oldest if none). */
static int
s3_part_send(struct s3_writer *w, char **cause)
{
	struct s3_target	*st = w->t->driver;
	struct s3_slot		*sl = NULL, *oldest = NULL;
	uint8_t			*spare;
	int			 i;

	if (w->nparts == S3_MAX_PARTS)
		return error_set(cause, "%s: more than %d parts: raise "
		    "--s3-part-size", w->what, S3_MAX_PARTS);
	for (i = 0; i < st->parallel; i++) {
		if (w->slots[i].number == 0) {
			sl = &w->slots[i];
			break;
		}
		if (oldest == NULL || w->slots[i].number < oldest->number)
			oldest = &w->slots[i];
	}
	if (sl == NULL) {
		if (s3_part_wait(w, oldest, cause) != 0)
			return -1;
		sl = oldest;
	}
	/* Swap buffers: the slot's old one is filled next. */
	spare = sl->buf;
	sl->buf = w->buf;
	sl->len = w->len;
	sl->number = ++w->nparts;
	w->etags = xrealloc(w->etags, (size_t)w->nparts * sizeof *w->etags);
	w->etags[w->nparts - 1] = NULL;
	w->buf = spare != NULL ? spare : xmalloc(st->part_size);
	w->len = 0;
	s3_part_start(w, sl);
	return 0;
}

static int
s3_writer_write(struct sink *s, const void *data, size_t n, char **cause)
{
	struct s3_writer	*w = (struct s3_writer *)s;
	struct s3_target	*st = w->t->driver;
	const uint8_t		*p = data;
	size_t			 take;

	w->total += n;
	while (n > 0) {
		take = st->part_size - w->len < n ? st->part_size - w->len : n;
		memcpy(w->buf + w->len, p, take);
		w->len += take;
		p += take;
		n -= take;
		w->since_pump += take;
		if (w->len == st->part_size && s3_part_send(w, cause) != 0)
			return -1;
	}
	/* Let the parts in flight move on while the next one fills. */
	if (w->nparts > 0 && w->since_pump >= S3_PUMP_EVERY) {
		xfer_pump(st->multi);
		w->since_pump = 0;
	}
	return 0;
}

/* One try at a single PUT of the whole (small) object, not replacing. */
static int
s3_single_step(struct transport *t, void *arg, char **cause)
{
	struct s3_writer	*w = arg;
	struct s3_req		*r = s3_req_new(t, w->name, NULL, NULL, 1);
	struct transport_stat_arg sa = { .name = w->name };
	long			 code;

	w->tries++;
	s3_req_header(r, "If-None-Match: *");
	s3_req_send(r, w->buf, w->len);
	if ((code = s3_perform(r, w->what, cause)) < 0)
		goto out;
	if (code == 200)
		code = 0;
	else if (code == 412 && w->tries > 1) {
		/* Our own earlier try, its answer lost? */
		if ((code = s3_stat_step(t, &sa, cause)) == 0 &&
		    (!sa.found || sa.size != w->total))
			code = error_set(cause, "%s: an object of that name "
			    "exists", w->what);
	} else if (code == 412)
		code = error_set(cause, "%s: an object of that name exists",
		    w->what);
	else
		code = s3_http_error(r, code, w->what, cause);
out:
	s3_req_free(r);
	return (int)code;
}

/* The CompleteMultipartUpload body. */
static char *
s3_complete_body(struct s3_writer *w)
{
	char	*body = xstrdup("<CompleteMultipartUpload>"), *next;
	int	 i;

	for (i = 0; i < w->nparts; i++) {
		next = xasprintf("%s<Part><PartNumber>%d</PartNumber>"
		    "<ETag>%s</ETag></Part>", body, i + 1, w->etags[i]);
		free(body);
		body = next;
	}
	next = xasprintf("%s</CompleteMultipartUpload>", body);
	free(body);
	return next;
}

/*
 * One try at publishing the parts: the name must be free (checked by HEAD:
 * RGW ignores If-None-Match here; it is sent for servers that honour it),
 * then CompleteMultipartUpload. A later try finding the object of our
 * size and the upload gone takes it as its own earlier try's.
 */
static int
s3_complete_step(struct transport *t, void *arg, char **cause)
{
	struct s3_writer	*w = arg;
	struct transport_stat_arg sa = { .name = w->name };
	struct s3_req		*r = NULL;
	char			*body = NULL, *s3code = NULL, root[64];
	long			 code;

	w->tries++;
	if ((code = s3_stat_step(t, &sa, cause)) != 0)
		goto out;
	if (sa.found) {
		if (w->tries > 1 && sa.size == w->total)
			code = 0;
		else
			code = error_set(cause, "%s: an object of that name "
			    "exists", w->what);
		goto out;
	}
	body = s3_complete_body(w);
	r = s3_req_new(t, w->name, w->upload_q, "POST", 1);
	s3_req_header(r, "If-None-Match: *");
	s3_req_header(r, "Content-Type: application/xml");
	curl_easy_setopt(r->x->easy, CURLOPT_POSTFIELDS, body);
	if ((code = s3_perform(r, w->what, cause)) < 0)
		goto out;
	if (code == 412) {
		code = error_set(cause, "%s: an object of that name exists",
		    w->what);
		goto out;
	}
	if (code != 200) {
		code = s3_http_error(r, code, w->what, cause);
		goto out;
	}
	/* A 200 may still carry an error, sent once the work was done. */
	if ((s3code = s3xml_error_code(r->body, r->bodylen)) != NULL)
		code = s3_http_error(r, 500, w->what, cause);
	else if (s3xml_parse(r->body, r->bodylen, NULL, NULL, root,
	    sizeof root) == 0 && strcmp(root,
	    "CompleteMultipartUploadResult") != 0)
		code = error_set(cause, "%s: unexpected answer <%s>", w->what,
		    root);
	else
		code = 0;
out:
	free(s3code);
	free(body);
	s3_req_free(r);
	return (int)code;
}

/* One try at setting the object's retention (object lock). */
static int
s3_retention_step(struct transport *t, void *arg, char **cause)
{
	struct s3_writer	*w = arg;
	struct s3_target	*st = t->driver;
	struct s3_req		*r;
	char			*body, date[32], *what;
	time_t			 until = time(NULL) + (time_t)st->lock_days *
				    86400;
	struct tm		 tm;
	long			 code;

	gmtime_r(&until, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = xasprintf("<Retention xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Mode>%s</Mode><RetainUntilDate>%s"
	    "</RetainUntilDate></Retention>", st->lock_mode, date);
	what = s3_what(t, "set the retention of", w->name);
	r = s3_req_new(t, w->name, "retention=", NULL, 1);
	s3_req_send(r, body, strlen(body));
	if ((code = s3_perform(r, what, cause)) >= 0) {
		if (code == 200 || code == 204)
			code = 0;
		else
			code = s3_http_error(r, code, what, cause);
	}
	s3_req_free(r);
	free(body);
	free(what);
	return (int)code;
}

/*
 * Names that get no retention: the target's lock (repo/lock.h's
 * "tresor.lock"), which each run removes at its end.
 */
static int
s3_never_locked(const char *name)
{
	size_t	len = strlen(name);

	return len >= strlen(S3_UNLOCKED_SUFFIX) && strcmp(name + len -
	    strlen(S3_UNLOCKED_SUFFIX), S3_UNLOCKED_SUFFIX) == 0;
}

/* Abort the multipart upload: one try (cleanup removes what it leaves). */
static void
s3_abort(struct s3_writer *w)
{
	struct s3_delete_arg	 da = { .name = w->name, .query = w->upload_q,
				    .verb = "abort the upload of" };
	char			*cause = NULL;

	if (w->upload_q == NULL)
		return;
	s3_delete_step(w->t, &da, &cause);
	free(cause);
	free(w->upload_q);
	w->upload_q = NULL;
}

static int
s3_writer_finish(struct sink *s, char **cause)
{
	struct s3_writer	*w = (struct s3_writer *)s;
	struct s3_target	*st = w->t->driver;
	int			 i;

	if (w->nparts == 0) {
		if (transport_retry(w->t, s3_single_step, w, cause) != 0)
			return -1;
		w->published = 1;
		s3_abort(w);
	} else {
		if (w->len > 0 && s3_part_send(w, cause) != 0)
			return -1;
		for (i = 0; i < st->parallel; i++)
			if (s3_part_wait(w, &w->slots[i], cause) != 0)
				return -1;
		w->tries = 0;
		if (transport_retry(w->t, s3_complete_step, w, cause) != 0)
			return -1;
		w->published = 1;
		free(w->upload_q);
		w->upload_q = NULL;
	}
	if (st->lock_days > 0 && !s3_never_locked(w->name) &&
	    transport_retry(w->t, s3_retention_step, w, cause) != 0)
		return -1;
	return 0;
}

static void
s3_writer_free(struct sink *s)
{
	struct s3_writer	*w = (struct s3_writer *)s;
	struct s3_target	*st = w->t->driver;
	int			 i;

	for (i = 0; i < st->parallel; i++) {
		s3_req_free(w->slots[i].req);
		free(w->slots[i].buf);
	}
	if (!w->published)
		s3_abort(w);
	free(w->upload_q);
	for (i = 0; i < w->nparts; i++)
		free(w->etags[i]);
	free(w->etags);
	free(w->slots);
	free(w->buf);
	free(w->upload);
	free(w->name);
	free(w->what);
	free(w);
}

static const struct sink_ops s3_writer_ops = {
	.name = "s3-writer",
	.write = s3_writer_write,
	.finish = s3_writer_finish,
	.free = s3_writer_free,
};

static void
s3_upload_leaf(void *arg, const char *parent, const char *el,
    const char *text)
{
	char	**upload = arg;

	(void)parent;
	if (strcmp(el, "UploadId") == 0 && *upload == NULL)
		*upload = xstrdup(text);
}

/* One try at CreateMultipartUpload. */
static int
s3_create_step(struct transport *t, void *arg, char **cause)
{
	struct s3_writer	*w = arg;
	struct s3_req		*r = s3_req_new(t, w->name, "uploads=", "POST",
				    1);
	char			*esc;
	long			 code;

	curl_easy_setopt(r->x->easy, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(r->x->easy, CURLOPT_POSTFIELDS, "");
	if ((code = s3_perform(r, w->what, cause)) < 0)
		goto out;
	if (code != 200) {
		code = s3_http_error(r, code, w->what, cause);
		goto out;
	}
	free(w->upload);
	w->upload = NULL;
	if (s3xml_parse(r->body, r->bodylen, s3_upload_leaf, &w->upload,
	    NULL, 0) != 0 || w->upload == NULL || *w->upload == '\0') {
		code = error_set(cause, "%s: no upload ID in the answer",
		    w->what);
		goto out;
	}
	esc = s3_qesc(w->upload);
	w->upload_q = xasprintf("uploadId=%s", esc);
	free(esc);
	code = 0;
out:
	s3_req_free(r);
	return (int)code;
}

static struct sink *
s3_put(struct transport *t, const char *name, char **cause)
{
	struct s3_target	*st = t->driver;
	struct s3_writer	*w = xcalloc(1, sizeof *w);

	w->sink.ops = &s3_writer_ops;
	w->t = t;
	w->name = xstrdup(name);
	w->what = s3_what(t, "write", name);
	w->slots = xcalloc((size_t)st->parallel, sizeof *w->slots);
	w->buf = xmalloc(st->part_size);
	if (transport_retry(t, s3_create_step, w, cause) != 0) {
		s3_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
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
