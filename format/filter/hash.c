/*
 * hash.c: observer stages. The hash stage sits last before the transport,
 * so it sees exactly the stored bytes: volumes verify with sha256sum and
 * without any key.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "filter.h"

struct hash_sink {
	struct sink	 sink;
	struct sink	*next;
	struct hash	*hash;
	uint64_t	 bytes;
	uint8_t		 digest[HASH_LEN];
	hash_sink_done_fn *done;
	void		*done_arg;
};

static int
hash_sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct hash_sink	*h = (struct hash_sink *)s;

	hash_update(h->hash, buf, len);
	h->bytes += len;
	return sink_write(h->next, buf, len, cause);
}

static int
hash_sink_finish(struct sink *s, char **cause)
{
	struct hash_sink	*h = (struct hash_sink *)s;

	hash_final(h->hash, h->digest);
	if (h->done != NULL && h->done(h->done_arg, h->digest, h->bytes,
	    cause) != 0)
		return -1;
	return sink_finish(h->next, cause);
}

static void
hash_sink_free(struct sink *s)
{
	struct hash_sink	*h = (struct hash_sink *)s;

	sink_free(h->next);
	hash_free(h->hash);
	free(h);
}

static const struct sink_ops hash_sink_ops = {
	.name = "hash",
	.write = hash_sink_write,
	.finish = hash_sink_finish,
	.free = hash_sink_free,
};

struct sink *
hash_sink_new(struct sink *next)
{
	struct hash_sink	*h = xcalloc(1, sizeof *h);

	h->sink.ops = &hash_sink_ops;
	h->next = next;
	h->hash = hash_new();
	return &h->sink;
}

void
hash_sink_result(const struct sink *s, uint8_t digest[HASH_LEN],
    uint64_t *bytes)
{
	const struct hash_sink	*h = (const struct hash_sink *)s;

	memcpy(digest, h->digest, HASH_LEN);
	*bytes = h->bytes;
}

void
hash_sink_on_done(struct sink *s, hash_sink_done_fn *fn, void *arg)
{
	struct hash_sink	*h = (struct hash_sink *)s;

	h->done = fn;
	h->done_arg = arg;
}
