/*
 * s3req.c: the s3 driver's signed requests (libcurl's CURLOPT_AWS_SIGV4,
 * through xfer.c) and S3's error answers, worded once (see s3.c).
 */
#include <errno.h>
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
#include "s3xml.h"

char *
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
char *
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
struct s3_req *
s3_req_new(struct transport *t, const char *name, const char *query,
    const char *method, int collect)
{
	struct s3_target	*st = t->driver;
	struct s3_req		*r = xcalloc(1, sizeof *r);
	char			*url = s3_url(st, name, query);

	r->fd = -1;

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
void
s3_req_header(struct s3_req *r, const char *header)
{
	r->x->headers = curl_slist_append(r->x->headers, header);
	curl_easy_setopt(r->x->easy, CURLOPT_HTTPHEADER, r->x->headers);
}

/* A body to send, held by the caller until the request ends. */
void
s3_req_send(struct s3_req *r, const void *buf, size_t len)
{
	curl_easy_setopt(r->x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(r->x->easy, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)len);
	r->x->in = buf;
	r->x->inlen = len;
	r->x->eof = 1;
}

static size_t
s3_fd_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_req	*r = arg;
	size_t		 len = size * n;
	ssize_t		 got;

	if (len > r->fdlen - r->fdoff)
		len = r->fdlen - r->fdoff;
	if (len == 0)
		return 0;
	do
		got = pread(r->fd, buf, len, (off_t)r->fdoff);
	while (got == -1 && errno == EINTR);
	/* The file is shorter than what was spooled: not the same object. */
	if (got <= 0)
		return CURL_READFUNC_ABORT;
	r->fdoff += (size_t)got;
	return (size_t)got;
}

/* libcurl rewinds a body it must send again (a redirect, 417). */
static int
s3_fd_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct s3_req	*r = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->fdlen)
		return CURL_SEEKFUNC_FAIL;
	r->fdoff = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * A file's first len bytes as the body: read from the file as libcurl
 * sends (no copy of the whole in memory), its length known beforehand,
 * as S3 wants.
 */
void
s3_req_send_fd(struct s3_req *r, int fd, size_t len)
{
	curl_easy_setopt(r->x->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(r->x->easy, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)len);
	r->fd = fd;
	r->fdlen = len;
	r->fdoff = 0;
	curl_easy_setopt(r->x->easy, CURLOPT_READFUNCTION, s3_fd_read_cb);
	curl_easy_setopt(r->x->easy, CURLOPT_READDATA, r);
	curl_easy_setopt(r->x->easy, CURLOPT_SEEKFUNCTION, s3_fd_seek_cb);
	curl_easy_setopt(r->x->easy, CURLOPT_SEEKDATA, r);
}

void
s3_req_free(struct s3_req *r)
{
	if (r == NULL)
		return;
	xfer_free(r->x);
	free(r->body);
	free(r);
}

long
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
int
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
long
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
char *
s3_what(struct transport *t, const char *verb, const char *name)
{
	if (name == NULL)
		return xasprintf("unable to %s %s", verb, t->url.display);
	return xasprintf("unable to %s '%s' in %s", verb, name,
	    t->url.display);
}
