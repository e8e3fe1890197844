/*
 * fuzz-patch.c: the librsync patch path with tresor's output bound
 * (format/filter/rsync.c, rsync_patch), which restore runs on every delta
 * a volume holds. librsync itself is not fuzzed upstream, and a malformed
 * delta could make a patch loop or grow without end: rsync_patch must
 * stop at the bound, and libFuzzer's -timeout catches a loop. Input: the
 * basis length (2 bytes, little-endian), the basis, then the delta.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/filter/rsync.h"
#include "fuzz.h"

#define FUZZ_MAX_OUTPUT	(256 * 1024)

/* A sink that counts what reaches it. */
struct count_sink {
	struct sink	sink;
	uint64_t	bytes;
};

static int
count_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct count_sink	*c = (struct count_sink *)s;

	(void)buf;
	(void)cause;
	c->bytes += len;
	return 0;
}

static int
count_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
count_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops count_ops = {
	.name = "count",
	.write = count_write,
	.finish = count_finish,
	.free = count_free,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count_sink	 out = { { &count_ops }, 0 };
	size_t			 blen;
	char			*cause = NULL;
	int			 basis = -1, delta, rc;

	if (size < 2)
		return 0;
	blen = (size_t)data[0] | (size_t)data[1] << 8;
	if (blen > size - 2)
		blen = size - 2;
	/* An empty basis is -1, as restore passes it for a new file. */
	if (blen > 0)
		basis = fuzz_memfd("basis", data + 2, blen);
	delta = fuzz_memfd("delta", data + 2 + blen, size - 2 - blen);
	rc = rsync_patch(basis, delta, FUZZ_MAX_OUTPUT, &out.sink, &cause);
	if (out.bytes > FUZZ_MAX_OUTPUT)
		abort();
	if (rc != 0 && (cause == NULL || strchr(cause, '\n') != NULL))
		abort();
	free(cause);
	if (basis != -1)
		close(basis);
	close(delta);
	return 0;
}
