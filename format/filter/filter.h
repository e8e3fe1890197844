/*
 * filter.h: the streaming stages of the chain (see common/sink.h).
 * Each constructor takes ownership of `next`, also when it fails.
 */
#ifndef TRESOR_FILTER_H
#define TRESOR_FILTER_H

#include <stdint.h>

#include "common/hash.h"
#include "common/sink.h"

/* zstd compression at `level`; counts bytes taken in and put out. */
struct sink	*zstd_compress_sink_new(int level, struct sink *next);
uint64_t	 zstd_compress_sink_bytes_in(const struct sink *);
uint64_t	 zstd_compress_sink_bytes_out(const struct sink *);
/* zstd decompression; finishing a truncated frame is an error. */
struct sink	*zstd_decompress_sink_new(const char *what, struct sink *next);

/* Pass-through that hashes and counts; read the result after finish. */
struct sink	*hash_sink_new(struct sink *next);
void		 hash_sink_result(const struct sink *, uint8_t [HASH_LEN],
		     uint64_t *bytes);
/*
 * Called at finish with the result, before the next stage finishes (for a
 * transport: before the object is published); if it fails, so does finish.
 */
typedef int	 hash_sink_done_fn(void *arg, const uint8_t [HASH_LEN],
		     uint64_t bytes, char **cause);
void		 hash_sink_on_done(struct sink *, hash_sink_done_fn *,
		     void *arg);

/*
 * Runs `next` in a thread of its own behind a bounded queue (4 x 1 MiB):
 * writes return once copied. Freeing it unfinished discards the queue.
 */
struct sink	*async_sink_new(struct sink *next);
/* Bytes written to it so far (call from the writing thread). */
uint64_t	 async_sink_bytes_in(const struct sink *);

/* Writes into fd (borrowed; not closed); finishing fsyncs it. */
struct sink	*fd_sink_new(int fd, const char *what);

#endif
