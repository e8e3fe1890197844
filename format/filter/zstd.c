/*
 * zstd.c: zstd compression and decompression stages. Each holds one
 * output buffer of the size zstd recommends, so memory use is fixed.
 */
#include <stdlib.h>
#include <zstd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "filter.h"

struct zstd_compress {
	struct sink	 sink;
	struct sink	*next;
	ZSTD_CCtx	*cctx;
	void		*out;
	size_t		 out_size;
	uint64_t	 bytes_in;	/* consumed by zstd */
	uint64_t	 bytes_out;
};

struct zstd_decompress {
	struct sink	 sink;
	struct sink	*next;
	ZSTD_DCtx	*dctx;
	void		*out;
	size_t		 out_size;
	size_t		 last;		/* last return of ZSTD_decompressStream */
	int		 seen_input;
	char		*what;
};

static int
zstd_compress_run(struct zstd_compress *z, ZSTD_inBuffer *in,
    ZSTD_EndDirective mode, char **cause)
{
	ZSTD_outBuffer	out;
	size_t		left, taken;

	do {
		out.dst = z->out;
		out.size = z->out_size;
		out.pos = 0;
		taken = in->pos;
		left = ZSTD_compressStream2(z->cctx, &out, in, mode);
		if (ZSTD_isError(left))
			return error_set(cause, "zstd compression failed: %s",
			    ZSTD_getErrorName(left));
		/* Both counters are read by the producer when zstd is async. */
		__atomic_fetch_add(&z->bytes_in, in->pos - taken,
		    __ATOMIC_RELAXED);
		if (out.pos > 0) {
			__atomic_fetch_add(&z->bytes_out, out.pos,
			    __ATOMIC_RELAXED);
			if (sink_write(z->next, z->out, out.pos, cause) != 0)
				return -1;
		}
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return 0;
}

static int
zstd_compress_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct zstd_compress	*z = (struct zstd_compress *)s;
	ZSTD_inBuffer		 in = { buf, len, 0 };

	if (len == 0)
		return 0;
	return zstd_compress_run(z, &in, ZSTD_e_continue, cause);
}

static int
zstd_compress_finish(struct sink *s, char **cause)
{
	struct zstd_compress	*z = (struct zstd_compress *)s;
	ZSTD_inBuffer		 in = { NULL, 0, 0 };

	if (zstd_compress_run(z, &in, ZSTD_e_end, cause) != 0)
		return -1;
	return sink_finish(z->next, cause);
}

static void
zstd_compress_free(struct sink *s)
{
	struct zstd_compress	*z = (struct zstd_compress *)s;

	sink_free(z->next);
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
}

static const struct sink_ops zstd_compress_ops = {
	.name = "zstd-compress",
	.write = zstd_compress_write,
	.finish = zstd_compress_finish,
	.free = zstd_compress_free,
};

struct sink *
zstd_compress_sink_new(int level, struct sink *next)
{
	struct zstd_compress	*z = xcalloc(1, sizeof *z);

	z->sink.ops = &zstd_compress_ops;
	z->next = next;
	z->cctx = ZSTD_createCCtx();
	if (z->cctx == NULL)
		abort();
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1);
	z->out_size = ZSTD_CStreamOutSize();
	z->out = xmalloc(z->out_size);
	return &z->sink;
}

uint64_t
zstd_compress_sink_bytes_in(const struct sink *s)
{
	return __atomic_load_n(&((const struct zstd_compress *)s)->bytes_in,
	    __ATOMIC_RELAXED);
}

uint64_t
zstd_compress_sink_bytes_out(const struct sink *s)
{
	return __atomic_load_n(&((const struct zstd_compress *)s)->bytes_out,
	    __ATOMIC_RELAXED);
}

/*
 * One ZSTD_decompressStream call from `in` into the output buffer, whose
 * bytes (*produced of them) go to the next stage.
 */
static int
zstd_decompress_step(struct zstd_decompress *z, ZSTD_inBuffer *in,
    size_t *produced, char **cause)
{
	ZSTD_outBuffer	out = { z->out, z->out_size, 0 };

	*produced = 0;
	z->last = ZSTD_decompressStream(z->dctx, &out, in);
	if (ZSTD_isError(z->last))
		return error_set(cause, "%s is corrupt: zstd: %s", z->what,
		    ZSTD_getErrorName(z->last));
	*produced = out.pos;
	if (out.pos > 0 && sink_write(z->next, z->out, out.pos, cause) != 0)
		return -1;
	return 0;
}

static int
zstd_decompress_write(struct sink *s, const void *buf, size_t len,
    char **cause)
{
	struct zstd_decompress	*z = (struct zstd_decompress *)s;
	ZSTD_inBuffer		 in = { buf, len, 0 };
	size_t			 produced;

	if (len > 0)
		z->seen_input = 1;
	while (in.pos < in.size) {
		if (zstd_decompress_step(z, &in, &produced, cause) != 0)
			return -1;
	}
	return 0;
}

static int
zstd_decompress_finish(struct sink *s, char **cause)
{
	struct zstd_decompress	*z = (struct zstd_decompress *)s;
	ZSTD_inBuffer		 in = { NULL, 0, 0 };
	size_t			 produced;

	/* Drain what zstd still holds once the input has ended. */
	do {
		if (!z->seen_input || z->last == 0)
			break;
		if (zstd_decompress_step(z, &in, &produced, cause) != 0)
			return -1;
	} while (produced == z->out_size);
	if (!z->seen_input || z->last != 0)
		return error_set(cause, "%s is truncated: the zstd frame does "
		    "not end", z->what);
	return sink_finish(z->next, cause);
}

static void
zstd_decompress_free(struct sink *s)
{
	struct zstd_decompress	*z = (struct zstd_decompress *)s;

	sink_free(z->next);
	ZSTD_freeDCtx(z->dctx);
	free(z->out);
	free(z->what);
	free(z);
}

static const struct sink_ops zstd_decompress_ops = {
	.name = "zstd-decompress",
	.write = zstd_decompress_write,
	.finish = zstd_decompress_finish,
	.free = zstd_decompress_free,
};

struct sink *
zstd_decompress_sink_new(const char *what, struct sink *next)
{
	struct zstd_decompress	*z = xcalloc(1, sizeof *z);

	z->sink.ops = &zstd_decompress_ops;
	z->next = next;
	z->dctx = ZSTD_createDCtx();
	if (z->dctx == NULL)
		abort();
	z->out_size = ZSTD_DStreamOutSize();
	z->out = xmalloc(z->out_size);
	z->what = xstrdup(what);
	return &z->sink;
}
