/* names.c: object names (see names.h). */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/xmalloc.h"
#include "format/names.h"

#define NAMES_PREFIX	"tresor."

char *
names_set_id(time_t t, int full)
{
	char	buf[17];

	clock_format_compact(t, buf);
	return xasprintf("%s.%s", buf, full ? "full" : "inc");
}

char *
names_volume(const char *set_id, uint32_t number)
{
	return xasprintf(NAMES_PREFIX "%s.vol%06u.gpg", set_id, number);
}

char *
names_seal(const char *id)
{
	return xasprintf(NAMES_PREFIX "%s.seal.asc", id);
}

char *
names_purge_id(time_t t)
{
	char	buf[17];

	clock_format_compact(t, buf);
	return xasprintf("%s.purge", buf);
}

int
names_parse_seal(const char *name, char **id)
{
	size_t		 n = strlen(name), plen = strlen(NAMES_PREFIX);
	const char	*suffix = ".seal.asc", *type;
	size_t		 slen = strlen(suffix), idlen;
	char		 tbuf[17];
	time_t		 t;

	if (n <= plen + slen || strncmp(name, NAMES_PREFIX, plen) != 0 ||
	    strcmp(name + n - slen, suffix) != 0)
		return -1;
	idlen = n - plen - slen;
	if (idlen < 18 || name[plen + 16] != '.')
		return -1;
	memcpy(tbuf, name + plen, 16);
	tbuf[16] = '\0';
	if (clock_parse(tbuf, &t) != 0 || strchr(tbuf, 'T') == NULL)
		return -1;
	type = name + plen + 17;
	idlen -= 17;
	if (!((idlen == 4 && strncmp(type, "full", 4) == 0) ||
	    (idlen == 3 && strncmp(type, "inc", 3) == 0) ||
	    (idlen == 5 && strncmp(type, "purge", 5) == 0)))
		return -1;
	*id = xmalloc(17 + idlen + 1);
	memcpy(*id, name + plen, 17 + idlen);
	(*id)[17 + idlen] = '\0';
	return 0;
}

char *
names_signatures(const char *set_id)
{
	return xasprintf(NAMES_PREFIX "%s.sigs.gpg", set_id);
}

char *
names_manifest(const char *set_id)
{
	return xasprintf(NAMES_PREFIX "%s.manifest.gpg", set_id);
}

/* "vol" + at least 6 digits + ".gpg" (more digits past volume 999999). */
static int
names_volume_suffix(const char *rest)
{
	size_t	digits;

	if (strncmp(rest, "vol", 3) != 0)
		return 0;
	digits = strspn(rest + 3, "0123456789");
	return digits >= 6 && strcmp(rest + 3 + digits, ".gpg") == 0;
}

int
names_parse(const char *name, char **id, time_t *t, int *full,
    enum name_kind *kind)
{
	char		 tbuf[17];
	const char	*p, *type_end, *rest;

	if (strncmp(name, NAMES_PREFIX, strlen(NAMES_PREFIX)) != 0)
		return -1;
	p = name + strlen(NAMES_PREFIX);
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
	rest = type_end + 1;
	if (strcmp(rest, "manifest.gpg") == 0)
		*kind = NAME_MANIFEST;
	else if (strcmp(rest, "sigs.gpg") == 0)
		*kind = NAME_SIGNATURES;
	else if (names_volume_suffix(rest))
		*kind = NAME_VOLUME;
	else
		return -1;
	*id = xmalloc((size_t)(type_end - p) + 1);
	memcpy(*id, p, (size_t)(type_end - p));
	(*id)[type_end - p] = '\0';
	return 0;
}
