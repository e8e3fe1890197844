/*
 * cache.h: the local cache, one directory per target:
 *
 *	<cache-dir>/<first 32 hex digits of SHA-256(normalised URL)>/
 *		url			the normalised URL (url_normalised: no
 *					password, one spelling per target)
 *		lock			flock'd while a run uses the target
 *		manifest.<SETID>	plaintext manifest of the newest set
 *		sigs.<SETID>		plaintext signatures of a set in the chain
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
/* Remove manifest.* and sigs.* files not named in keep (NULL-ended). */
void		 cache_prune(struct cache *, char *const *keep);

#endif
