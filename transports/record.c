/*
 * record.c: the recording driver, for the crash and fault tests only.
 *
 * When a TRESOR_TEST_* variable of common/storageop.h is set,
 * transport_open opens the URL's own driver inside this one. Each call
 * that changes the target is numbered, recorded, and may be failed or
 * followed by SIGKILL (storageop.h): put (the temporary object is created),
 * publish (the object appears under its name), delete, delete-tmp. Reads
 * are recorded without a number (get, stat, stat-missing, and "open
 * readback=0|1": whether the engine reads objects back): the write-order
 * check (tests/crash/write-order.awk) needs them to see read-backs.
 *
 * An injected fault fails the call with the message the driver gives for
 * that failure ("unable to publish 'x' in URL: No space left on device"),
 * and does not reach the driver, so nothing is half-done beyond what a real
 * failure at that point leaves. A short write at a put lets the object be
 * created and fails its first write; at a delete it is an I/O error.
 *
 * The inner driver gets its own struct transport (a shallow copy of the
 * outer one, taken before it opens), so the pointers it keeps to its
 * transport stay consistent; the strings of the URL belong to the outer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/storageop.h"
#include "common/xmalloc.h"
#include "transport.intern.h"

struct record_transport {
	struct transport_ops	 ops;	/* the inner's, calls replaced */
	struct transport	 inner;
};

struct record_sink {
	struct sink		 sink;
	struct sink		*inner;
	struct transport	*t;	/* the outer, for messages */
	char			*name;
	uint64_t		 bytes;
	int			 short_write;	/* fail the first write */
};

/* Fault text as drivers word it: the system's reason, or a short write. */
static int
record_fail(char **cause, int fault, const char *verb, const char *name,
    const char *prep, const struct transport *t, uint64_t bytes)
{
	if (fault == STORAGEOP_SHORT)
		return error_set(cause, "unable to write '%s' to %s: short "
		    "write (%llu bytes stored, more expected)", name,
		    t->url.display, (unsigned long long)bytes);
	return error_set(cause, "unable to %s '%s' %s %s: %s", verb, name,
	    prep, t->url.display, strerror(fault));
}

static int
record_sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct record_sink	*rs = (struct record_sink *)s;

	if (rs->short_write && len > 0) {
		/* Part of it reaches the driver, as in a real short write. */
		if (sink_write(rs->inner, buf, len / 2, cause) != 0)
			return -1;
		rs->bytes += len / 2;
		return record_fail(cause, STORAGEOP_SHORT, "write", rs->name,
		    "to", rs->t, rs->bytes);
	}
	if (sink_write(rs->inner, buf, len, cause) != 0)
		return -1;
	rs->bytes += len;
	return 0;
}

static int
record_sink_finish(struct sink *s, char **cause)
{
	struct record_sink	*rs = (struct record_sink *)s;
	unsigned long		 seq;
	int			 fault;

	if ((fault = storageop_begin("publish", rs->name, &seq)) != 0)
		return record_fail(cause, fault, "publish", rs->name, "in",
		    rs->t, rs->bytes);
	if (sink_finish(rs->inner, cause) != 0)
		return -1;
	storageop_done(seq);
	return 0;
}

static void
record_sink_free(struct sink *s)
{
	struct record_sink	*rs = (struct record_sink *)s;

	sink_free(rs->inner);
	free(rs->name);
	free(rs);
}

static const struct sink_ops record_sink_ops = {
	.name = "record-writer",
	.write = record_sink_write,
	.finish = record_sink_finish,
	.free = record_sink_free,
};

static void
record_close(struct transport *t)
{
	struct record_transport	*r = t->driver;

	if (r->inner.driver != NULL)
		r->inner.ops->close(&r->inner);
	free(r);
	t->driver = NULL;
}

static int
record_list(struct transport *t, struct name_list *l, char **cause)
{
	struct record_transport	*r = t->driver;

	return r->inner.ops->list(&r->inner, l, cause);
}

