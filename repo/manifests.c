/* manifests.c: manifests stored and fetched (see manifests.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/storageop.h"
#include "common/xmalloc.h"
#include "format/filter/filter.h"
#include "format/names.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "transports/transport.h"

/* The file name of a path, as the record of storage operations names it. */
static const char *
manifest_base(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * A plaintext copy (the local cache's) is checked by nothing else: no
 * OpenPGP, no zstd checksum. A byte changed in it would be copied into
 * every later set (an unchanged file's sha256 or location), so its
 * SHA-256 is kept beside it in "<copy>.sha256" and checked before use.
 */
static char *
manifest_sum_path(const char *copy)
{
	return xasprintf("%s.sha256", copy);
}

static int
manifest_file_sha256(const char *path, uint8_t out[HASH_LEN], char **cause)
{
	struct hash	*h = hash_new();
	uint8_t		 buf[65536];
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		error_sys(cause, "unable to read '%s'", path);
		goto out;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(cause, "unable to read '%s'", path);
			goto out;
		}
		hash_update(h, buf, (size_t)n);
	}
	hash_final(h, out);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	hash_free(h);
	return rc;
}

/* Record the SHA-256 of file (the copy, or its temporary) for copy. */
static int
manifest_write_sum(const char *file, const char *copy, char **cause)
{
	uint8_t	 sum[HASH_LEN];
	char	 hex[HASH_HEX_LEN + 2];
	char	*path = manifest_sum_path(copy), *tmp = NULL;
	int	 fd = -1, rc = -1;

	if (manifest_file_sha256(file, sum, cause) != 0)
		goto out;
	hash_to_hex(sum, hex);
	hex[HASH_HEX_LEN] = '\n';
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || io_write_all(fd, hex, HASH_HEX_LEN + 1) != 0 ||
	    fsync(fd) != 0 || rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

int
manifest_read_cached(const char *path, const char *set_id,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	uint8_t	 want[HASH_LEN], got[HASH_LEN];
	char	 text[HASH_HEX_LEN + 2], want_hex[HASH_HEX_LEN + 1];
	char	 got_hex[HASH_HEX_LEN + 1];
	char	*sum = manifest_sum_path(path);
	ssize_t	 n = 0;
	int	 fd, rc = -1;

	/* No sum: a copy an older tresor made, read as it always was. */
	if ((fd = open(sum, O_RDONLY | O_CLOEXEC)) == -1 && errno != ENOENT) {
		error_sys(cause, "unable to read '%s'", sum);
		goto out;
	}
	if (fd != -1) {
		n = read(fd, text, sizeof text);
		close(fd);
		if (n != HASH_HEX_LEN + 1 || text[HASH_HEX_LEN] != '\n' ||
		    (text[HASH_HEX_LEN] = '\0', hash_from_hex(text,
		    want) != 0)) {
			error_set(cause, "the cache's copy '%s' is corrupt: "
			    "'%s' does not hold its SHA-256", path, sum);
			goto out;
		}
		if (manifest_file_sha256(path, got, cause) != 0)
			goto out;
		if (memcmp(want, got, HASH_LEN) != 0) {
			hash_to_hex(want, want_hex);
			hash_to_hex(got, got_hex);
			error_set(cause, "the cache's copy '%s' is corrupt: "
			    "sha256 %s, expected %s", path, got_hex, want_hex);
			goto out;
		}
	}
	rc = manifest_read_plain(path, set_id, v, arg, summary, cause);
out:
	free(sum);
	return rc;
}

/* "<copy>.stored": the stored object's size and SHA-256 (a seal's). */
static char *
manifest_stored_path(const char *copy)
{
	return xasprintf("%s.stored", copy);
}

/*
 * The hash stage's hook: the stored size and SHA-256 kept beside the
 * pending copy (synced) before the manifest is published, so that a run
 * killed before the seal leaves what the seal must name, no key needed.
 */
static int
manifest_write_stored(void *arg, const uint8_t digest[HASH_LEN],
    uint64_t size, char **cause)
{
	const char	*copy = arg;
	char		 hex[HASH_HEX_LEN + 1], *text = NULL;
	char		*path = manifest_stored_path(copy), *tmp = NULL;
	unsigned long	 seq;
	int		 fd = -1, rc = -1;

	hash_to_hex(digest, hex);
	text = xasprintf("%llu %s\n", (unsigned long long)size, hex);
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || io_write_all(fd, text, strlen(text)) != 0 ||
	    fsync(fd) != 0 || storageop_local("cache-write",
	    manifest_base(path), &seq) != 0 || rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto out;
	}
	storageop_local_done(seq);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	free(text);
	free(path);
	return rc;
}

int
manifest_publish(struct manifest_writer *mw, struct transport *t,
    struct crypto *c, int level, const struct manifest_header *h,
    const struct volume_info *vols, size_t nvols,
    const struct volume_info *sigs, const char *plain_copy,
    uint64_t *stored_size, uint8_t *stored_digest, char **cause)
{
	struct object_writer	*ow = NULL;
	struct sink		*s;
	FILE			*copy = NULL;
	char			*copy_tmp = NULL;
	char			*name = names_manifest(h->set_id);
	uint8_t			 digest[HASH_LEN];
	uint64_t		 size;
	unsigned long		 seq;
	int			 rc = -1;

	if (plain_copy != NULL) {
		copy_tmp = xasprintf("%s.tmp", plain_copy);
		if ((copy = fopen(copy_tmp, "we")) == NULL) {
			error_sys(cause, "unable to write '%s'", copy_tmp);
			goto out;
		}
	}
	if ((ow = object_writer_new(t, c, name, level, cause)) == NULL)
		goto out;
	if (plain_copy != NULL)
		object_writer_on_digest(ow, manifest_write_stored,
		    (void *)plain_copy);
	s = object_writer_sink(ow);
	if (manifest_writer_write(mw, s, copy, h, vols, nvols, sigs,
	    cause) != 0)
		goto out;
	/* The copy is in place before the set exists (see cache.h). */
	if (copy != NULL) {
		if (fflush(copy) != 0 || storageop_local("fsync",
		    manifest_base(copy_tmp), &seq) != 0 ||
		    fsync(fileno(copy)) != 0) {
			error_sys(cause, "unable to write '%s'", plain_copy);
			goto out;
		}
		storageop_local_done(seq);
		/* The sum first: a copy is never there without it. */
		if (manifest_write_sum(copy_tmp, plain_copy, cause) != 0)
			goto out;
		if (storageop_local("cache-write",
		    manifest_base(plain_copy), &seq) != 0 ||
		    rename(copy_tmp, plain_copy) != 0) {
			error_sys(cause, "unable to write '%s'", plain_copy);
			goto out;
		}
		storageop_local_done(seq);
	}
	if (object_writer_finish(ow, &size, digest, cause) != 0)
		goto out;
	if (stored_size != NULL)
		*stored_size = size;
	if (stored_digest != NULL)
		memcpy(stored_digest, digest, HASH_LEN);
	rc = 0;
out:
	if (copy != NULL)
		fclose(copy);
	if (copy_tmp != NULL) {
		unlink(copy_tmp);
		free(copy_tmp);
	}
	object_writer_free(ow);
	free(name);
	return rc;
}

int
manifest_read(struct transport *t, struct crypto *c, const char *set_id,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	return manifest_read_expect(t, c, set_id, NULL, NULL, v, arg, summary,
	    cause);
}

int
manifest_read_expect(struct transport *t, struct crypto *c,
    const char *set_id, const uint64_t *size, const uint8_t *digest,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	struct manifest_reader	*mr = manifest_reader_new(v, arg);
	struct sink		*chain;
	char			*name = names_manifest(set_id);
	char			*what = xasprintf("manifest '%s'", name);
	int			 rc = -1;

	chain = zstd_decompress_sink_new(what, manifest_reader_sink(mr));
	if (object_read(t, c, name, size, digest, chain, cause) != 0) {
		if (cause != NULL && *cause != NULL &&
		    strstr(*cause, name) == NULL)
			error_prefix(cause, "%s in %s", what,
			    transport_display(t));
		goto out;
	}
	rc = manifest_reader_check(mr, what, transport_display(t), set_id,
	    summary, cause);
out:
	sink_free(chain);
	manifest_reader_free(mr);
	free(name);
	free(what);
	return rc;
}

int
manifest_check_stored(struct transport *t, const char *set_id,
    const char *copy, uint64_t *size, uint8_t digest[HASH_LEN],
    char **cause)
{
	char		 text[HASH_HEX_LEN + 32], hex[HASH_HEX_LEN + 1];
	char		*path = manifest_stored_path(copy);
	char		*name = names_manifest(set_id);
	unsigned long long size_;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			rc = 1;
		else
			error_sys(cause, "unable to read '%s'", path);
		goto out;
	}
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0 || (text[n] = '\0', sscanf(text, "%llu %64s", &size_,
	    hex) != 2) || hash_from_hex(hex, digest) != 0) {
		error_set(cause, "the cache's record '%s' is corrupt", path);
		goto out;
	}
	*size = size_;
	/* The stored object must be the one this host wrote. */
	if (object_verify(t, name, *size, digest, cause) != 0)
		goto out;
	rc = 0;
out:
	free(name);
	free(path);
	return rc;
}

int
manifest_fetch(struct transport *t, struct crypto *c, const char *set_id,
    const char *path, char **cause)
{
	char	*name = names_manifest(set_id);
	int	 rc;

	rc = object_fetch(t, c, name, NULL, NULL, path, cause);
	if (rc == 0)
		rc = manifest_write_sum(path, path, cause);
	free(name);
	return rc;
}
