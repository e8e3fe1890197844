/*
 * backup.h: the backup engine. Walks the sources, cuts their records into
 * volumes, publishes each volume and checks it, then the signatures, then
 * the manifest last. If anything fails before the manifest is published,
 * no set exists: what was uploaded is debris, never something that looks
 * complete.
 *
 * Full or incremental: a set is incremental when the target holds a chain
 * whose full set is younger than full_if_older_than. An incremental set
 * stores new files whole, changed files as a librsync delta against their
 * last whole version (so a restore never needs more than two passes), and
 * unchanged files (same size, mtime, inode and ctime) not at all: they cost
 * a stat. Its manifest still lists every file, pointing into earlier sets.
 *
 * A database (pg_dump's output, see pgdump.h) is stored first, as one more
 * regular file streamed through the same chain.
 */
#ifndef TRESOR_BACKUP_H
#define TRESOR_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "repo/lock.h"

#include "format/filter/crypto.h"
#include "db/pgdump.h"
#include "repo/seals.h"
#include "repo/target.h"

#define BACKUP_DEFAULT_VOLSIZE		(64ULL * 1024 * 1024)
/*
 * zstd level 1: on the ECS-like benchmark data (70% PDF-like, incompressible)
 * it stores about 4% more than level 3 for about 2 s less CPU per GB, and
 * on two cores the CPU is the backup's limit.
 */
#define BACKUP_DEFAULT_LEVEL		1
#define BACKUP_DEFAULT_FULL_AGE		(60LL * 86400)	/* 2M */
/*
 * Files smaller than this get no signature, so they are stored whole when
 * they change. A signature costs a BLAKE2 pass over the file (about 1.2 s
 * of CPU per GB signed, a tenth of a full backup's) and, at librsync's
 * block size, 1.5-7% of its size in the set and again in the local cache;
 * for a vault of write-once documents (PDFs of a few hundred KB to a few
 * MB) that buys nothing. Files that are large and change in place (images,
 * mailboxes) are above it; a database dump is a stream and always signed.
 */
#define BACKUP_DEFAULT_DELTA_MIN	(16ULL * 1024 * 1024)

struct backup_options {
	const char		*url;
	struct transport_options transport;	/* how to reach url */
	struct crypto_options	 crypto;
	struct seals_options	 seals;		/* sign_key: signs the set */
	char * const		*sources;
	size_t			 nsources;
	uint64_t		 volsize;	/* target stored bytes */
	int			 level;		/* zstd level */
	int			 quiet;
	int			 force_full;
	int64_t			 full_if_older_than;	/* seconds */
	uint64_t		 delta_min;	/* smallest file with a signature */
	const char		*cache_dir;
	struct lock_options	 lock;
	struct pgdump_options	 pg;		/* pg.dbname NULL: no database */
	/* Directories that must not be empty (an empty vault is a fault). */
	char * const		*require_nonempty;
	size_t			 nrequire_nonempty;
	int			 one_file_system; /* do not enter other mounts */
	/*
	 * An incremental is due but the local cache lacks its chain and
	 * cannot be rebuilt (a new machine after a disaster recovery, with
	 * only the public key): start a new full chain with a warning
	 * instead of failing every night. The daemon sets it; `tresor
	 * backup` fails and says why.
	 */
	int			 full_if_cache_lost;
	struct backup_result	*result;	/* not NULL: filled in */
};

/* What a run did, for the daemon's log and metrics. */
struct backup_result {
	char		 set_id[32];	/* "" if no set was published */
	int		 full;
	uint64_t	 entries;
	uint64_t	 files;
	uint64_t	 bytes_read;	/* from the sources */
	uint64_t	 volumes;
	uint64_t	 stored;	/* bytes uploaded: volumes + signatures */
	uint64_t	 warnings;
	double		 seconds;
	double		 seal_seconds;	/* checking the newest seal, signing */
};

/*
 * The checks backup_run makes before it touches the target (sources
 * readable, required directories not empty, the database answers and
 * exists), on their own: an exit code, *cause set on failure.
 */
int	backup_check(const struct backup_options *, char **cause);
/* Returns an exit code (common/error.h); *cause is set on failure. */
int	backup_run(const struct backup_options *, char **cause);

#endif
