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
#include "common/xmalloc.h"

struct cache {
	char	*dir;
	int	 lock_fd;
};

/* mkdir -p with mode 0700 for what we create. */
static int
cache_mkdirs(const char *path, char **cause)
{
	char	*copy = xstrdup(path), *p;
	int	 rc = -1;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		/* Each prefix, then the whole path. */
		char	saved = *p;

		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			error_sys(cause, "unable to create cache directory "
			    "'%s'", copy);
			goto out;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

struct cache *
cache_open(const char *cache_dir, const char *url, char **cause)
{
	struct cache	*c = xcalloc(1, sizeof *c);
	struct hash	*h = hash_new();
	uint8_t		 digest[HASH_LEN];
	char		 hex[HASH_HEX_LEN + 1], *url_path = NULL, buf[4096];
	FILE		*f = NULL;
	size_t		 n;

	c->lock_fd = -1;
	hash_update(h, url, strlen(url));
	hash_final(h, digest);
	hash_free(h);
	hash_to_hex(digest, hex);
	hex[32] = '\0';
	c->dir = xasprintf("%s/%s", cache_dir, hex);
	if (cache_mkdirs(c->dir, cause) != 0)
		goto fail;
	chmod(c->dir, 0700);
	url_path = xasprintf("%s/url", c->dir);
	if ((f = fopen(url_path, "re")) != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		if (n > 0 && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		if (strcmp(buf, url) != 0) {
			error_set(cause, "cache directory '%s' belongs to %s, "
			    "not %s; refusing to use it", c->dir, buf, url);
			goto fail;
		}
	} else {
		if ((f = fopen(url_path, "we")) == NULL ||
		    fprintf(f, "%s\n", url) < 0) {
			error_sys(cause, "unable to write '%s'", url_path);
			goto fail;
		}
	}
	fclose(f);
	free(url_path);
	return c;
fail:
	if (f != NULL)
		fclose(f);
	free(url_path);
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

void
cache_prune(struct cache *c, char *const *keep)
{
	DIR		*dir;
	struct dirent	*de;
	char		*path;
	size_t		 i;
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
		if (!kept)
			unlink(path);
		free(path);
	}
	closedir(dir);
}
