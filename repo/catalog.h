/*
 * catalog.h: what is on a target, from its object names alone (no key
 * needed; format/names.h parses them). A set exists only when its manifest
 * is present; volumes of a set without one are debris of an interrupted
 * run.
 */
#ifndef TRESOR_CATALOG_H
#define TRESOR_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct transport;

struct catalog_set {
	char		*id;		/* "<TIME>.<TYPE>" */
	time_t		 time;
	int		 full;
	int		 has_manifest;
	uint32_t	 volumes;	/* volume objects present */
	uint64_t	 bytes;		/* stored bytes, manifest included */
};

struct catalog {
	struct catalog_set	*sets;	/* oldest first */
	size_t			 nsets;
};

int	catalog_load(struct transport *, struct catalog *, char **cause);
void	catalog_clear(struct catalog *);
/* The newest set that has a manifest, or NULL. */
const struct catalog_set *catalog_latest(const struct catalog *);
/* The newest complete set at or before time t, or NULL. */
const struct catalog_set *catalog_at(const struct catalog *, time_t);
/*
 * A chain is a complete full set and the complete incremental sets after
 * it, up to the next complete full set. Returns the index of the full set
 * starting the chain that set i belongs to, or -1 (an incremental with no
 * full before it, or an incomplete set).
 */
ssize_t	catalog_chain_start(const struct catalog *, size_t i);


#endif
