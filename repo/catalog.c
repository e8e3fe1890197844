/* catalog.c: a target's objects grouped into sets (see catalog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "catalog.h"
#include "format/names.h"
#include "format/names.h"
#include "transports/transport.h"

static struct catalog_set *
catalog_find_or_add(struct catalog *c, char *id, time_t t, int full)
{
	size_t	i;

	for (i = 0; i < c->nsets; i++) {
		if (strcmp(c->sets[i].id, id) == 0) {
			free(id);
			return &c->sets[i];
		}
	}
	c->sets = xrealloc(c->sets, (c->nsets + 1) * sizeof *c->sets);
	memset(&c->sets[c->nsets], 0, sizeof *c->sets);
	c->sets[c->nsets].id = id;
	c->sets[c->nsets].time = t;
	c->sets[c->nsets].full = full;
	return &c->sets[c->nsets++];
}

static int
catalog_set_compare(const void *a, const void *b)
{
	return strcmp(((const struct catalog_set *)a)->id,
	    ((const struct catalog_set *)b)->id);
}

int
catalog_load(struct transport *t, struct catalog *c, char **cause)
{
	struct name_list	 names;
	struct catalog_set	*set;
	enum name_kind		 kind;
	char			*id;
	time_t			 when;
	size_t			 i;
	int			 full;

	memset(c, 0, sizeof *c);
	if (transport_list(t, &names, cause) != 0)
		return -1;
	for (i = 0; i < names.count; i++) {
		if (names_parse(names.entries[i].name, &id, &when, &full,
		    &kind) != 0)
			continue;
		set = catalog_find_or_add(c, id, when, full);
		set->bytes += names.entries[i].size;
		if (kind == NAME_MANIFEST)
			set->has_manifest = 1;
		else if (kind == NAME_VOLUME)
			set->volumes++;
	}
	if (c->nsets > 0)
		qsort(c->sets, c->nsets, sizeof *c->sets, catalog_set_compare);
	name_list_clear(&names);
	return 0;
}

void
catalog_clear(struct catalog *c)
{
	size_t	i;

	for (i = 0; i < c->nsets; i++)
		free(c->sets[i].id);
	free(c->sets);
	memset(c, 0, sizeof *c);
}

const struct catalog_set *
catalog_latest(const struct catalog *c)
{
	size_t	i;

	for (i = c->nsets; i > 0; i--) {
		if (c->sets[i - 1].has_manifest)
			return &c->sets[i - 1];
	}
	return NULL;
}

const struct catalog_set *
catalog_at(const struct catalog *c, time_t t)
{
	size_t	i;

	for (i = c->nsets; i > 0; i--) {
		if (c->sets[i - 1].has_manifest && c->sets[i - 1].time <= t)
			return &c->sets[i - 1];
	}
	return NULL;
}

ssize_t
catalog_chain_start(const struct catalog *c, size_t i)
{
	size_t	j;

	if (i >= c->nsets || !c->sets[i].has_manifest)
		return -1;
	for (j = i + 1; j > 0; j--) {
		if (c->sets[j - 1].has_manifest && c->sets[j - 1].full)
			return (ssize_t)(j - 1);
	}
	return -1;
}
