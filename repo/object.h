/*
 * object.h: moving one stored object (a volume or a manifest) through the
 * chain in either direction.
 *
 *	write:	sink -> zstd -> gpg -> hash -> transport_put
 *	read:	transport_get -> hash -> gpg -> caller's sink
 */
#ifndef TRESOR_OBJECT_H
#define TRESOR_OBJECT_H

#include <stdint.h>

#include "common/hash.h"
#include "common/sink.h"
#include "format/filter/filter.h"

struct crypto;
struct transport;

struct object_writer;

struct object_writer	*object_writer_new(struct transport *,
			     struct crypto *, const char *name, int level,
			     char **cause);
/* The head of the chain, to write plaintext into (borrowed). */
struct sink		*object_writer_sink(struct object_writer *);
/* Compressed bytes so far (close to the stored size). */
uint64_t		 object_writer_bytes(struct object_writer *);
/* fn gets the stored size and SHA-256 just before the object is published. */
void			 object_writer_on_digest(struct object_writer *,
			     hash_sink_done_fn *fn, void *arg);
/*
 * Finish: flush, publish, then check the stored size and (where that
 * proves anything: see transport_readback_proves) the SHA-256 by reading
 * the object back, before anything may refer to it.
 */
int			 object_writer_finish(struct object_writer *,
			     uint64_t *size, uint8_t digest[HASH_LEN],
			     char **cause);
/* Free; an unfinished object is removed, never published. */
void			 object_writer_free(struct object_writer *);

/* Check a stored object's size and SHA-256 without decrypting it. */
int	object_verify(struct transport *, const char *name, uint64_t size,
	    const uint8_t digest[HASH_LEN], char **cause);

/*
 * Read and decrypt an object into `out` (not owned; finished on success).
 * If size/digest are given the stored bytes must match them; a mismatch is
 * reported as corruption in preference to the decryption error it causes.
 */
int	object_read(struct transport *, struct crypto *, const char *name,
	    const uint64_t *size, const uint8_t *digest, struct sink *out,
	    char **cause);

/*
 * Read, decrypt and decompress an object into a local file (via .tmp). If
 * size/digest are given the stored bytes must match them, as object_read.
 */
int	object_fetch(struct transport *, struct crypto *, const char *name,
	    const uint64_t *size, const uint8_t *digest, const char *path,
	    char **cause);

#endif
