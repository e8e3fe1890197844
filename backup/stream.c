/*
 * stream.c: storing a stream, pg_dump's output, as one regular file of the
 * set (see pgdump.h).
 *
 * A stream cannot be read twice, and its size is known only at its end.
 * So, unlike a file:
 * - its ENTRY record carries size 0; ENTRY_END and the manifest carry the
 *   real size, as for every file;
 * - with a previous version that has a signature, it is always stored as
 *   a delta, written straight into the volumes (never spooled: a file's
 *   delta is spooled only to decide whether it pays, and for a database
 *   dump changed by a few percent a night it does);
 * - otherwise it is stored whole, with a signature whose block length is
 *   sized from the database's size on disk.
 * The set is good only if the stream's producer exits with status 0: a
 * pg_dump that dies halfway leaves a stream that ends cleanly but is
 * short, and the backup fails before any manifest is published.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "repo/cache.h"
#include "common/child.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "engine.h"
#include "format/filter/rsync.h"
#include "format/sigs.h"
#include "repo/volume.h"
#include "db/pgdump.h"

/*
 * Signature blocks: 512 bytes, chosen from benchmarks/blocklen.sh (results
 * in benchmarks/results/blocklen-*.md, reasoning in docs/ARCHITECTURE.md).
 * A dump's rows are about 100 bytes and one changed row costs a whole
 * block of literal delta: with 2% of a pgbench table's rows changed, every
 * 50th, 2 KiB blocks stored 0.93x what restic stores, 512-byte ones 0.40x,
 * for a signature of 7% of the dump's size instead of 1.8%. Larger only
 * for a database so big that its signature would pass 2^20 blocks: the
 * next night's delta holds the loaded signature, about 100 bytes of memory
 * a block (measured: the incremental's peak RSS grows by 13 MB from 2 KiB
 * to 512-byte blocks on a 110 MB dump), so at most about 100 MB. That is
 * from a 512 MiB estimate on: 1 GiB gets 1 KiB blocks, 2 GiB 2 KiB ones.
 */
#define STREAM_BLOCK_MIN	512
#define STREAM_BLOCK_MAX	(1024 * 1024)
#define STREAM_MAX_BLOCKS	(1ULL << 20)

/*
 * The floor can be changed for a measurement (benchmarks/blocklen.sh) with
 * TRESOR_DUMP_BLOCK_LEN, 256 to 1 MiB: the cap on the number of blocks
 * still applies. The signature records its block length, so nothing that
 * reads a set depends on the value.
 */
#define STREAM_BLOCK_ENV	"TRESOR_DUMP_BLOCK_LEN"
#define STREAM_BLOCK_ENV_MIN	256

int
backup_dump_block_len(uint64_t estimate, size_t *out, char **cause)
{
	const char		*env = getenv(STREAM_BLOCK_ENV);
	char			*end;
	unsigned long long	 floor = STREAM_BLOCK_MIN;
	uint64_t		 len;

	if (env != NULL && *env != '\0') {
		errno = 0;
		floor = strtoull(env, &end, 10);
		if (errno != 0 || *end != '\0' || *env < '0' || *env > '9' ||
		    floor < STREAM_BLOCK_ENV_MIN || floor > STREAM_BLOCK_MAX)
			return error_set(cause, "%s must be a number of bytes "
			    "from %d to %d", STREAM_BLOCK_ENV,
			    STREAM_BLOCK_ENV_MIN, STREAM_BLOCK_MAX);
	}
	/* Past the floor only to keep under the cap on the number of blocks. */
	len = estimate / STREAM_MAX_BLOCKS +
	    (estimate % STREAM_MAX_BLOCKS != 0);
	if (len <= floor)
		len = floor;
	else
		len = (len + 511) / 512 * 512;
	if (len > STREAM_BLOCK_MAX)
		len = STREAM_BLOCK_MAX;
	*out = (size_t)len;
	return 0;
}

/* Fill buf from the stream as far as it goes: 0 at its end, -1 on error. */
static ssize_t
stream_read(int fd, uint8_t *buf, size_t len, char **cause)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return error_sys(cause, "unable to read the dump");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A stage writing DELTA records into the volumes; lives on the stack. */
struct delta_records {
	struct sink	 sink;
	struct backup	*b;
	const char	*path;
	struct hash	*hash;
	uint64_t	 bytes;
};

static int
delta_records_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct delta_records	*d = (struct delta_records *)s;
	const uint8_t		*p = buf;
	size_t			 n;

	while (len > 0) {
		n = len < RECORD_DATA_MAX ? len : RECORD_DATA_MAX;
		hash_update(d->hash, p, n);
		if (volume_writer_record(d->b->vw, RECORD_DELTA, p, n,
		    cause) != 0 || backup_maybe_rotate(d->b, d->path, 0,
		    cause) != 0)
			return -1;
		d->bytes += n;
		p += n;
		len -= n;
	}
	return 0;
}

static int
delta_records_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
delta_records_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops delta_records_ops = {
	.name = "delta-records",
	.write = delta_records_write,
	.finish = delta_records_finish,
	.free = delta_records_free,
};

