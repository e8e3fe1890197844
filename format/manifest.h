/*
 * manifest.h: a set's manifest, a line-based text document (zstd, then
 * OpenPGP, like a volume) listing every entry with its hash and location
 * and every volume with its stored size and SHA-256. Written last: a set
 * exists only once its manifest is published. See docs/FORMAT.md.
 */
#ifndef TRESOR_MANIFEST_H
#define TRESOR_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "record.h"
#include "volume.h"

#define MANIFEST_VERSION	1

struct crypto;
struct transport;

struct manifest_header {
	char		*set_id;
	int		 full;
	time_t		 time;
	char		**sources;	/* stored names of the sources */
	size_t		  nsources;
};

struct manifest_entry {
	struct entry	 e;
	int		 has_sha256;	/* regular files */
	uint8_t		 sha256[HASH_LEN];	/* of the file's content */
	uint32_t	 vol;		/* volume of the ENTRY record */
	uint64_t	 off;		/* its offset in the volume plaintext */
	uint32_t	 last;		/* last volume holding its records */
};

struct manifest_summary {
	uint64_t	 entries;
	uint64_t	 volumes;
	uint64_t	 warnings;	/* entries skipped at backup time */
};

struct manifest_writer;

struct manifest_writer	*manifest_writer_new(char **cause);
int			 manifest_writer_add(struct manifest_writer *,
			     const struct manifest_entry *, char **cause);
/* How many entries were skipped (recorded in the end line). */
void			 manifest_writer_set_warnings(struct manifest_writer *,
			     uint64_t);
int			 manifest_writer_publish(struct manifest_writer *,
			     struct transport *, struct crypto *, int level,
			     const struct manifest_header *,
			     const struct volume_info *, size_t, char **cause);
void			 manifest_writer_free(struct manifest_writer *);

/* Callbacks for reading; entry takes ownership of the entry's strings. */
struct manifest_visitor {
	int	(*header)(void *, const struct manifest_header *, char **);
	int	(*entry)(void *, struct manifest_entry *, char **);
	int	(*volume)(void *, const struct volume_info *, char **);
};

int	manifest_read(struct transport *, struct crypto *, const char *set_id,
	    const struct manifest_visitor *, void *,
	    struct manifest_summary *, char **cause);
void	manifest_header_clear(struct manifest_header *);

#endif
