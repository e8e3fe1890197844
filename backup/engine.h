/*
 * engine.h: the backup engine's state, shared by its two kinds of source:
 * the directory walker (backup.c) and streams such as pg_dump's output
 * (stream.c). Internal to backup/.
 */
#ifndef TRESOR_ENGINE_H
#define TRESOR_ENGINE_H

#include <stdint.h>

#include "common/progress.h"
#include "format/manifest.h"
#include "format/record.h"
#include "walker.h"

/* Files smaller than this never get a delta: it could not pay. */
#define BACKUP_DELTA_FLOOR	8192

struct rsync_signature;

struct backup {
	const struct backup_options	*opts;
	struct transport		*transport;
	struct crypto			*crypto;
	char				*keys;		/* crypto_key_list(crypto) */
	struct cache			*cache;
	char				*set_id;
	char				*prev_id;	/* NULL: a full set */
	struct strmap			*prev;		/* path -> entry */
	struct strmap			*sig_sets;	/* sets whose sigs we use */
	struct volume_writer		*vw;
	struct manifest_writer		*mw;
	struct sigs_writer		*sw;
	struct walker_stats		 stats;
	struct recbuf			 rb;
	uint8_t				*buf;	/* RECORD_DATA_MAX bytes */
	time_t				 now;
	uint64_t			 bytes_read;
	uint64_t			 files;
	struct progress			*progress;	/* NULL: none shown */
	uint64_t			 unchanged;
	uint64_t			 deltas;
	int				 cache_lost;	/* prev not rebuilt */
};

/* Tell the progress reporter what was read so far (and `pending` more). */
static inline void
backup_progress(struct backup *b, uint64_t pending)
{
	progress_update(b->progress, b->bytes_read + pending, b->files);
}

/* Close a full volume; inside a file, continue it in the next volume. */
int	backup_maybe_rotate(struct backup *, const char *path, uint64_t offset,
	    char **cause);
/* ENTRY, noting where it went; ENTRY_END, noting the last volume. */
int	backup_begin_records(struct backup *, const struct entry *,
	    struct manifest_entry *, char **cause);
int	backup_end_records(struct backup *, struct manifest_entry *,
	    char **cause);
/*
 * After a whole file's DATA: finish its signature (if sig is not NULL),
 * take its SHA-256 from h and write ENTRY_END.
 */
int	backup_end_whole(struct backup *, struct manifest_entry *,
	    struct sink *sig, struct hash *h, char **cause);
/* Point me's base at the whole version of prev (a delta's base). */
void	backup_prev_whole(struct backup *, const struct manifest_entry *prev,
	    struct manifest_entry *me);
/* The signature of prev's whole version, from the local cache. */
struct rsync_signature *backup_load_signature(struct backup *,
	    const struct manifest_entry *prev, char **cause);
/* The walker's callback: store one entry (walker.h's walk_fn). */
int	backup_entry(void *, struct walk_item *, char **cause);

/* stream.c: store the database named in the options (see pgdump.h). */
int	backup_database(struct backup *, uint64_t estimate, char **cause);
/*
 * The block length of a dump's signature for a database of about
 * `estimate` bytes (stream.c; honours TRESOR_DUMP_BLOCK_LEN).
 */
int	backup_dump_block_len(uint64_t estimate, size_t *, char **cause);

#endif
