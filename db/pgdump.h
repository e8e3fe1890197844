/*
 * pgdump.h: a PostgreSQL database as a backup source. pg_dump writes the
 * custom format, uncompressed (zstd compresses later, and librsync deltas
 * need the plain bytes), into a pipe the backup engine reads like a file:
 * no dump file is ever written to disk.
 *
 * Before anything is dumped, libpq checks that the server is reachable,
 * the database exists and pg_dump is at least as new as the server (an
 * older pg_dump refuses, or worse, misses what it does not know).
 */
#ifndef TRESOR_PGDUMP_H
#define TRESOR_PGDUMP_H

#include <stdint.h>

#include "common/child.h"
#include "pg.h"

/* Where a dump is stored unless --pg-dump-path says otherwise. */
#define PGDUMP_DEFAULT_DIR	"ecs-pgdump"

struct pgdump_options {
	struct pg_options	 pg;
	const char		*dbname;	/* NULL: no database source */
	const char		*path;		/* stored path; NULL: default */
};

/* The stored path of the dump (allocated). */
char		*pgdump_stored_path(const struct pgdump_options *);
/* A stored path must be relative, without empty, "." or ".." parts. */
int		 pgdump_check_path(const char *, char **cause);
/*
 * The checks above. *estimate gets the database's size on disk, an upper
 * bound for an uncompressed dump that sizes its signature blocks.
 */
int		 pgdump_check(const struct pgdump_options *, uint64_t *estimate,
		     char **cause);
/* Start pg_dump; *fd reads the dump. Finish with child_finish. */
struct child	*pgdump_start(const struct pgdump_options *, int *fd,
		     char **cause);

#endif
