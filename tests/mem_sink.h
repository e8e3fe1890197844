/*
 * mem_sink.h: a sink for tests that collects into memory and can fail
 * after `limit` bytes (a stand-in for a full disk). Header-only: each test
 * program includes it once.
 */
#ifndef TRESOR_TEST_MEM_SINK_H
#define TRESOR_TEST_MEM_SINK_H

#include <string.h>

#include "common/error.h"
#include "common/sink.h"
#include "format/record.h"

struct mem_sink {
	struct sink	sink;
	struct recbuf	buf;
	size_t		limit;
	int		finished;
};

static int
mem_write(struct sink *s, const void *p, size_t len, char **cause)
{
	struct mem_sink	*m = (struct mem_sink *)s;

	if (m->limit != 0 && m->buf.len + len > m->limit)
		return error_set(cause, "disk full writing test output");
	recbuf_bytes(&m->buf, p, len);
	return 0;
}

static int
mem_finish(struct sink *s, char **cause)
{
	(void)cause;
	((struct mem_sink *)s)->finished = 1;
	return 0;
}

static void
mem_free(struct sink *s)
{
	(void)s;	/* owned by the test */
}

static const struct sink_ops mem_ops = { "mem", mem_write, mem_finish,
	mem_free };

static void
mem_init(struct mem_sink *m, size_t limit)
{
	memset(m, 0, sizeof *m);
	m->sink.ops = &mem_ops;
	m->limit = limit;
}

#endif
