/*
 * purge.h: retention and cleanup of a target.
 *
 * purge removes whole chains as repo/retention.h plans it. It is a dry
 * run unless forced. cleanup removes what interrupted runs left: sets without
 * a manifest and temporary objects. Both take the target's lock. Objects
 * go in the reverse of the write order: manifest first, then the rest, so
 * an interrupted purge leaves debris, never a manifest naming missing
 * volumes.
 */
#ifndef TRESOR_PURGE_H
#define TRESOR_PURGE_H

#include <stdint.h>
#include <time.h>

#include "repo/lock.h"
#include "repo/seals.h"
#include "repo/target.h"

struct purge_options {
	const char	*url;
	struct transport_options transport;	/* how to reach url */
	int64_t		 older_than;	/* seconds */
	int		 force;
	int		 json;		/* status only */
	int		 quiet;
	const char	*cache_dir;
	struct lock_options	 lock;
	/* purge: sign_key signs the record of the sealed sets it removes. */
	struct seals_options	 seals;
};

int	purge_run(const struct purge_options *, char **cause);
int	cleanup_run(const struct purge_options *, char **cause);

#endif
