/*
 * retention.h: which sets a purge removes: whole chains (a full set and
 * its incrementals) whose newest set is older than the cutoff, so a set
 * that a kept set depends on is never removed, and never the newest chain.
 * status shows the same plan that purge carries out.
 */
#ifndef TRESOR_RETENTION_H
#define TRESOR_RETENTION_H

#include <stdint.h>
#include <time.h>

#define RETENTION_DEFAULT_AGE	(120LL * 86400)		/* 4M */

struct catalog;

/* Which sets purge would remove at `now` (1 = remove); [c->nsets]. */
uint8_t	*retention_plan(const struct catalog *, time_t now,
	    int64_t older_than);

#endif
