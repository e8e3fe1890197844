/*
 * backup.c: the backup engine (see backup.h).
 *
 * Record order inside the set is the walk order. A regular file becomes
 * ENTRY, then DATA and HOLE records (holes found with SEEK_HOLE are stored
 * as their length, so sparse files stay cheap and restore sparse), then
 * ENTRY_END with the size read and the SHA-256 of the content. When a
 * volume fills up inside a file, the volume is closed and the next one
 * starts with ENTRY_CONTINUE naming the file and the offset reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "format/catalog.h"
#include "format/manifest.h"
#include "format/record.h"
#include "format/volume.h"
#include "transports/transport.h"
#include "walker.h"

struct backup {
	const struct backup_options	*opts;
	struct transport		*transport;
	struct volume_writer		*vw;
	struct manifest_writer		*mw;
	struct walker_stats		 stats;
	struct recbuf			 rb;
	uint8_t				*buf;	/* RECORD_DATA_MAX bytes */
	uint64_t			 bytes_read;
	uint64_t			 files;
};

static const uint8_t backup_zeros[65536];

/* Close a full volume; inside a file, continue it in the next volume. */
static int
backup_maybe_rotate(struct backup *b, const char *path, uint64_t offset,
    char **cause)
{
	if (!volume_writer_full(b->vw))
		return 0;
	if (volume_writer_close(b->vw, cause) != 0)
		return -1;
	if (path == NULL)
		return 0;
	recbuf_reset(&b->rb);
	record_encode_continue(&b->rb, path, offset);
	return volume_writer_record(b->vw, RECORD_ENTRY_CONTINUE, b->rb.data,
	    b->rb.len, cause);
}

static int
backup_hole(struct backup *b, struct hash *h, uint64_t len, char **cause)
{
	uint64_t	left = len;
	size_t		n;

	if (len == 0)
		return 0;
	while (left > 0) {
		n = left < sizeof backup_zeros ? (size_t)left :
		    sizeof backup_zeros;
		hash_update(h, backup_zeros, n);
		left -= n;
	}
	recbuf_reset(&b->rb);
	recbuf_u64(&b->rb, len);
	return volume_writer_record(b->vw, RECORD_HOLE, b->rb.data, b->rb.len,
	    cause);
}

/* Store [*pos, end) of fd as DATA records (end = UINT64_MAX: to EOF). */
static int
backup_data(struct backup *b, int fd, const char *path, struct hash *h,
    uint64_t *pos, uint64_t end, int *eof, char **cause)
{
	ssize_t		n;
	size_t		want;
	char		*q;

	*eof = 0;
	while (*pos < end) {
		want = RECORD_DATA_MAX;
		if (end - *pos < want)
			want = (size_t)(end - *pos);
		n = pread(fd, b->buf, want, (off_t)*pos);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			q = log_quote(path);
			error_sys(cause, "unable to read '%s'", q);
			free(q);
			return -1;
		}
		if (n == 0) {
			*eof = 1;
			return 0;
		}
		hash_update(h, b->buf, (size_t)n);
		if (volume_writer_record(b->vw, RECORD_DATA, b->buf, (size_t)n,
		    cause) != 0)
			return -1;
		*pos += (uint64_t)n;
		b->bytes_read += (uint64_t)n;
		if (backup_maybe_rotate(b, path, *pos, cause) != 0)
			return -1;
	}
	return 0;
}

static int
backup_content(struct backup *b, int fd, const struct stat *sb,
    const char *path, struct hash *h, uint64_t *size, char **cause)
{
	uint64_t	pos = 0;
	off_t		data, hole;
	int		eof = 0;

	/* Only files with fewer blocks than bytes can have holes. */
	if ((uint64_t)sb->st_blocks * 512 >= (uint64_t)sb->st_size)
		goto dense;
	for (;;) {
		data = lseek(fd, (off_t)pos, SEEK_DATA);
		if (data == -1 && errno == ENXIO) {
			/* A hole runs to the end of the file. */
			data = lseek(fd, 0, SEEK_END);
			if (data == -1)
				goto dense;
			if ((uint64_t)data > pos && backup_hole(b, h,
			    (uint64_t)data - pos, cause) != 0)
				return -1;
			pos = (uint64_t)data > pos ? (uint64_t)data : pos;
			goto dense;	/* picks up anything appended since */
		}
		if (data == -1)
			goto dense;	/* no SEEK_DATA here: read it all */
		if (backup_hole(b, h, (uint64_t)data - pos, cause) != 0)
			return -1;
		pos = (uint64_t)data;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole == -1)
			goto dense;
		if (backup_data(b, fd, path, h, &pos, (uint64_t)hole, &eof,
		    cause) != 0)
			return -1;
		if (eof)
			break;
	}
	*size = pos;
	return 0;
