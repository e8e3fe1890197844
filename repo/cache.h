/*
 * cache.h: the local cache, one directory per target:
 *
 *	<cache-dir>/<first 32 hex digits of SHA-256(normalised URL)>/
 *		url			the normalised URL (url_normalised: no
 *					password, one spelling per target)
 *		lock			flock'd while a run uses the target
 *		manifest.<SETID>	plaintext manifest of the newest set
 *		sigs.<SETID>		plaintext signatures of a set in the chain
 *		manifest.<SETID>.pending, sigs.<SETID>.pending
 *					the same, written before the set is
 *					published; adopted (renamed) once the
 *					target has its manifest
 *
 * A copy is never newer than the target: a run writes the new set's copies
 * as .pending first, publishes the manifest, then adopts them. A run killed
 * between the two leaves them pending, and the next run adopts them (the
 * set is on the target) or removes them (it is not), so an incremental
 * with only the public key still finds the newest set's manifest.
 *
 * An incremental backup runs with only the public key, so it cannot read
 * the target's manifests and signatures: it reads these copies. They are
 * only ever a copy: a missing or stale cache is rebuilt from the target
 * (which needs the secret key), and a directory whose url file names
 * another URL is never used.
 */
#ifndef TRESOR_CACHE_H
#define TRESOR_CACHE_H

#define CACHE_DEFAULT_DIR	"/var/cache/tresor"

struct cache;
struct transport;

/*
 * Open or create the target's cache directory (mode 0700). The URL may be
 * any spelling of the target's, with or without password: the directory is
 * named and labelled by its normalised form. A directory named by an older
 * tresor (by the URL as displayed) is moved to the new name.
 */
struct cache	*cache_open(const char *cache_dir, const char *url,
		     char **cause);
void		 cache_close(struct cache *);
const char	*cache_dir(const struct cache *);
/* Take the run lock (flock, non-blocking): one run per target here. */
int		 cache_lock(struct cache *, char **cause);
char		*cache_manifest_path(const struct cache *, const char *set_id);
char		*cache_sigs_path(const struct cache *, const char *set_id);
int		 cache_has(const struct cache *, const char *path);
/* The name a copy is written under until its set is published. */
char		*cache_pending_path(const char *path);
/*
 * Adopt the pending copies: those of a set whose manifest is on the target
 * become manifest.<SETID> and sigs.<SETID>; the others are removed. Call it
 * holding the target's lock. 0, or -1 (cause set) if the target could not
 * be asked or a file not renamed. If before is not NULL, it is called with
 * each published set's ID and pending manifest copy before that copy is
 * adopted (a copy still pending proves this host published the set); if
 * it fails, so does cache_adopt, and the copy stays pending.
 */
typedef int	 cache_adopt_fn(void *arg, const char *set_id,
		     const char *copy, char **cause);
int		 cache_adopt(struct cache *, struct transport *,
		     cache_adopt_fn *before, void *arg, char **cause);
/* Remove manifest.* and sigs.* files not named in keep (NULL-ended). */
void		 cache_prune(struct cache *, char *const *keep);

#endif
