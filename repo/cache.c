/* cache.c: the per-target local cache directory (see cache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/storageop.h"
#include "common/xmalloc.h"
#include "format/names.h"
#include "transports/transport.h"
#include "transports/url.h"

struct cache {
	char	*dir;
	int	 lock_fd;
};

/*
 * What to do about a cache directory tresor may not create or write: the
 * default one needs root.
 */
static const char *
cache_hint(const char *path, int error)
{
	if (error != EACCES && error != EPERM && error != EROFS)
		return "";
	if (strncmp(path, CACHE_DEFAULT_DIR, strlen(CACHE_DEFAULT_DIR)) == 0)
		return " (run as root, or give --cache-dir DIR or "
		    "TRESOR_CACHE_DIR)";
	return " (give a writable --cache-dir DIR or TRESOR_CACHE_DIR)";
}

/* mkdir -p with mode 0700 for what we create. */
static int
cache_mkdirs(const char *path, char **cause)
{
	char	*copy = xstrdup(path), *p;
	int	 rc = -1, saved_errno;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		/* Each prefix, then the whole path. */
		char	saved = *p;

		*p = '\0';
		struct stat	st;
		unsigned long	seq = 0;

		/* Only a directory made is a storage operation. */
		if (stat(copy, &st) != 0 && (storageop_local("cache-mkdir",
		    copy, &seq) != 0 || (mkdir(copy, 0700) != 0 &&
		    errno != EEXIST))) {
			saved_errno = errno;
			error_set(cause, "unable to create cache directory "
			    "'%s': %s%s", copy, strerror(saved_errno),
			    cache_hint(copy, saved_errno));
			goto out;
		}
		storageop_local_done(seq);
		*p = saved;
		if (saved == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* <cache-dir>/<first 32 hex digits of SHA-256(text)>. */
static char *
cache_key_dir(const char *cache_dir, const char *text)
{
	struct hash	*h = hash_new();
	uint8_t		 digest[HASH_LEN];
	char		 hex[HASH_HEX_LEN + 1];

	hash_update(h, text, strlen(text));
	hash_final(h, digest);
	hash_free(h);
	hash_to_hex(digest, hex);
	hex[32] = '\0';
	return xasprintf("%s/%s", cache_dir, hex);
}

/*
 * The first line of a url file, or NULL if there is none. An empty one
 * counts as none: tresor before issue 17 wrote it in place, and a crash
 * at that moment left it empty, which then refused the directory forever.
 */
static char *
cache_read_url(const char *dir)
{
	char	*path = xasprintf("%s/url", dir), buf[4096], *out = NULL;
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "re")) != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] != '\0')
			out = xstrdup(buf);
		fclose(f);
	}
	free(path);
	return out;
}

/*
 * Write the url file: the normalised URL, which holds no password. Written
 * to url.tmp, synced and renamed, so it is whole or absent.
 */
static int
cache_write_url(const char *dir, const char *key, char **cause)
{
	char		*path = xasprintf("%s/url", dir);
	char		*tmp = xasprintf("%s/url.tmp", dir);
	FILE		*f;
	unsigned long	 seq = 0;
	int		 rc = -1, saved_errno;

	if ((f = fopen(tmp, "we")) == NULL || fprintf(f, "%s\n", key) < 0 ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0 ||
	    storageop_local("cache-write", "url", &seq) != 0 ||
	    rename(tmp, path) != 0) {
		saved_errno = errno;
		error_set(cause, "unable to write '%s': %s%s", path,
		    strerror(saved_errno), cache_hint(path, saved_errno));
		unlink(tmp);
		goto out;
	}
	storageop_local_done(seq);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(tmp);
	free(path);
	return rc;
}

/*
 * Until issue 13 the directory was keyed by the URL as displayed,
 * not normalised: move such a directory to its new name, so an incremental
 * backup still finds the copies it needs without the secret key.
 */
static void
cache_adopt_legacy(const char *cache_dir, const char *display,
    const char *key, const char *dir)
{
	struct stat	 st;
	char		*old, *old_url, *cause = NULL;

	if (strcmp(display, key) == 0 || lstat(dir, &st) == 0)
		return;
	old = cache_key_dir(cache_dir, display);
	old_url = cache_read_url(old);
	if (old_url != NULL && strcmp(old_url, display) == 0 &&
	    rename(old, dir) == 0) {
		log_info("cache directory %s moved to %s (now keyed by the "
		    "normalised URL %s)", old, dir, key);
		/* If this fails, cache_open says the directory is not ours. */
		cache_write_url(dir, key, &cause);
		free(cause);
	}
	free(old_url);
	free(old);
}

struct cache *
cache_open(const char *cache_dir, const char *text, char **cause)
{
	struct cache	*c = xcalloc(1, sizeof *c);
	struct url	 u;
	char		*key = NULL, *url = NULL;

	c->lock_fd = -1;
	if (url_parse(text, &u, cause) != 0)
		goto fail;
	key = url_normalised(&u);
	c->dir = cache_key_dir(cache_dir, key);
	cache_adopt_legacy(cache_dir, u.display, key, c->dir);
	url_clear(&u);
	if (cache_mkdirs(c->dir, cause) != 0)
		goto fail;
	chmod(c->dir, 0700);
	if ((url = cache_read_url(c->dir)) != NULL) {
		if (strcmp(url, key) != 0) {
			error_set(cause, "cache directory '%s' belongs to %s, "
			    "not %s; refusing to use it", c->dir, url, key);
			goto fail;
		}
	} else if (cache_write_url(c->dir, key, cause) != 0)
		goto fail;
	free(url);
	free(key);
	return c;
fail:
	free(url);
	free(key);
	cache_close(c);
	return NULL;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->lock_fd != -1)
		close(c->lock_fd);
	free(c->dir);
	free(c);
}

