/*
 * suite.c: the shared transport suite (see suite.h): put/stat/list/get/
 * remove, atomic publication (an unfinished object never appears, but is
 * listed as a temporary for cleanup), empty and multi-megabyte objects
 * written and read in odd-sized pieces, reads from an offset, write-once
 * names, errors for missing objects, and names refused before they reach
 * the driver.
 */
#include <stdlib.h>
#include <string.h>

#include "common/sink.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/suite.h"
#include "transports/transport.h"

static int
suite_put(struct transport *t, const char *name, const uint8_t *p, size_t len,
    size_t step, char **cause)
{
	struct sink	*s = transport_put(t, name, cause);
	size_t		 off, n;
	int		 rc = -1;

	if (s == NULL)
		return -1;
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (sink_write(s, p + off, n, cause) != 0)
			goto out;
	}
	rc = sink_finish(s, cause);
out:
	sink_free(s);
	return rc;
}

static uint8_t *
suite_get_from(struct transport *t, const char *name, uint64_t offset,
    size_t step, size_t *len, char **cause)
{
	struct transport_reader	*r = transport_get_from(t, name, offset,
				    cause);
	uint8_t			*buf = NULL;
	size_t			 cap = 0;
	ssize_t			 n;

	*len = 0;
	if (r == NULL)
		return NULL;
	for (;;) {
		if (*len + step > cap) {
			cap = (*len + step) * 2;
			buf = xrealloc(buf, cap);
		}
		n = transport_reader_read(r, buf + *len, step, cause);
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	transport_reader_close(r);
	if (buf == NULL && *cause == NULL)
		buf = xmalloc(1);
	return buf;
}

static uint8_t *
suite_get(struct transport *t, const char *name, size_t step, size_t *len,
    char **cause)
{
	return suite_get_from(t, name, 0, step, len, cause);
}

/* How many temporaries are listed (-1: listing failed). */
static int
suite_temporaries(struct transport *t)
{
	struct name_list	l;
	char			*cause = NULL;
	int			 n;

	if (transport_list_temporary(t, &l, &cause) != 0) {
		free(cause);
		return -1;
	}
	n = (int)l.count;
	name_list_clear(&l);
	return n;
}

static int
suite_listed(struct transport *t, const char *name, size_t *count,
    uint64_t *size)
{
	struct name_list	l;
	char			*cause = NULL;
	size_t			 i;
	int			 found = 0;

	if (transport_list(t, &l, &cause) != 0) {
		free(cause);
		return -1;
	}
	for (i = 0; i < l.count; i++) {
		if (strcmp(l.entries[i].name, name) == 0) {
			found = 1;
			if (size != NULL)
				*size = l.entries[i].size;
		}
	}
	if (count != NULL)
		*count = l.count;
	name_list_clear(&l);
	return found;
}

void
transport_suite_run(const char *url, const struct transport_options *o)
{
	struct transport	*t;
	struct sink		*s;
	char			*cause = NULL;
	uint8_t			*big, *got;
	size_t			 big_len = 3 * 1024 * 1024 + 11, len, count, i;
	uint64_t		 size = 0;

	t = transport_open(url, o, &cause);
	tap_ok(t != NULL, "opens %s: %s", t != NULL ? transport_display(t) :
	    "the target", cause ? cause : "");
	if (t == NULL)
		return;
	/* Labels without the password the URL may hold. */
	url = transport_display(t);
	tap_ok(suite_listed(t, "x", &count, NULL) == 0 && count == 0,
	    "[%s] an empty location lists nothing", url);

	tap_ok(suite_put(t, "small.obj", (const uint8_t *)"hello", 5, 2,
	    &cause) == 0, "[%s] puts a small object: %s", url,
	    cause ? cause : "");
	tap_ok(transport_stat(t, "small.obj", &size, &cause) == 0 && size == 5,
	    "[%s] stat gives its size", url);
	tap_ok(suite_listed(t, "small.obj", &count, &size) == 1 && count == 1 &&
	    size == 5, "[%s] list shows it with its size", url);
	got = suite_get(t, "small.obj", 3, &len, &cause);
	tap_ok(got != NULL && len == 5 && memcmp(got, "hello", 5) == 0,
	    "[%s] get reads it back", url);
	free(got);

	tap_ok(suite_put(t, "empty.obj", NULL, 0, 1, &cause) == 0 &&
	    transport_stat(t, "empty.obj", &size, &cause) == 0 && size == 0,
	    "[%s] an empty object exists with size 0", url);

	big = xmalloc(big_len);
	for (i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	tap_ok(suite_put(t, "big.obj", big, big_len, 4093, &cause) == 0,
	    "[%s] puts 3 MiB in 4093-byte writes", url);
	got = suite_get(t, "big.obj", 65521, &len, &cause);
	tap_ok(got != NULL && len == big_len && memcmp(got, big, len) == 0,
	    "[%s] reads 3 MiB back identical in 65521-byte reads", url);
	free(got);
	got = suite_get_from(t, "big.obj", 2000003, 7000, &len, &cause);
	tap_ok(got != NULL && len == big_len - 2000003 &&
	    memcmp(got, big + 2000003, len) == 0,
	    "[%s] reads from an offset on (ranged read)", url);
	free(got);
	tap_ok(suite_put(t, "small.obj", (const uint8_t *)"other", 5, 5,
	    &cause) != 0 && cause != NULL && strstr(cause, "small.obj") !=
	    NULL, "[%s] an existing object is not replaced: %s", url,
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	got = suite_get(t, "small.obj", 5, &len, &cause);
	tap_ok(got != NULL && len == 5 && memcmp(got, "hello", 5) == 0,
	    "[%s] ... and still holds its bytes", url);
	free(got);

	s = transport_put(t, "unfinished.obj", &cause);
	tap_ok(s != NULL && sink_write(s, big, 100000, &cause) == 0,
	    "[%s] starts an object", url);
	tap_ok(suite_listed(t, "unfinished.obj", NULL, NULL) == 0 &&
	    transport_stat(t, "unfinished.obj", &size, &cause) == 1,
	    "[%s] an object being written is not visible", url);
	tap_ok(suite_temporaries(t) == 1,
	    "[%s] ... but listed as a temporary", url);
	sink_free(s);
	tap_ok(suite_temporaries(t) == 0,
	    "[%s] an abandoned object leaves no temporary", url);
	tap_ok(suite_listed(t, "unfinished.obj", &count, NULL) == 0 &&
	    count == 3, "[%s] an abandoned object never appears, nothing "
	    "else is left (%zu objects)", url, count);

	tap_ok(transport_stat(t, "missing.obj", &size, &cause) == 1,
	    "[%s] stat of a missing object says so", url);
	got = suite_get(t, "missing.obj", 100, &len, &cause);
	tap_ok(got == NULL && cause != NULL && strstr(cause, "missing.obj") !=
	    NULL, "[%s] get of a missing object names it: %s", url,
	    cause ? cause : "");
	free(cause);
	cause = NULL;

	tap_ok(transport_remove(t, "small.obj", &cause) == 0 &&
	    transport_stat(t, "small.obj", &size, &cause) == 1,
	    "[%s] remove deletes", url);
	tap_ok(transport_remove(t, "small.obj", &cause) == 0,
	    "[%s] removing a missing object is not an error", url);

	tap_ok(transport_put(t, "../escape", &cause) == NULL && cause != NULL,
	    "[%s] a name with a path is refused: %s", url, cause ? cause : "");
	free(cause);
	cause = NULL;
	tap_ok(transport_put(t, ".hidden", &cause) == NULL,
	    "[%s] a dot name (reserved for temporaries) is refused", url);
	free(cause);
	cause = NULL;

	transport_remove(t, "big.obj", &cause);
	transport_remove(t, "empty.obj", &cause);
	tap_ok(suite_listed(t, "x", &count, NULL) == 0 && count == 0,
	    "[%s] the location is empty again", url);
	free(big);
	transport_close(t);
}
