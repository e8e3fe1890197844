/*
 * restore.h: bringing a set back, whole or selected paths, and checking a
 * set's data without writing anything (verify --read-data uses the same
 * path, so what verify checks is exactly what restore would do).
 */
#ifndef TRESOR_RESTORE_H
#define TRESOR_RESTORE_H

#include <stddef.h>
#include <time.h>

#include "format/filter/crypto.h"

struct restore_options {
	const char		*url;
	struct crypto_options	 crypto;
	const char		*dest;		/* NULL: check only, write nothing */
	const char		*set;		/* set id; NULL: the newest */
	int			 has_time;	/* else: the newest set at or */
	time_t			 time;		/* before this time */
	char * const		*paths;		/* stored paths; none: everything */
	size_t			 npaths;
	int			 force;		/* overwrite existing files */
	int			 quiet;
};

/* Returns an exit code (common/error.h); *cause is set on failure. */
int	restore_run(const struct restore_options *, char **cause);

#endif