const char *
cache_dir(const struct cache *c)
{
	return c->dir;
}

int
cache_lock(struct cache *c, char **cause)
{
	char	*path = xasprintf("%s/lock", c->dir);
	int	 rc = -1;

	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd == -1) {
		error_sys(cause, "unable to open lock file '%s'", path);
		goto out;
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			error_set(cause, "another tresor run is using this "
			    "target on this machine (lock '%s')", path);
		else
			error_sys(cause, "unable to lock '%s'", path);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

char *
cache_manifest_path(const struct cache *c, const char *set_id)
{
	return xasprintf("%s/manifest.%s", c->dir, set_id);
}

char *
cache_sigs_path(const struct cache *c, const char *set_id)
{
	return xasprintf("%s/sigs.%s", c->dir, set_id);
}

int
cache_has(const struct cache *c, const char *path)
{
	(void)c;
	return access(path, R_OK) == 0;
}

char *
cache_pending_path(const char *path)
{
	return xasprintf("%s.pending", path);
}

/* "manifest.<SETID>.pending" or "sigs.<SETID>.pending": the set's ID. */
static char *
cache_pending_set(const char *file)
{
	const char	*id;
	size_t		 len = strlen(file), plen = strlen(".pending");

	if (strncmp(file, "manifest.", 9) == 0)
		id = file + 9;
	else if (strncmp(file, "sigs.", 5) == 0)
		id = file + 5;
	else
		return NULL;
	if (len <= plen || strcmp(file + len - plen, ".pending") != 0 ||
	    (size_t)(file + len - plen - id) == 0)
		return NULL;
	return xasprintf("%.*s", (int)(file + len - plen - id), id);
}

static void
cache_unlink_stored(const char *pending)
{
	char	*path = xasprintf("%s.stored", pending);

	unlink(path);
	free(path);
}

int
cache_adopt(struct cache *c, struct transport *t, cache_adopt_fn *before,
    void *arg, char **cause)
{
	DIR		*dir;
	struct dirent	*de;
	char		*set = NULL, *manifest = NULL, *from = NULL, *to = NULL;
	char		*from_sum = NULL, *to_sum = NULL;
	uint64_t	 size;
	unsigned long	 seq;
	int		 rc = -1, found;

	if ((dir = opendir(c->dir)) == NULL)
		return error_sys(cause, "unable to read cache directory '%s'",
		    c->dir);
	while ((de = readdir(dir)) != NULL) {
		free(set);
		free(manifest);
		free(from);
		free(to);
		free(from_sum);
		free(to_sum);
		manifest = from = to = from_sum = to_sum = NULL;
		if ((set = cache_pending_set(de->d_name)) == NULL)
			continue;
		manifest = names_manifest(set);
		if ((found = transport_stat(t, manifest, &size, cause)) < 0) {
			error_prefix(cause, "unable to tell whether the cache's "
			    "pending copy '%s' was published", de->d_name);
			goto out;
		}
		from = xasprintf("%s/%s", c->dir, de->d_name);
		from_sum = xasprintf("%s.sha256", from);
		if (found == 1) {
			/* Its run never published the set. */
			if (storageop_local("cache-delete", de->d_name,
			    &seq) != 0 || (unlink(from) != 0 && errno != ENOENT))
				log_warn("unable to remove '%s': %s", from,
				    strerror(errno));
			else
				storageop_local_done(seq);
			unlink(from_sum);
			cache_unlink_stored(from);
			continue;
		}
		if (before != NULL && strncmp(de->d_name, "manifest.", 9) == 0 &&
		    before(arg, set, from, cause) != 0)
			goto out;
		to = xasprintf("%.*s", (int)(strlen(from) - strlen(".pending")), from);
		/*
		 * The copy's SHA-256 (manifests.c) moves first: a crash
		 * between the two renames leaves the pending copy, adopted
		 * again next time, never a copy under its name without its sum.
		 */
		to_sum = xasprintf("%s.sha256", to);
		if (rename(from_sum, to_sum) != 0 && errno != ENOENT) {
			error_sys(cause, "unable to write '%s'", to_sum);
			goto out;
		}
		if (storageop_local("cache-write", strrchr(to, '/') + 1,
		    &seq) != 0 || rename(from, to) != 0) {
			error_sys(cause, "unable to write '%s'", to);
			goto out;
		}
		storageop_local_done(seq);
		/* Only needed while pending (manifests.h). */
		cache_unlink_stored(from);
	}
	rc = 0;
out:
	closedir(dir);
	free(set);
	free(manifest);
	free(from);
	free(to);
	free(from_sum);
	free(to_sum);
	return rc;
}

void
cache_prune(struct cache *c, char *const *keep)
{
	DIR		*dir;
	struct dirent	*de;
	char		*path;
	size_t		 i;
	unsigned long	 seq;
	int		 kept;

	if ((dir = opendir(c->dir)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "manifest.", 9) != 0 &&
		    strncmp(de->d_name, "sigs.", 5) != 0)
			continue;
		path = xasprintf("%s/%s", c->dir, de->d_name);
		kept = 0;
		for (i = 0; keep[i] != NULL; i++) {
			if (strcmp(keep[i], path) == 0)
				kept = 1;
		}
		if (!kept && storageop_local("cache-delete", de->d_name,
		    &seq) == 0 && unlink(path) == 0)
			storageop_local_done(seq);
		free(path);
	}
	closedir(dir);
}
