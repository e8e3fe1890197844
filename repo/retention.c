/* retention.c: which sets purge removes (see retention.h). */
#include <stdlib.h>

#include "common/xmalloc.h"
#include "repo/catalog.h"
#include "repo/retention.h"

uint8_t *
retention_plan(const struct catalog *c, time_t now, int64_t older_than)
{
	uint8_t		*remove = xcalloc(c->nsets + 1, 1);
	const struct catalog_set *latest = catalog_latest(c);
	ssize_t		 start, keep_start = -1;
	size_t		 i, j, end;
	time_t		 newest;

	if (latest != NULL)
		keep_start = catalog_chain_start(c, (size_t)(latest - c->sets));
	for (i = 0; i < c->nsets; i = end) {
		/* A chain: from a complete full to the next complete full. */
		start = catalog_chain_start(c, i);
		for (end = i + 1; end < c->nsets &&
		    !(c->sets[end].has_manifest && c->sets[end].full); end++)
			;
		if (start < 0 && !c->sets[i].has_manifest) {
			end = i + 1;	/* debris is cleanup's business */
			continue;
		}
		if ((ssize_t)i == keep_start || (latest != NULL &&
		    (size_t)(latest - c->sets) >= i &&
		    (size_t)(latest - c->sets) < end))
			continue;	/* the newest chain is always kept */
		newest = 0;
		for (j = i; j < end; j++) {
			if (c->sets[j].has_manifest && c->sets[j].time > newest)
				newest = c->sets[j].time;
		}
		if (now - newest < older_than)
			continue;
		for (j = i; j < end; j++) {
			if (c->sets[j].has_manifest)
				remove[j] = 1;
		}
	}
	return remove;
}
