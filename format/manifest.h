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
#include <stdio.h>
#include <time.h>

#include "record.h"
#include "common/hash.h"
#include "common/sink.h"

#define MANIFEST_VERSION	1

/* An object as a manifest's volume or signatures line lists it. */
struct volume_info {
	uint32_t	 number;	/* from 1; 0 for the signatures */
	char		*name;
	uint64_t	 size;		/* stored bytes */
	uint8_t		 sha256[HASH_LEN];	/* of the stored bytes */
};

void	volume_info_clear(struct volume_info *);


struct manifest_header {
	char		*set_id;
	int		 full;
	time_t		 time;
	char		**sources;	/* stored names of the sources */
	size_t		  nsources;
	const char	 *keys;		/* crypto_key_list(); writing only */
};

#define SET_ID_MAX	32

/* Where an entry's records are: a set, and volumes vol..last of it. */
struct content_loc {
	char		 set[SET_ID_MAX];	/* "" means the manifest's set */
	uint32_t	 vol;		/* volume of the ENTRY record; 0: none */
	uint64_t	 off;		/* its offset in the volume plaintext */
	uint32_t	 last;		/* last volume holding its records */
};

struct manifest_entry {
	struct entry	 e;
	int		 has_sha256;	/* regular files */
	uint8_t		 sha256[HASH_LEN];	/* of the file's content */
	struct content_loc loc;		/* its records (f: whole or delta) */
	/* Regular files: what tells an unchanged file without reading it. */
	uint64_t	 ino;
	int64_t		 ctime_sec;
	uint32_t	 ctime_nsec;
	/* Stored as a librsync delta against an earlier whole version. */
	int		 is_delta;
	uint64_t	 delta_size;
	uint8_t		 delta_sha256[HASH_LEN];
	struct content_loc base;	/* the whole version the delta needs */
	uint64_t	 base_size;
	uint8_t		 base_sha256[HASH_LEN];
	/* Signature of the whole version, in its set's signatures object. */
	int		 has_sig;
	uint64_t	 sig_off;
};

/* The set holding an entry's whole version (base if delta, else loc). */
const char	*manifest_entry_whole_set(const struct manifest_entry *,
		     const char *this_set);

/* Room for 12 fingerprints of 40 hex digits. */
#define MANIFEST_KEYS_MAX	512

struct manifest_summary {
	uint64_t	 entries;
	uint64_t	 volumes;
	uint64_t	 warnings;	/* entries skipped at backup time */
	/* The end line's keys= (crypto_key_list), "" if it has none. */
	char		 keys[MANIFEST_KEYS_MAX];
};

struct manifest_writer;

struct manifest_writer	*manifest_writer_new(char **cause);
int			 manifest_writer_add(struct manifest_writer *,
			     const struct manifest_entry *, char **cause);
/* How many entries were skipped (recorded in the end line). */
void			 manifest_writer_set_warnings(struct manifest_writer *,
			     uint64_t);
/*
 * Write the whole text: header, the spooled entries, the volume lines,
 * the signatures line (`sigs`, may be NULL) and the end line, into s and,
 * if copy is not NULL, also there (the local cache's plaintext).
 */
int			 manifest_writer_write(struct manifest_writer *,
			     struct sink *, FILE *copy,
			     const struct manifest_header *,
			     const struct volume_info *, size_t,
			     const struct volume_info *sigs, char **cause);
void			 manifest_writer_free(struct manifest_writer *);

/* Callbacks for reading; entry takes ownership of the entry's strings. */
struct manifest_visitor {
	int	(*header)(void *, const struct manifest_header *, char **);
	int	(*entry)(void *, struct manifest_entry *, char **);
	int	(*volume)(void *, const struct volume_info *, char **);
	/* The set's signatures object (number 0), if it has one. */
	int	(*signatures)(void *, const struct volume_info *, char **);
};

/*
 * A parser: bytes written to its sink (one or more, each freed by the
 * caller before the reader) are the manifest's plaintext; the visitor is
 * called per line. After the sink is finished, check that the manifest
 * was the expected set's (what and where name it in a failure).
 */
struct manifest_reader;
struct manifest_reader	*manifest_reader_new(const struct manifest_visitor *,
			     void *);
struct sink		*manifest_reader_sink(struct manifest_reader *);
int			 manifest_reader_check(struct manifest_reader *,
			     const char *what, const char *where,
			     const char *set_id, struct manifest_summary *,
			     char **cause);
void			 manifest_reader_free(struct manifest_reader *);

/* Read a plaintext copy (the local cache) through a visitor. */
int	manifest_read_plain(const char *path, const char *set_id,
	    const struct manifest_visitor *, void *,
	    struct manifest_summary *, char **cause);
void	manifest_header_clear(struct manifest_header *);

#endif