dense:
	if (backup_data(b, fd, path, h, &pos, UINT64_MAX, &eof, cause) != 0)
		return -1;
	*size = pos;
	return 0;
}

static int
backup_open_file(struct walk_item *it)
{
	int	fd;

	fd = openat(it->dirfd, it->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOATIME);
	if (fd == -1 && errno == EPERM)
		fd = openat(it->dirfd, it->name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	return fd;
}

static int
backup_entry(void *arg, struct walk_item *it, char **cause)
{
	struct backup		*b = arg;
	struct manifest_entry	 me;
	struct hash		*h = NULL;
	struct stat		 sb;
	uint64_t		 size = 0;
	char			*q;
	int			 fd = -1, rc = -1;

	memset(&me, 0, sizeof me);
	if (backup_maybe_rotate(b, NULL, 0, cause) != 0)
		return -1;
	if (it->e.kind == 'f') {
		/* Open before anything is written: an unreadable file is
		 * skipped whole, never stored half. */
		fd = backup_open_file(it);
		if (fd == -1 || fstat(fd, &sb) != 0) {
			if (errno != ENOENT) {
				q = log_quote(it->e.path);
				log_warn("skipping '%s': cannot open: %s", q,
				    strerror(errno));
				free(q);
				b->stats.warnings++;
			}
			rc = 1;
			goto out;
		}
	}
	if (volume_writer_position(b->vw, &me.vol, &me.off, cause) != 0)
		goto out;
	recbuf_reset(&b->rb);
	record_encode_entry(&b->rb, &it->e);
	if (volume_writer_record(b->vw, RECORD_ENTRY, b->rb.data, b->rb.len,
	    cause) != 0)
		goto out;
	me.e = it->e;
	if (it->e.kind == 'f') {
		h = hash_new();
		if (backup_content(b, fd, &sb, it->e.path, h, &size,
		    cause) != 0)
			goto out;
		hash_final(h, me.sha256);
		me.has_sha256 = 1;
		me.e.size = size;
		recbuf_reset(&b->rb);
		record_encode_entry_end(&b->rb, size, me.sha256);
		if (volume_writer_record(b->vw, RECORD_ENTRY_END, b->rb.data,
		    b->rb.len, cause) != 0)
			goto out;
		b->files++;
	}
	if (volume_writer_position(b->vw, &me.last, &size, cause) != 0 ||
	    manifest_writer_add(b->mw, &me, cause) != 0)
		goto out;
	rc = 0;
out:
	hash_free(h);
	if (fd != -1)
		close(fd);
	return rc;
}

/* The name a source is stored under: its last path component. */
static char *
backup_stored_name(const char *path)
{
	char	*copy = xstrdup(path), *slash, *name;

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	name = xstrdup(slash != NULL && slash[1] != '\0' ? slash + 1 : copy);
	free(copy);
	return name;
}

static int
backup_check_sources(const struct backup_options *o, char **names,
    char **cause)
{
	struct stat	sb;
	size_t		i, j;

	if (o->nsources == 0)
		return error_set(cause, "no source given");
	for (i = 0; i < o->nsources; i++) {
		if (lstat(o->sources[i], &sb) != 0)
			return error_sys(cause, "unable to read source '%s'",
			    o->sources[i]);
		if (strcmp(names[i], "/") == 0 || strcmp(names[i], ".") == 0 ||
		    strcmp(names[i], "..") == 0)
			return error_set(cause, "source '%s' has no name to be "
			    "stored under; name a directory", o->sources[i]);
		for (j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0)
				return error_set(cause, "sources '%s' and '%s' "
				    "would both be stored as '%s'",
				    o->sources[j], o->sources[i], names[i]);
		}
	}
	return 0;
}

