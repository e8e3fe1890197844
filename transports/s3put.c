/*
 * s3put.c: the s3 driver's uploads: a single PUT below one part, else a
 * multipart upload with parts in parallel; publishing without replacing;
 * the object lock's retention (see s3.c).
 *
 * S3 wants a body's length before the body (radosgw answers 411 to a
 * chunked PUT, AWS refuses one), so each part, and a single PUT's whole
 * object, is gathered before it is sent: in memory up to a part size of
 * S3_SPOOL_ABOVE, above that in an unlinked temporary file in $TMPDIR
 * (a "stage" either way), which libcurl reads as it sends. A large single
 * PUT (--s3-part-size above the object) thus holds no more memory than a
 * small one, and skips first-touching a fresh page per 4 KiB, which on a
 * virtual machine costs more than the write to the page cache.
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
#include "common/io.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "s3.intern.h"
#include "s3xml.h"

/* A part's bytes: in memory, or spooled to a file (fd not -1). */
struct s3_stage {
	uint8_t		*buf;
	int		 fd;
	size_t		 len;
};

struct s3_slot {
	struct s3_req	*req;		/* in flight, or NULL */
	struct s3_stage	 part;
	int		 number;	/* 1..; 0: free */
};

struct s3_writer {
	struct sink		 sink;
	struct transport	*t;
	char			*name;
	char			*upload;	/* the multipart upload's ID */
	char			*upload_q;	/* "uploadId=..." */
	struct s3_stage		 fill;		/* the part being filled */
	size_t			 since_pump;
	struct s3_slot		*slots;
	char			**etags;	/* by part number - 1 */
	int			 nparts;	/* parts started */
	uint64_t		 total;
	int			 tries;		/* of the publishing step */
	int			 published;
	char			*what;
};

#define S3_STAGE_EMPTY	((struct s3_stage){ .buf = NULL, .fd = -1, .len = 0 })

/* Make an empty stage ready for a part: 0, or -1 if no file can be made. */
static int
s3_stage_open(struct s3_writer *w, struct s3_stage *sg, char **cause)
{
	struct s3_target	*st = w->t->driver;
	char			*why = NULL;

	sg->len = 0;
	if (st->part_size <= S3_SPOOL_ABOVE) {
		if (sg->buf == NULL)
			sg->buf = xmalloc(st->part_size);
		return 0;
	}
	if (sg->fd != -1) {
		/* Reused: from the start again, the old bytes' blocks freed. */
		if (ftruncate(sg->fd, 0) == 0 && lseek(sg->fd, 0, SEEK_SET) ==
		    0)
			return 0;
		return error_set(cause, "%s: unable to empty its spool file: "
		    "%s", w->what, strerror(errno));
	}
	if ((sg->fd = io_spool_open("a spool file for its parts", &why)) ==
	    -1) {
		error_set(cause, "%s: %s", w->what, why);
		free(why);
		return -1;
	}
	return 0;
}

static int
s3_stage_append(struct s3_writer *w, struct s3_stage *sg, const void *p,
    size_t n, char **cause)
{
	if (sg->fd == -1)
		memcpy(sg->buf + sg->len, p, n);
	else if (io_write_all(sg->fd, p, n) != 0)
		return error_set(cause, "%s: unable to write its spool file "
		    "in $TMPDIR: %s", w->what, strerror(errno));
	sg->len += n;
	return 0;
}

/* The stage as a request's body (the stage kept until the request ends). */
static void
s3_stage_send(struct s3_req *r, struct s3_stage *sg)
{
	if (sg->fd == -1)
		s3_req_send(r, sg->buf, sg->len);
	else
		s3_req_send_fd(r, sg->fd, sg->len);
}

static void
s3_stage_clear(struct s3_stage *sg)
{
	free(sg->buf);
	if (sg->fd != -1)
		close(sg->fd);
	*sg = S3_STAGE_EMPTY;
}

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
	s3_stage_send(sl->req, &sl->part);
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
	struct s3_stage		 spare;
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
	/* Swap stages: the slot's old one is filled next. */
	spare = sl->part;
	sl->part = w->fill;
	sl->number = ++w->nparts;
	w->etags = xrealloc(w->etags, (size_t)w->nparts * sizeof *w->etags);
	w->etags[w->nparts - 1] = NULL;
	w->fill = spare;
	s3_part_start(w, sl);
	return s3_stage_open(w, &w->fill, cause);
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
		take = st->part_size - w->fill.len < n ? st->part_size -
		    w->fill.len : n;
		if (s3_stage_append(w, &w->fill, p, take, cause) != 0)
			return -1;
		p += take;
		n -= take;
		w->since_pump += take;
		if (w->fill.len == st->part_size && s3_part_send(w, cause) != 0)
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
	s3_stage_send(r, &w->fill);
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
		if (w->fill.len > 0 && s3_part_send(w, cause) != 0)
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
		s3_stage_clear(&w->slots[i].part);
	}
	if (!w->published)
		s3_abort(w);
	free(w->upload_q);
	for (i = 0; i < w->nparts; i++)
		free(w->etags[i]);
	free(w->etags);
	free(w->slots);
	s3_stage_clear(&w->fill);
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

struct sink *
s3_put(struct transport *t, const char *name, char **cause)
{
	struct s3_target	*st = t->driver;
	struct s3_writer	*w = xcalloc(1, sizeof *w);
	int			 i;

	w->sink.ops = &s3_writer_ops;
	w->t = t;
	w->name = xstrdup(name);
	w->what = s3_what(t, "write", name);
	w->slots = xcalloc((size_t)st->parallel, sizeof *w->slots);
	for (i = 0; i < st->parallel; i++)
		w->slots[i].part = S3_STAGE_EMPTY;
	w->fill = S3_STAGE_EMPTY;
	if (s3_stage_open(w, &w->fill, cause) != 0 ||
	    transport_retry(t, s3_create_step, w, cause) != 0) {
		s3_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}