static int
stream_whole(struct backup *b, struct manifest_entry *me, int fd,
    size_t block_len, char **cause)
{
	struct hash	*h = hash_new();
	struct sink	*sig = NULL, *framing;
	uint64_t	 pos = 0;
	ssize_t		 n;
	int		 rc = -1;

	if (backup_begin_records(b, &me->e, me, cause) != 0)
		goto out;
	framing = sigs_writer_begin(b->sw, me->e.path, &me->sig_off, cause);
	if (framing == NULL)
		goto out;
	sig = rsync_signature_sink_new_block(block_len, framing);
	me->has_sig = 1;
	while ((n = stream_read(fd, b->buf, RECORD_DATA_MAX, cause)) > 0) {
		hash_update(h, b->buf, (size_t)n);
		if (sink_write(sig, b->buf, (size_t)n, cause) != 0 ||
		    volume_writer_record(b->vw, RECORD_DATA, b->buf, (size_t)n,
		    cause) != 0)
			goto out;
		pos += (uint64_t)n;
		b->bytes_read += (uint64_t)n;
		backup_progress(b, 0);
		if (backup_maybe_rotate(b, me->e.path, pos, cause) != 0)
			goto out;
	}
	if (n < 0)
		goto out;
	me->e.size = pos;
	rc = backup_end_whole(b, me, sig, h, cause);
out:
	sink_free(sig);
	hash_free(h);
	return rc;
}

static int
stream_delta(struct backup *b, struct manifest_entry *me, int fd,
    const struct manifest_entry *prev, char **cause)
{
	struct delta_records	 out = { { &delta_records_ops }, b, NULL,
				     NULL, 0 };
	struct rsync_signature	*rsig;
	struct sink		*delta = NULL;
	struct hash		*h = hash_new();
	uint64_t		 pos = 0;
	ssize_t			 n;
	int			 rc = -1;

	out.path = me->e.path;
	out.hash = hash_new();
	if ((rsig = backup_load_signature(b, prev, cause)) == NULL)
		goto out;
	if (backup_begin_records(b, &me->e, me, cause) != 0)
		goto out;
	delta = rsync_delta_sink_new(rsig, &out.sink);
	while ((n = stream_read(fd, b->buf, RECORD_DATA_MAX, cause)) > 0) {
		hash_update(h, b->buf, (size_t)n);
		if (sink_write(delta, b->buf, (size_t)n, cause) != 0)
			goto out;
		pos += (uint64_t)n;
		b->bytes_read += (uint64_t)n;
		backup_progress(b, 0);
	}
	if (n < 0 || sink_finish(delta, cause) != 0)
		goto out;
	me->e.size = pos;
	hash_final(h, me->sha256);
	me->has_sha256 = 1;
	me->is_delta = 1;
	me->delta_size = out.bytes;
	hash_final(out.hash, me->delta_sha256);
	backup_prev_whole(b, prev, me);
	if (backup_end_records(b, me, cause) != 0)
		goto out;
	b->deltas++;
	rc = 0;
out:
	sink_free(delta);
	rsync_signature_free(rsig);
	hash_free(h);
	hash_free(out.hash);
	return rc;
}

/* An entry the run makes up: ours, made now. */
static void
stream_entry(struct backup *b, struct entry *e, char kind, uint32_t mode,
    char *path)
{
	e->kind = kind;
	e->mode = mode;
	e->uid = (uint32_t)getuid();
	e->gid = (uint32_t)getgid();
	e->mtime_sec = b->now;
	e->path = path;
}

/* Directory entries for the parents of a stored path ("ecs-pgdump"). */
static int
stream_parents(struct backup *b, char *path, char **cause)
{
	struct walk_item	 it;
	char			*slash;
	int			 rc;

	for (slash = strchr(path, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		memset(&it, 0, sizeof it);
		*slash = '\0';
		stream_entry(b, &it.e, 'd', 0700, path);
		rc = backup_entry(b, &it, cause);
		*slash = '/';
		if (rc != 0)
			return -1;
		b->stats.entries++;
	}
	return 0;
}

int
backup_database(struct backup *b, uint64_t estimate, char **cause)
{
	const struct pgdump_options	*o = &b->opts->pg;
	const struct manifest_entry	*prev = NULL;
	struct manifest_entry		 me;
	struct child			*c = NULL;
	char				*path = pgdump_stored_path(o);
	size_t				 block_len = 0;
	int				 fd = -1, rc = -1;

	if (backup_dump_block_len(estimate, &block_len, cause) != 0 ||
	    stream_parents(b, path, cause) != 0 ||
	    backup_maybe_rotate(b, NULL, 0, cause) != 0)
		goto out;
	memset(&me, 0, sizeof me);
	stream_entry(b, &me.e, 'f', 0600, path);
	if (b->prev != NULL)
		prev = strmap_get(b->prev, path);
	if ((c = pgdump_start(o, &fd, cause)) == NULL)
		goto out;
	if (prev != NULL && prev->has_sig)
		rc = stream_delta(b, &me, fd, prev, cause);
	else
		rc = stream_whole(b, &me, fd, block_len, cause);
	close(fd);
	fd = -1;
	if (rc != 0)
		goto out;
	rc = -1;
	/* The dump is complete only if pg_dump says so. */
	if (child_finish(c, NULL, cause) != 0) {
		c = NULL;
		goto out;
	}
	c = NULL;
	if (me.has_sig)
		strmap_put(b->sig_sets, manifest_entry_whole_set(&me,
		    b->set_id), b);
	b->files++;
	b->stats.entries++;
	backup_progress(b, 0);
	rc = manifest_writer_add(b->mw, &me, cause);
out:
	if (rc != 0)
		error_prefix(cause, "database '%s'", o->dbname);
	if (fd != -1)
		close(fd);
	child_abort(c);
	free(path);
	return rc;
}
