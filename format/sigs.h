/*
 * sigs.h: a set's signatures object, tresor.<SETID>.sigs.gpg: the librsync
 * (BLAKE2) signature of every file the set stores whole, so that a later
 * incremental can store a delta against it. Its plaintext is framed like a
 * volume, with its own magic:
 *
 *	SIGS_MAGIC | version u16 | VOLUME_INFO(set, 0)
 *	  { SIG_BEGIN(path) DATA... SIG_END(size u64, sha256) } VOLUME_END
 *
 * The plaintext is written to the local cache first, uploaded (zstd, gpg)
 * before the manifest, and a manifest entry's `sigoff` is the offset of
 * its SIG_BEGIN record in this plaintext.
 */
#ifndef TRESOR_SIGS_H
#define TRESOR_SIGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/sink.h"
#include "format/manifest.h"

struct sigs_writer;

struct sigs_writer	*sigs_writer_new(const char *path, const char *set_id,
			     char **cause);
/* Start a signature; the returned sink (borrowed) takes its bytes. */
struct sink		*sigs_writer_begin(struct sigs_writer *, const char *,
			     uint64_t *offset, char **cause);
/* End the signature begun last. */
int			 sigs_writer_end(struct sigs_writer *, char **cause);
uint64_t		 sigs_writer_count(const struct sigs_writer *);
/* Close the plaintext (at `path`); it is then ready to publish. */
int			 sigs_writer_finish(struct sigs_writer *, char **cause);
/* Free; an unfinished plaintext is removed. */
void			 sigs_writer_free(struct sigs_writer *);

/* Read the signature at `offset` of a plaintext; checks path and hash. */
int	sigs_read(const char *path, uint64_t offset, const char *entry_path,
	    uint8_t **sig, size_t *len, char **cause);
#endif
