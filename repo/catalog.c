/* catalog.c: naming objects and grouping them into sets (see catalog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "catalog.h"
#include "transports/transport.h"

#define CATALOG_PREFIX	"tresor."

char *
catalog_set_id(time_t t, int full)
{
	char	buf[17];

	clock_format_compact(t, buf);
	return xasprintf("%s.%s", buf, full ? "full" : "inc");
}

char *
catalog_volume_name(const char *set_id, uint32_t number)
{
	return xasprintf(CATALOG_PREFIX "%s.vol%06u.gpg", set_id, number);
}

char *
catalog_manifest_name(const char *set_id)
{
	return xasprintf(CATALOG_PREFIX "%s.manifest.gpg", set_id);
}

/* "vol" + at least 6 digits + ".gpg" (more digits past volume 999999). */
static int
catalog_volume_suffix(const char *rest)
{
	size_t	digits;

	if (strncmp(rest, "vol", 3) != 0)
		return 0;
	digits = strspn(rest + 3, "0123456789");
	return digits >= 6 && strcmp(rest + 3 + digits, ".gpg") == 0;
}

/* Split "tresor.<TIME>.<TYPE>.<rest>"; 0 if the name is one of ours. */
static int
catalog_parse(const char *name, char **id, time_t *t, int *full,
    const char **rest)
{
	char		 tbuf[17];
	const char	*p, *type_end;

	if (strncmp(name, CATALOG_PREFIX, strlen(CATALOG_PREFIX)) != 0)
		return -1;
	p = name + strlen(CATALOG_PREFIX);
	if (strlen(p) < 17 || p[16] != '.')
		return -1;
	memcpy(tbuf, p, 16);
	tbuf[16] = '\0';
	if (clock_parse(tbuf, t) != 0 || strchr(tbuf, 'T') == NULL)
		return -1;
	type_end = strchr(p + 17, '.');
	if (type_end == NULL)
		return -1;
	if ((size_t)(type_end - (p + 17)) == 4 && strncmp(p + 17, "full", 4) == 0)
		*full = 1;
	else if ((size_t)(type_end - (p + 17)) == 3 &&
	    strncmp(p + 17, "inc", 3) == 0)
		*full = 0;
	else
		return -1;
	*id = xmalloc((size_t)(type_end - p) + 1);
	memcpy(*id, p, (size_t)(type_end - p));
	(*id)[type_end - p] = '\0';
	*rest = type_end + 1;
	return 0;
}

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
	const char		*rest;
	char			*id;
	time_t			 when;
	size_t			 i;
	int			 full, is_manifest;

	memset(c, 0, sizeof *c);
	if (transport_list(t, &names, cause) != 0)
		return -1;
	for (i = 0; i < names.count; i++) {
		if (catalog_parse(names.entries[i].name, &id, &when, &full,
		    &rest) != 0)
			continue;
		is_manifest = strcmp(rest, "manifest.gpg") == 0;
		if (!is_manifest && !catalog_volume_suffix(rest) &&
		    strcmp(rest, "sigs.gpg") != 0) {
			free(id);
			continue;
		}
		set = catalog_find_or_add(c, id, when, full);
		set->bytes += names.entries[i].size;
		if (is_manifest)
			set->has_manifest = 1;
		else if (strncmp(rest, "vol", 3) == 0)
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
