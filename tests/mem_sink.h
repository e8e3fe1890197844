/*
 * mem_sink.h: test helpers: a sink that collects into memory and can fail
 * after `limit` bytes (a stand-in for a full disk), a feeder that pushes a
 * buffer through a sink in pieces, and small file helpers.
 * Header-only: each test program includes it once.
 */
#ifndef TRESOR_TEST_MEM_SINK_H
#define TRESOR_TEST_MEM_SINK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/sink.h"
#include "common/xmalloc.h"
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

/* Push `len` bytes through a sink in pieces of `step`, then finish. */
static int
push(struct sink *s, const uint8_t *p, size_t len, size_t step, char **cause)
{
	size_t	off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (sink_write(s, p + off, n, cause) != 0)
			return -1;
	}
	return sink_finish(s, cause);
}

/* Small file helpers for tests that talk to command-line tools. */
static void
write_file(const char *path, const void *p, size_t len)
{
	FILE	*f = fopen(path, "w");

	if (len > 0)
		fwrite(p, 1, len, f);
	fclose(f);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "r");
	uint8_t	*p;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = xmalloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, f);
	p[*len] = '\0';	/* a text file read is a string (sscanf, strstr) */
	fclose(f);
	return p;
}

static int
run(const char *cmd)
{
	return system(cmd) == 0;
}

#endif
