/*
 * volume.h: cutting the record stream of a set into volumes of about
 * `target` stored bytes. Each volume is a self-contained object: it starts
 * with the magic, the version and a VOLUME_INFO record, and ends with a
 * VOLUME_END record, so it can be decrypted and read on its own.
 */
#ifndef TRESOR_VOLUME_H
#define TRESOR_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "format/manifest.h"

struct crypto;
struct transport;

struct volume_writer;

struct volume_writer	*volume_writer_new(struct transport *,
			     struct crypto *, const char *set_id,
			     uint64_t target, int level);
/* Append a record, opening a new volume first if none is open. */
int			 volume_writer_record(struct volume_writer *, uint8_t,
			     const void *, size_t, char **cause);
/* Where the next record goes (opens a volume if none is open). */
int			 volume_writer_position(struct volume_writer *,
			     uint32_t *number, uint64_t *offset, char **cause);
/* Has the open volume reached its target size? */
int			 volume_writer_full(struct volume_writer *);
/*
 * End the open volume: VOLUME_END, publish, verify size and hash. This may
 * go on in the background; its failure is then reported by the next close
 * or by volume_writer_sync.
 */
int			 volume_writer_close(struct volume_writer *, char **);
/* Wait until every closed volume is published and verified. */
int			 volume_writer_sync(struct volume_writer *, char **);
/* The volumes published and verified so far (borrowed). */
const struct volume_info *volume_writer_volumes(struct volume_writer *,
			     size_t *count);
/* Free; an open (unfinished) volume is discarded, never published. */
void			 volume_writer_free(struct volume_writer *);


#endif