static int
record_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	struct record_transport	*r = t->driver;
	int			 rc;

	rc = r->inner.ops->stat(&r->inner, name, size, cause);
	storageop_note(rc == 0 ? "stat" : rc == 1 ? "stat-missing" :
	    "stat-failed", name);
	return rc;
}

static struct sink *
record_put(struct transport *t, const char *name, char **cause)
{
	struct record_transport	*r = t->driver;
	struct record_sink	*rs;
	struct sink		*inner;
	unsigned long		 seq;
	int			 fault;

	fault = storageop_begin("put", name, &seq);
	if (fault != 0 && fault != STORAGEOP_SHORT) {
		record_fail(cause, fault, "create", name, "in", t, 0);
		return NULL;
	}
	if ((inner = r->inner.ops->put(&r->inner, name, cause)) == NULL)
		return NULL;
	rs = xcalloc(1, sizeof *rs);
	rs->sink.ops = &record_sink_ops;
	rs->inner = inner;
	rs->t = t;
	rs->name = xstrdup(name);
	rs->short_write = fault == STORAGEOP_SHORT;
	storageop_done(seq);
	return &rs->sink;
}

static struct transport_reader *
record_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	struct record_transport	*r = t->driver;
	struct transport_reader	*reader;

	reader = r->inner.ops->get(&r->inner, name, offset, cause);
	if (reader != NULL)
		storageop_note("get", name);
	return reader;
}

/* A delete or a temporary's delete through the inner driver's fn. */
static int
record_delete(struct transport *t, const char *kind, const char *name,
    int (*fn)(struct transport *, const char *, char **), char **cause)
{
	struct record_transport	*r = t->driver;
	unsigned long		 seq;
	int			 fault, rc;

	if ((fault = storageop_begin(kind, name, &seq)) != 0)
		return record_fail(cause, fault == STORAGEOP_SHORT ? EIO :
		    fault, "remove", name, "from", t, 0);
	/* 1: the store keeps it (object lock), nothing was removed. */
	if ((rc = fn(&r->inner, name, cause)) != 0)
		return rc == 1 ? 1 : -1;
	storageop_done(seq);
	return 0;
}

static int
record_remove(struct transport *t, const char *name, char **cause)
{
	struct record_transport	*r = t->driver;

	return record_delete(t, "delete", name, r->inner.ops->remove, cause);
}

static int
record_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct record_transport	*r = t->driver;

	return r->inner.ops->list_temporary(&r->inner, l, cause);
}

static int
record_remove_temporary(struct transport *t, const char *name, char **cause)
{
	struct record_transport	*r = t->driver;

	return record_delete(t, "delete-tmp", name,
	    r->inner.ops->remove_temporary, cause);
}

int
transport_record_open(struct transport *t, char **cause)
{
	struct record_transport	*r = xcalloc(1, sizeof *r);
	int			 rc;

	r->inner = *t;
	rc = r->inner.ops->open(&r->inner, cause);
	/*
	 * A driver's open may replace URL strings (s3 names its endpoint in
	 * url.display, drops an $FTP_PASSWORD): the outer, which owns and
	 * frees them, takes the inner's pointers, open or not.
	 */
	t->url = r->inner.url;
	if (rc != 0) {
		free(r);
		return -1;
	}
	r->ops = *r->inner.ops;
	r->ops.open = NULL;	/* opened above, never again */
	r->ops.close = record_close;
	r->ops.list = record_list;
	r->ops.stat = record_stat;
	r->ops.put = record_put;
	r->ops.get = record_get;
	r->ops.remove = record_remove;
	if (r->ops.list_temporary != NULL)
		r->ops.list_temporary = record_list_temporary;
	if (r->ops.remove_temporary != NULL)
		r->ops.remove_temporary = record_remove_temporary;
	t->ops = &r->ops;
	t->driver = r;
	/* Whether the engine reads back what it stores (write-order.awk). */
	storageop_note("open", transport_readback_proves(t) ? "readback=1" :
	    "readback=0");
	return 0;
}
