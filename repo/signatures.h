/*
 * signatures.h: a set's signatures object (its plaintext is
 * format/sigs.c's) uploaded from, and fetched into, the local cache.
 */
#ifndef TRESOR_SIGNATURES_H
#define TRESOR_SIGNATURES_H

#include "format/filter/crypto.h"
#include "format/manifest.h"

struct transport;

/* Upload a finished plaintext as the set's signatures object. */
int	sigs_publish(struct transport *, struct crypto *, const char *set_id,
	    const char *path, int level, struct volume_info *out,
	    char **cause);
/*
 * Fetch a set's signatures object into `path` (its plaintext), checked
 * against the stored size and SHA-256 the set's manifest records: the
 * manifest is read from `manifest_copy` (a plaintext copy) if not NULL,
 * else from the target. A mismatch is reported as corruption of the
 * object, naming it and the target.
 */
int	sigs_fetch(struct transport *, struct crypto *, const char *set_id,
	    const char *manifest_copy, const char *path, char **cause);

#endif
