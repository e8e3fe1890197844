/*
 * names.h: the names of a target's objects (docs/FORMAT.md, "Object
 * names"), printed and parsed; no I/O.
 *
 *	tresor.<TIME>.<TYPE>.vol<NNNNNN>.gpg	a data volume
 *	tresor.<TIME>.<TYPE>.sigs.gpg		its files' signatures (optional)
 *	tresor.<TIME>.<TYPE>.manifest.gpg	the set's manifest, written last
 *
 *	tresor.<TIME>.<TYPE>.seal.asc		its seal (signed; repo/seals.c)
 *	tresor.<TIME>.purge.seal.asc		a purge's record (signed)
 *
 * TIME is the set's UTC time as YYYYMMDDTHHMMSSZ and TYPE is "full" or
 * "inc"; "<TIME>.<TYPE>" is the set id.
 */
#ifndef TRESOR_NAMES_H
#define TRESOR_NAMES_H

#include <stdint.h>
#include <time.h>

enum name_kind {
	NAME_VOLUME,
	NAME_SIGNATURES,
	NAME_MANIFEST,
};

/* Allocated names. */
char	*names_set_id(time_t, int full);
char	*names_volume(const char *set_id, uint32_t number);
char	*names_signatures(const char *set_id);
char	*names_manifest(const char *set_id);
/* A seal's name: id is a set id, or a purge id "<TIME>.purge". */
char	*names_seal(const char *id);
char	*names_purge_id(time_t);
/* Is name a seal? 0 with its id (allocated), else -1. */
int	 names_parse_seal(const char *name, char **id);

/*
 * Is name one of a set's objects? 0 with the set's id (allocated), time,
 * type and the object's kind; -1 if it is not (other files, temporaries).
 */
int	 names_parse(const char *name, char **id, time_t *t, int *full,
	     enum name_kind *kind);

#endif
