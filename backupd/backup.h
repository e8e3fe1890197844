/*
 * backup.h: the backup engine. Walks the sources, cuts their records into
 * volumes, publishes each volume and checks it, then publishes the manifest
 * last. If anything fails before the manifest is published, no set exists:
 * what was uploaded is debris, never something that looks complete.
 */
#ifndef TRESOR_BACKUP_H
#define TRESOR_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "format/filter/crypto.h"

#define BACKUP_DEFAULT_VOLSIZE	(64ULL * 1024 * 1024)
#define BACKUP_DEFAULT_LEVEL	3

struct backup_options {
	const char		*url;
	struct crypto_options	 crypto;
	char * const		*sources;
	size_t			 nsources;
	uint64_t		 volsize;	/* target stored bytes */
	int			 level;		/* zstd level */
	int			 quiet;
};

/* Returns an exit code (common/error.h); *cause is set on failure. */
int	backup_run(const struct backup_options *, char **cause);

#endif
