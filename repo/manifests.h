/*
 * manifests.h: a set's manifest as an object on a target: published last
 * (which is what makes the set exist), read through a visitor, or fetched
 * as plaintext into the local cache. The text itself is format/manifest.c's.
 */
#ifndef TRESOR_MANIFESTS_H
#define TRESOR_MANIFESTS_H

#include "format/filter/crypto.h"
#include "format/manifest.h"

struct transport;

/*
 * Publish the manifest (last object of a set: the set exists once it is
  * there) and, if plain_copy is not NULL, keep its plaintext there: written
 * and synced before the manifest is published (a pending name, cache.h).
 * The stored object's size and SHA-256 (for its seal) go to stored_size
 * and stored_digest when not NULL.
 */
int	manifest_publish(struct manifest_writer *, struct transport *,
	    struct crypto *, int level, const struct manifest_header *,
	    const struct volume_info *, size_t,
	    const struct volume_info *sigs, const char *plain_copy,
	    uint64_t *stored_size, uint8_t *stored_digest, char **cause);
int	manifest_read(struct transport *, struct crypto *, const char *set_id,
	    const struct manifest_visitor *, void *,
	    struct manifest_summary *, char **cause);
/*
 * Read a plaintext copy (the cache's) after checking it against the
 * SHA-256 that manifest_publish or manifest_fetch kept beside it, in
 * "<path>.sha256" (a copy without one, from an older tresor, is read
 * unchecked). A mismatch is "... is corrupt".
 */
int	manifest_read_cached(const char *path, const char *set_id,
	    const struct manifest_visitor *, void *,
	    struct manifest_summary *, char **cause);
/*
 * The stored size and SHA-256 manifest_publish kept beside a pending copy
 * ("<copy>.stored", written before the manifest was published): 0 if
 * set_id's stored manifest matches them (they are in size and digest), 1
 * if there is no such record, -1 with *cause otherwise (a mismatch is
 * "... is corrupt").
 */
int	manifest_check_stored(struct transport *, const char *set_id,
	    const char *copy, uint64_t *size, uint8_t digest[HASH_LEN],
	    char **cause);
/* The same, the stored bytes held to a size and SHA-256 (its seal's). */
int	manifest_read_expect(struct transport *, struct crypto *,
	    const char *set_id, const uint64_t *size, const uint8_t *digest,
	    const struct manifest_visitor *, void *,
	    struct manifest_summary *, char **cause);
/* Fetch a manifest's plaintext into a local file (with its SHA-256). */
int	manifest_fetch(struct transport *, struct crypto *, const char *set_id,
	    const char *path, char **cause);

#endif