int
backup_run(const struct backup_options *o, char **cause)
{
	struct backup			 b;
	struct crypto			*crypto = NULL;
	struct catalog			 cat;
	struct manifest_header		 mh;
	const struct volume_info	*vols;
	struct timespec			 t0, t1;
	char				**names, *set_id = NULL;
	time_t				 now;
	uint64_t			 stored = 0;
	size_t				 i, nvols;
	int				 rc = EXIT_FAILURE_;

	memset(&b, 0, sizeof b);
	memset(&cat, 0, sizeof cat);
	memset(&mh, 0, sizeof mh);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b.opts = o;
	names = xcalloc(o->nsources + 1, sizeof *names);
	for (i = 0; i < o->nsources; i++)
		names[i] = backup_stored_name(o->sources[i]);
	if (backup_check_sources(o, names, cause) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (clock_now(&now, cause) != 0)
		goto out;
	if ((crypto = crypto_new(&o->crypto, 0, cause)) == NULL)
		goto out;
	if ((b.transport = transport_open(o->url, cause)) == NULL)
		goto out;
	if (catalog_load(b.transport, &cat, cause) != 0)
		goto out;
	set_id = catalog_set_id(now, 1);
	for (i = 0; i < cat.nsets; i++) {
		if (strcmp(cat.sets[i].id, set_id) == 0) {
			error_set(cause, "set %s already exists in %s (one "
			    "backup per second at most)", set_id,
			    transport_display(b.transport));
			goto out;
		}
	}
	if ((b.mw = manifest_writer_new(cause)) == NULL)
		goto out;
	b.vw = volume_writer_new(b.transport, crypto, set_id, o->volsize,
	    o->level);
	b.buf = xmalloc(RECORD_DATA_MAX);
	for (i = 0; i < o->nsources; i++) {
		if (walker_run(o->sources[i], names[i], backup_entry, &b,
		    &b.stats, cause) != 0)
			goto out;
	}
	if (volume_writer_close(b.vw, cause) != 0)
		goto out;
	vols = volume_writer_volumes(b.vw, &nvols);
	mh.set_id = set_id;
	mh.full = 1;
	mh.time = now;
	mh.sources = names;
	mh.nsources = o->nsources;
	manifest_writer_set_warnings(b.mw, b.stats.warnings);
	if (manifest_writer_publish(b.mw, b.transport, crypto, o->level, &mh,
	    vols, nvols, cause) != 0)
		goto out;
	for (i = 0; i < nvols; i++)
		stored += vols[i].size;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("backup: set %s in %s: %" PRIu64 " entries (%" PRIu64
		    " files, %" PRIu64 " bytes), %zu volumes, %" PRIu64
		    " bytes stored, %" PRIu64 " warnings, %.1f s\n", set_id,
		    transport_display(b.transport), b.stats.entries, b.files, b.bytes_read, nvols, stored,
		    b.stats.warnings, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = b.stats.warnings > 0 ? EXIT_WARNINGS : EXIT_OK;
	if (rc == EXIT_WARNINGS)
		error_set(cause, "backup %s completed, but %" PRIu64 " entries "
		    "could not be read and are not in it", set_id,
		    b.stats.warnings);
out:
	if (rc == EXIT_FAILURE_ && b.transport != NULL && set_id != NULL &&
	    cause != NULL && *cause != NULL)
		error_prefix(cause, "backup %s failed, no set was published",
		    set_id);
	volume_writer_free(b.vw);
	manifest_writer_free(b.mw);
	transport_close(b.transport);
	crypto_free(crypto);
	catalog_clear(&cat);
	recbuf_free(&b.rb);
	free(b.buf);
	for (i = 0; i < o->nsources; i++)
		free(names[i]);
	free(names);
	free(set_id);
	return rc;
}
