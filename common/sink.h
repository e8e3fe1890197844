/*
 * sink.h: one stage of tresor's streaming chain.
 *
 * Data flows one way, pushed from the source towards the target:
 *
 *	records -> zstd -> gpg -> hash -> transport writer
 *
 * Every stage is a sink that owns the next one. A stage holds at most a
 * fixed-size buffer, never a whole file, so memory stays bounded whatever the
 * size of the data pushed through it.
 *
 * Contract:
 * - sink_write may be called any number of times with any length (including
 *   1 byte); the stage consumes all of it or fails.
 * - sink_finish flushes the stage, then finishes the next one. After it
 *   returns 0 every byte has reached the end of the chain.
 * - sink_free releases the stage and the stages after it. Freeing a chain that
 *   was not finished aborts it: a transport writer then removes its temporary
 *   object, so nothing half-written is ever published.
 */
#ifndef TRESOR_SINK_H
#define TRESOR_SINK_H

#include <stddef.h>

struct sink;

struct sink_ops {
	const char	*name;
	int		 (*write)(struct sink *, const void *, size_t, char **);
	int		 (*finish)(struct sink *, char **);
	void		 (*free)(struct sink *);
};

struct sink {
	const struct sink_ops	*ops;
};

static inline int
sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	return s->ops->write(s, buf, len, cause);
}

static inline int
sink_finish(struct sink *s, char **cause)
{
	return s->ops->finish(s, cause);
}

static inline void
sink_free(struct sink *s)
{
	if (s != NULL)
		s->ops->free(s);
}

#endif
