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
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "repo/cache.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/io.h"
#include "common/testpoint.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "common/strmap.h"
#include "repo/catalog.h"
#include "format/filter/filter.h"
#include "format/filter/rsync.h"
#include "format/manifest.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "format/record.h"
#include "format/sigs.h"
#include "repo/signatures.h"
#include "repo/volume.h"
#include "repo/lock.h"
#include "repo/target.h"
#include "engine.h"
#include "walker.h"
#include "format/names.h"

static const uint8_t backup_zeros[65536];

/* The smallest file that gets a signature (and so, later, a delta). */
static uint64_t
backup_delta_min(const struct backup *b)
{
	return b->opts->delta_min > BACKUP_DELTA_FLOOR ? b->opts->delta_min :
	    BACKUP_DELTA_FLOOR;
}

/* Close a full volume; inside a file, continue it in the next volume. */
int
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
    struct sink *sig, uint64_t *pos, uint64_t end, int *eof, char **cause)
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
		if (sig != NULL && sink_write(sig, b->buf, (size_t)n, cause))
			return -1;
		if (volume_writer_record(b->vw, RECORD_DATA, b->buf, (size_t)n,
		    cause) != 0)
			return -1;
		*pos += (uint64_t)n;
		b->bytes_read += (uint64_t)n;
		backup_progress(b, 0);
		if (backup_maybe_rotate(b, path, *pos, cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Store a file's content whole. `sig` (may be NULL) also receives it, to
 * make the signature later deltas are computed against; sparse files get
 * none (feeding gigabytes of holes through librsync buys nothing).
 */
static int
backup_content(struct backup *b, int fd, const struct stat *sb,
    const char *path, struct hash *h, struct sink *sig, uint64_t *size,
    char **cause)
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
		if (backup_data(b, fd, path, h, NULL, &pos, (uint64_t)hole,
		    &eof, cause) != 0)
			return -1;
		if (eof)
			break;
	}
	*size = pos;
	return 0;
dense:
	if (backup_data(b, fd, path, h, sig, &pos, UINT64_MAX, &eof,
	    cause) != 0)
		return -1;
	*size = pos;
	return 0;
}

/* What a scanned regular file has become, for a warning. */
static const char *
backup_changed(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "now a fifo";
	if (S_ISCHR(mode))
		return "now a character device";
	if (S_ISBLK(mode))
		return "now a block device";
	if (S_ISDIR(mode))
		return "now a directory";
	if (S_ISSOCK(mode))
		return "now a socket";
	return "no longer a regular file";
}

/*
 * Open the regular file the walker saw and fstat it into *sb. It may have
 * been swapped since the scan: O_NONBLOCK so that a FIFO cannot hang the
 * run, O_NOFOLLOW for a symlink, and the fstat must show a regular file
 * with the walker's st_dev/st_ino (a device node is never read). Returns
 * the fd, or -1 with *changed saying what it is now, or -1 with errno.
 */
static int
backup_open_file(struct walk_item *it, struct stat *sb, const char **changed)
{
	int	fd, saved, fl, flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC;

	*changed = NULL;
	fd = openat(it->dirfd, it->name, flags | O_NOATIME);
	if (fd == -1 && errno == EPERM)
		fd = openat(it->dirfd, it->name, flags);
	if (fd == -1) {
		if (errno == ELOOP)	/* O_NOFOLLOW on the last component */
			*changed = "now a symlink";
		return -1;
	}
	if (fstat(fd, sb) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb->st_mode))
		*changed = backup_changed(sb->st_mode);
	else if (sb->st_dev != it->dev || sb->st_ino != it->ino)
		*changed = "replaced by another file";
	if (*changed != NULL) {
		close(fd);
		return -1;
	}
	/* A regular file ignores O_NONBLOCK; clear it all the same. */
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* Read front to back once: a larger readahead window. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* Emit the ENTRY record and note where it went. */
int
backup_begin_records(struct backup *b, const struct entry *e,
    struct manifest_entry *me, char **cause)
{
	if (volume_writer_position(b->vw, &me->loc.vol, &me->loc.off,
	    cause) != 0)
		return -1;
	recbuf_reset(&b->rb);
	record_encode_entry(&b->rb, e);
	return volume_writer_record(b->vw, RECORD_ENTRY, b->rb.data, b->rb.len,
	    cause);
}

int
backup_end_records(struct backup *b, struct manifest_entry *me, char **cause)
{
	uint64_t	off;

	recbuf_reset(&b->rb);
	record_encode_entry_end(&b->rb, me->e.size, me->sha256);
	if (volume_writer_record(b->vw, RECORD_ENTRY_END, b->rb.data,
	    b->rb.len, cause) != 0)
		return -1;
	return volume_writer_position(b->vw, &me->loc.last, &off, cause);
}

int
backup_end_whole(struct backup *b, struct manifest_entry *me,
    struct sink *sig, struct hash *h, char **cause)
{
	if (sig != NULL && (sink_finish(sig, cause) != 0 ||
	    sigs_writer_end(b->sw, cause) != 0))
		return -1;
	hash_final(h, me->sha256);
	me->has_sha256 = 1;
	return backup_end_records(b, me, cause);
}

/* Store a regular file whole, with a signature unless it is sparse. */
static int
backup_whole(struct backup *b, struct walk_item *it, int fd,
    const struct stat *sb, struct manifest_entry *me, char **cause)
{
	struct hash	*h = hash_new();
	struct sink	*sig = NULL, *framing;
	int		 rc = -1;

	if (backup_begin_records(b, &it->e, me, cause) != 0)
		goto out;
	if ((uint64_t)sb->st_blocks * 512 >= (uint64_t)sb->st_size &&
	    (uint64_t)sb->st_size >= backup_delta_min(b)) {
		framing = sigs_writer_begin(b->sw, it->e.path, &me->sig_off,
		    cause);
		if (framing == NULL)
			goto out;
		sig = rsync_signature_sink_new((uint64_t)sb->st_size, framing);
		me->has_sig = 1;
	}
	if (backup_content(b, fd, sb, it->e.path, h, sig, &me->e.size,
	    cause) != 0)
		goto out;
	rc = backup_end_whole(b, me, sig, h, cause);
out:
	sink_free(sig);
	hash_free(h);
	return rc;
}

/* The whole version of a previous entry: where it is and what it hashes to. */
void
backup_prev_whole(struct backup *b, const struct manifest_entry *prev,
    struct manifest_entry *me)
{
	if (prev->is_delta) {
		me->base = prev->base;
		me->base_size = prev->base_size;
		memcpy(me->base_sha256, prev->base_sha256, HASH_LEN);
	} else {
		me->base = prev->loc;
		if (me->base.set[0] == '\0')
			strcpy(me->base.set, b->prev_id);
		me->base_size = prev->e.size;
		memcpy(me->base_sha256, prev->sha256, HASH_LEN);
	}
	me->has_sig = 1;
	me->sig_off = prev->sig_off;
}

/* The signature of a previous entry's whole version, from the cache. */
struct rsync_signature *
backup_load_signature(struct backup *b, const struct manifest_entry *prev,
    char **cause)
{
	struct rsync_signature	*rsig = NULL;
	uint8_t			*sig = NULL;
	size_t			 sig_len;
	char			*sigs_path;

	sigs_path = cache_sigs_path(b->cache, manifest_entry_whole_set(prev,
	    b->prev_id));
	if (sigs_read(sigs_path, prev->sig_off, prev->e.path, &sig, &sig_len,
	    cause) == 0)
		rsig = rsync_signature_load(sig, sig_len, cause);
	free(sig);
	free(sigs_path);
	return rsig;
}

/*
 * Try a delta against the previous whole version. Returns 1 if it was
 * stored, 0 if the file should be stored whole instead (the delta would be
 * more than half its size), -1 on error.
 */
static int
backup_delta(struct backup *b, struct walk_item *it, int fd,
    const struct manifest_entry *prev, struct manifest_entry *me,
    char **cause)
{
	struct rsync_signature	*rsig = NULL;
	struct sink		*delta = NULL;
	struct hash		*h = hash_new(), *dh = hash_new();
	FILE			*spool = NULL;
	ssize_t			 n;
	uint64_t		 size = 0, dsize = 0, pos;
	int			 rc = -1;

	if ((rsig = backup_load_signature(b, prev, cause)) == NULL)
		goto out;
	if ((spool = io_spool_fopen("a delta spool file", cause)) == NULL)
		goto out;
	delta = rsync_delta_sink_new(rsig, fd_sink_new(fileno(spool),
	    "the delta spool file"));
	for (pos = 0;; pos += (uint64_t)n) {
		n = pread(fd, b->buf, RECORD_DATA_MAX, (off_t)pos);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			error_sys(cause, "unable to read '%s'", it->e.path);
			goto out;
		}
		if (n == 0)
			break;
		hash_update(h, b->buf, (size_t)n);
		if (sink_write(delta, b->buf, (size_t)n, cause) != 0)
			goto out;
		backup_progress(b, pos + (uint64_t)n);
	}
	size = pos;
	b->bytes_read += size;
	if (sink_finish(delta, cause) != 0)
		goto out;
	dsize = (uint64_t)lseek(fileno(spool), 0, SEEK_END);
	if (dsize > size / 2) {
		rc = 0;		/* not worth it: store it whole */
		goto out;
	}
	me->e.size = size;
	hash_final(h, me->sha256);
	me->has_sha256 = 1;
	if (backup_begin_records(b, &it->e, me, cause) != 0)
		goto out;
	/* The spool is written and read through its fd only. */
	for (pos = 0; pos < dsize; pos += (uint64_t)n) {
		n = pread(fileno(spool), b->buf, RECORD_DATA_MAX, (off_t)pos);
		if (n <= 0) {
			error_sys(cause, "unable to read the delta spool file");
			goto out;
		}
		hash_update(dh, b->buf, (size_t)n);
		if (volume_writer_record(b->vw, RECORD_DELTA, b->buf,
		    (size_t)n, cause) != 0 || backup_maybe_rotate(b,
		    it->e.path, 0, cause) != 0)
			goto out;
	}
	me->is_delta = 1;
	me->delta_size = dsize;
	hash_final(dh, me->delta_sha256);
	backup_prev_whole(b, prev, me);
	if (backup_end_records(b, me, cause) != 0)
		goto out;
	b->deltas++;
	rc = 1;
out:
	if (rc == -1 && cause != NULL && *cause != NULL)
		error_prefix(cause, "delta of '%s'", it->e.path);
	sink_free(delta);
	if (spool != NULL)
		fclose(spool);
	rsync_signature_free(rsig);
	hash_free(h);
	hash_free(dh);
	return rc;
}

/* Unchanged since the previous set: same size, mtime, inode and ctime. */
static int
backup_unchanged(const struct manifest_entry *prev, const struct walk_item *it)
{
	return prev != NULL && prev->e.kind == 'f' && it->e.kind == 'f' &&
	    prev->e.size == it->e.size && prev->e.mtime_sec ==
	    it->e.mtime_sec && prev->e.mtime_nsec == it->e.mtime_nsec &&
	    prev->ino == (uint64_t)it->ino && prev->ctime_sec ==
	    it->ctime.tv_sec && prev->ctime_nsec ==
	    (uint32_t)it->ctime.tv_nsec;
}

int
backup_entry(void *arg, struct walk_item *it, char **cause)
{
	struct backup		*b = arg;
	struct manifest_entry	 me;
	const struct manifest_entry *prev = NULL;
	struct stat		 sb;
	const char		*changed;
	char			*q;
	int			 fd = -1, rc = -1, stored;

	memset(&me, 0, sizeof me);
	me.e = it->e;
	if (interrupt_check(cause) != 0 ||
	    backup_maybe_rotate(b, NULL, 0, cause) != 0)
		return -1;
	if (b->prev != NULL)
		prev = strmap_get(b->prev, it->e.path);
	if (it->e.kind != 'f') {
		/*
		 * Full sets keep a record of every entry (for recovery by
		 * hand); incremental sets keep other kinds in the manifest.
		 */
		if (b->prev_id == NULL) {
			uint64_t	off;

			if (backup_begin_records(b, &it->e, &me, cause) != 0 ||
			    volume_writer_position(b->vw, &me.loc.last, &off,
			    cause) != 0)
				return -1;
		}
		return manifest_writer_add(b->mw, &me, cause);
	}
	me.ino = (uint64_t)it->ino;
	me.ctime_sec = it->ctime.tv_sec;
	me.ctime_nsec = (uint32_t)it->ctime.tv_nsec;
	if (backup_unchanged(prev, it)) {
		/* Not read at all: point at where its content already is. */
		me.has_sha256 = 1;
		memcpy(me.sha256, prev->sha256, HASH_LEN);
		me.loc = prev->loc;
		if (me.loc.set[0] == '\0')
			strcpy(me.loc.set, b->prev_id);
		me.is_delta = prev->is_delta;
		me.delta_size = prev->delta_size;
		memcpy(me.delta_sha256, prev->delta_sha256, HASH_LEN);
		me.base = prev->base;
		me.base_size = prev->base_size;
		memcpy(me.base_sha256, prev->base_sha256, HASH_LEN);
		me.has_sig = prev->has_sig;
		me.sig_off = prev->sig_off;
		if (me.has_sig)
			strmap_put(b->sig_sets, manifest_entry_whole_set(&me,
			    b->set_id), b);
		b->unchanged++;
		b->files++;
		backup_progress(b, 0);
		return manifest_writer_add(b->mw, &me, cause);
	}
	/* Open before anything is written: an unreadable file is skipped
	 * whole, never stored half. */
	testpoint("backup-open");
	fd = backup_open_file(it, &sb, &changed);
	if (fd == -1) {
		if (changed != NULL || errno != ENOENT) {
			q = log_quote(it->e.path);
			if (changed != NULL)
				log_warn("skipping '%s': changed since the "
				    "scan: %s", q, changed);
			else
				log_warn("skipping '%s': cannot open: %s", q,
				    strerror(errno));
			free(q);
			b->stats.warnings++;
		}
		rc = 1;
		goto out;
	}
	stored = 0;
	if (prev != NULL && prev->e.kind == 'f' && prev->has_sig &&
	    (uint64_t)sb.st_size >= backup_delta_min(b) &&
	    (uint64_t)sb.st_blocks * 512 >= (uint64_t)sb.st_size) {
		stored = backup_delta(b, it, fd, prev, &me, cause);
		if (stored < 0)
			goto out;
	}
	if (!stored && backup_whole(b, it, fd, &sb, &me, cause) != 0)
		goto out;
	if (me.has_sig)
		strmap_put(b->sig_sets, manifest_entry_whole_set(&me,
		    b->set_id), b);
	b->files++;
	backup_progress(b, 0);
	rc = manifest_writer_add(b->mw, &me, cause);
out:
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

	if (o->nsources == 0 && o->pg.dbname == NULL)
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
		if (o->pg.dbname != NULL && strcmp(names[i],
		    names[o->nsources]) == 0)
			return error_set(cause, "source '%s' and database '%s' "
			    "would both be stored under '%s' (see "
			    "--pg-dump-path)", o->sources[i], o->pg.dbname,
			    names[i]);
	}
	return 0;
}

/* An empty vault means something is broken: refuse to back it up. */
static int
backup_check_nonempty(const char *path, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	int		 empty = 1;

	if ((d = opendir(path)) == NULL)
		return error_sys(cause, "unable to read required directory "
		    "'%s'", path);
	while (empty && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	}
	closedir(d);
	if (empty)
		return error_set(cause, "required directory '%s' is empty: "
		    "refusing to back up (is its volume mounted?)", path);
	return 0;
}

/* What each source is stored under; the database's last. */
static char **
backup_names(const struct backup_options *o)
{
	char	**names;
	size_t	  i;

	names = xcalloc(o->nsources + 2, sizeof *names);
	for (i = 0; i < o->nsources; i++)
		names[i] = backup_stored_name(o->sources[i]);
	if (o->pg.dbname != NULL) {
		/* The database is stored under the first part of its path. */
		names[o->nsources] = pgdump_stored_path(&o->pg);
		names[o->nsources][strcspn(names[o->nsources], "/")] = '\0';
	}
	return names;
}

static void
backup_names_free(const struct backup_options *o, char **names)
{
	size_t	i;

	for (i = 0; i <= o->nsources; i++)
		free(names[i]);
	free(names);
}

/* Everything that can be checked before the target is touched. */
static int
backup_preflight(const struct backup_options *o, char **names,
    uint64_t *estimate, char **cause)
{
	size_t	i;

	if (backup_check_sources(o, names, cause) != 0)
		return EXIT_USAGE;
	if (o->pg.path != NULL && pgdump_check_path(o->pg.path, cause) != 0)
		return EXIT_USAGE;
	for (i = 0; i < o->nrequire_nonempty; i++) {
		if (backup_check_nonempty(o->require_nonempty[i], cause) != 0)
			return EXIT_FAILURE_;
	}
	if (o->pg.dbname != NULL && pgdump_check(&o->pg, estimate, cause) != 0)
		return EXIT_FAILURE_;
	return EXIT_OK;
}

int
backup_check(const struct backup_options *o, char **cause)
{
	char		**names = backup_names(o);
	uint64_t	  estimate;
	int		  rc;

	rc = backup_preflight(o, names, &estimate, cause);
	backup_names_free(o, names);
	return rc;
}

static int
backup_prev_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct backup		*b = arg;
	struct manifest_entry	*copy;

	(void)cause;
	if (me->e.kind != 'f') {
		entry_clear(&me->e);
		return 0;
	}
	copy = xmemdup(me, sizeof *me);
	strmap_put(b->prev, me->e.path, copy);
	return 0;
}

static void
backup_free_prev(void *p)
{
	struct manifest_entry	*me = p;

	entry_clear(&me->e);
	free(me);
}

struct backup_sig_need {
	struct backup	*b;
	struct strmap	*sets;
};

static void
backup_note_sig_set(const char *key, void *value, void *arg)
{
	struct backup_sig_need		*n = arg;
	const struct manifest_entry	*me = value;

	(void)key;
	if (me->has_sig)
		strmap_put(n->sets, manifest_entry_whole_set(me, n->b->prev_id),
		    n);
}

static void
backup_list_key(const char *key, void *value, void *arg)
{
	struct name_list	*l = arg;

	(void)value;
	l->entries = xrealloc(l->entries, (l->count + 1) * sizeof *l->entries);
	l->entries[l->count].name = xstrdup(key);
	l->entries[l->count++].size = 0;
}

/*
 * An incremental must be encrypted to the keys of the set it builds on:
 * otherwise restoring its newest state would need two secret keys, one
 * for the chain's older sets and one for the new. Sets written before the
 * manifest recorded its keys cannot be compared.
 */
static int
backup_check_keys(struct backup *b, const struct manifest_summary *prev,
    char **cause)
{
	const char	*keys = b->keys;
	int		 rc = 0;

	if (prev->keys[0] != '\0' && strcasecmp(prev->keys, keys) != 0)
		rc = error_set(cause, "set %s in %s is encrypted to %s%s, this "
		    "run to %s%s: an incremental under another key would need "
		    "both secret keys to restore; make a --full backup to "
		    "start a chain under the new key", b->prev_id,
		    target_display(b->transport), strcmp(prev->keys,
		    "symmetric") == 0 ? "a passphrase" : "key ",
		    strcmp(prev->keys, "symmetric") == 0 ? "" : prev->keys,
		    strcmp(keys, "symmetric") == 0 ? "a passphrase" : "key ",
		    strcmp(keys, "symmetric") == 0 ? "" : keys);
	/*
	 * Passphrases leave no fingerprint to compare: the only proof that
	 * this run's is the chain's is to decrypt the set it builds on (its
	 * manifest, small). Without it, a mistyped passphrase file would
	 * publish an incremental that the chain's passphrase cannot read.
	 */
	if (rc == 0 && strcmp(keys, "symmetric") == 0 &&
	    strcmp(prev->keys, "symmetric") == 0) {
		static const struct manifest_visitor none = { NULL, NULL,
		    NULL, NULL };
		struct manifest_summary	 s;
		char			*why = NULL;

		if (manifest_read(b->transport, b->crypto, b->prev_id, &none,
		    NULL, &s, &why) != 0) {
			rc = error_set(cause, "set %s in %s does not decrypt "
			    "with this run's passphrase (%s): an incremental "
			    "under another passphrase could not be restored "
			    "with the chain's; give the chain's "
			    "--passphrase-file, or make a --full backup",
			    b->prev_id, target_display(b->transport), why);
			free(why);
		}
	}
	return rc;
}

/*
 * Load the previous set's manifest from the cache. A cache that lacks it,
 * or lacks the signatures it points into, is rebuilt from the target: that
 * needs the secret key, and says so when it is missing.
 */
static int
backup_load_prev(struct backup *b, char **cause)
{
	static const struct manifest_visitor visitor = { NULL,
	    backup_prev_entry, NULL, NULL };
	struct backup_sig_need	 need = { b, NULL };
	struct manifest_summary	 summary;
	struct name_list	 sets = { NULL, 0 };
	char			*path = cache_manifest_path(b->cache, b->prev_id);
	char			*sigs = NULL, *why;
	size_t			 i;
	int			 rc = -1, fetched = 0;

	if (!cache_has(b->cache, path)) {
		log_info("rebuilding the cache for %s from set %s",
		    target_display(b->transport), b->prev_id);
		if (manifest_fetch(b->transport, b->crypto, b->prev_id, path,
		    cause) != 0)
			goto rebuild_failed;
		fetched = 1;
	}
	b->prev = strmap_new();
	if (manifest_read_cached(path, b->prev_id, &visitor, b, &summary,
	    cause) != 0) {
		/* Just fetched: the target's copy is what is wrong (a
		 * newer format, damage); no copy of it stays cached. */
		if (fetched) {
			unlink(path);
			goto out;
		}
		/* A damaged copy is not trusted: fetch it again. */
		log_warn("%s; fetching it again", *cause);
		free(*cause);
		*cause = NULL;
		strmap_free_values(b->prev, backup_free_prev);
		b->prev = strmap_new();
		if (manifest_fetch(b->transport, b->crypto, b->prev_id, path,
		    cause) != 0)
			goto rebuild_failed;
		if (manifest_read_cached(path, b->prev_id, &visitor, b,
		    &summary, cause) != 0)
			goto out;
	}
	if (backup_check_keys(b, &summary, cause) != 0)
		goto out;
	need.sets = strmap_new();
	strmap_foreach(b->prev, backup_note_sig_set, &need);
	strmap_foreach(need.sets, backup_list_key, &sets);
	for (i = 0; i < sets.count; i++) {
		free(sigs);
		sigs = cache_sigs_path(b->cache, sets.entries[i].name);
		if (cache_has(b->cache, sigs))
			continue;
		log_info("fetching signatures of set %s into the cache",
		    sets.entries[i].name);
		/* Checked against the size and SHA-256 its manifest records. */
		if (sigs_fetch(b->transport, b->crypto, sets.entries[i].name,
		    strcmp(sets.entries[i].name, b->prev_id) == 0 ? path : NULL,
		    sigs, cause) != 0)
			goto rebuild_failed;
	}
	rc = 0;
	goto out;
rebuild_failed:
	b->cache_lost = 1;
	why = *cause;
	*cause = NULL;
	/* The key hint only where a key is what failed, not for damage. */
	if (strstr(why, " is corrupt") != NULL)
		error_set(cause, "the local cache %s lacks set %s and rebuilding "
		    "it from %s failed (make a --full backup to start a new "
		    "chain): %s", cache_dir(b->cache), b->prev_id,
		    target_display(b->transport), why);
	else
		error_set(cause, "the local cache %s lacks set %s and rebuilding "
		    "it from %s failed (that needs the secret key: give "
		    "--key-file with the secret key, or make a --full backup): "
		    "%s", cache_dir(b->cache), b->prev_id,
		    target_display(b->transport), why);
	free(why);
out:
	name_list_clear(&sets);
	strmap_free(need.sets);
	free(sigs);
	free(path);
	return rc;
}

/* Keep the new manifest and the signatures it points into; drop the rest. */
static void
backup_prune_cache(struct backup *b)
{
	struct name_list	 sets = { NULL, 0 };
	char			**keep;
	size_t			 i;

	strmap_foreach(b->sig_sets, backup_list_key, &sets);
	keep = xcalloc(sets.count + 3, sizeof *keep);
	keep[0] = cache_manifest_path(b->cache, b->set_id);
	/* The copy's SHA-256 (repo/manifests.h) goes with it. */
	keep[1] = xasprintf("%s.sha256", keep[0]);
	for (i = 0; i < sets.count; i++)
		keep[i + 2] = cache_sigs_path(b->cache, sets.entries[i].name);
	cache_prune(b->cache, keep);
	for (i = 0; i < sets.count + 2; i++)
		free(keep[i]);
	free(keep);
	name_list_clear(&sets);
}

/*
 * After a failed publication of the manifest: is it on the target all the
 * same (renamed into place, then a directory sync or read-back failed)?
 */
static int
backup_manifest_exists(struct backup *b)
{
	char	*name = names_manifest(b->set_id);
	int	 exists;

	exists = target_has(b->transport, name);
	free(name);
	return exists;
}

/*
 * The manifest is on the target though its publication failed: adopt the
 * copies all the same, keeping the first error (the run still fails).
 */
static void
backup_adopt_after_failure(struct backup *b)
{
	char	*cause = NULL;

	if (cache_adopt(b->cache, b->transport, NULL, NULL, &cause) != 0)
		log_warn("%s", cause);
	free(cause);
}

/*
 * A signal stopped the run (interrupt.h): say in one line what was left,
 * and return the exit code (128 + the signal).
 */
static int
backup_interrupted(struct backup *b, int published, char **cause)
{
	size_t	nvols = 0;

	free(*cause);
	*cause = NULL;
	if (b->vw != NULL)
		(void)volume_writer_volumes(b->vw, &nvols);
	if (published)
		error_set(cause, "backup interrupted by %s after set %s was "
		    "published in %s", interrupt_name(), b->set_id,
		    target_display(b->transport));
	else if (b->set_id != NULL && nvols > 0)
		error_set(cause, "backup %s interrupted by %s: no set was "
		    "published; its %zu volumes in %s are left for tresor "
		    "cleanup", b->set_id, interrupt_name(), nvols,
		    target_display(b->transport));
	else if (b->set_id != NULL)
		error_set(cause, "backup %s interrupted by %s: no set was "
		    "published", b->set_id, interrupt_name());
	else
		error_set(cause, "backup interrupted by %s before it wrote "
		    "anything", interrupt_name());
	return interrupt_exit_code();
}

/* Back to a full set: drop what was loaded of the previous one. */
static void
backup_forget_prev(struct backup *b)
{
	if (b->prev != NULL)
		strmap_free_values(b->prev, backup_free_prev);
	b->prev = NULL;
	free(b->prev_id);
	b->prev_id = NULL;
}

/* Full or incremental, and on top of which set. */
static int
backup_choose(struct backup *b, const struct catalog *cat, time_t now,
    int *full)
{
	const struct catalog_set	*latest = catalog_latest(cat);
	ssize_t				 start;

	*full = 1;
	if (b->opts->force_full || latest == NULL)
		return 0;
	start = catalog_chain_start(cat, (size_t)(latest - cat->sets));
	if (start < 0 || now - cat->sets[start].time >=
	    b->opts->full_if_older_than)
		return 0;
	*full = 0;
	b->prev_id = xstrdup(latest->id);
	return 0;
}

static void
backup_seal_anyway(struct seals_writer *sw, struct backup *b, uint64_t size,
    const uint8_t digest[HASH_LEN])
{
	char	*why = NULL;

	if (seals_publish_set(sw, b->set_id, size, digest, b->keys,
	    &why) != 0) {
		log_warn("%s", why);
		free(why);
	}
}

struct backup_seal_arg {
	struct seals_writer	*sw;
	struct backup		*b;
};

/*
 * cache_adopt's hook: a set whose manifest copy is still pending here was
 * published by this host, by a run killed before its seal (or its copy's
 * adoption). If its seal is missing, the stored manifest is sealed now,
 * once the stored object matches the size and SHA-256 kept beside the copy
 * before it was published (manifests.h). Any other unsealed set
 * (none of ours) stays refused by restore and verify.
 */
static int
backup_seal_own(void *arg, const char *set_id, const char *copy,
    char **cause)
{
	struct backup_seal_arg	*a = arg;
	uint8_t			 digest[HASH_LEN];
	uint64_t		 size, ignored;
	char			*seal = names_seal(set_id);
	int			 found, rc = -1;

	if ((found = transport_stat(a->b->transport, seal, &ignored,
	    cause)) < 0)
		goto out;
	if (found == 0) {
		rc = 0;
		goto out;
	}
	if ((found = manifest_check_stored(a->b->transport, set_id, copy,
	    &size, digest, cause)) == 1) {
		/* A pending copy from an older tresor: no record to seal. */
		log_warn("set %s in %s has no seal, and this host kept no record "
		    "of its manifest to seal it with", set_id,
		    target_display(a->b->transport));
		rc = 0;
		goto out;
	}
	if (found != 0 || seals_publish_set(a->sw, set_id, size, digest,
	    a->b->keys, cause) != 0) {
		error_prefix(cause, "set %s, published from this host by a run "
		    "that stopped before its seal, could not be sealed",
		    set_id);
		goto out;
	}
	/* A warning: a run was killed, which the user should hear of. */
	log_warn("set %s was published from this host by a run that stopped "
	    "before its seal: sealed now", set_id);
	rc = 0;
out:
	free(seal);
	return rc;
}

int
backup_run(const struct backup_options *o, char **cause)
{
	struct backup			 b;
	struct catalog			 cat;
	struct manifest_header		 mh;
	struct lock			*lock = NULL;
	struct seals_writer		*sw = NULL;
	const char			*newest;
	struct backup_seal_arg		 own;
	const struct volume_info	*vols;
	struct volume_info		 sigs_info;
	struct timespec			 t0, t1, s0, s1;
	double				 seal_seconds = 0, seal_part[3];
	char				**names, *sigs_path = NULL;
	char				*manifest_path = NULL, *tmp;
	uint8_t				 manifest_digest[HASH_LEN];
	uint64_t			 manifest_size = 0;
	time_t				 now;
	uint64_t			 stored = 0, estimate = 0;
	size_t				 i, nvols;
	int				 rc = EXIT_FAILURE_, full, have_sigs = 0;
	int				 published = 0;

	memset(&b, 0, sizeof b);
	memset(&cat, 0, sizeof cat);
	memset(&mh, 0, sizeof mh);
	memset(&sigs_info, 0, sizeof sigs_info);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b.opts = o;
	b.sig_sets = strmap_new();
	names = backup_names(o);
	if ((rc = backup_preflight(o, names, &estimate, cause)) != EXIT_OK) {
		if (rc == EXIT_FAILURE_)
			error_prefix(cause, "backup not started");
		goto out;
	}
	rc = EXIT_FAILURE_;
	/* The signing key's import (and gpg-agent) starts now, in a thread. */
	clock_gettime(CLOCK_MONOTONIC, &s0);
	if ((sw = seals_writer_new(&o->seals, cause)) == NULL)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &s1);
	seal_part[0] = (double)(s1.tv_sec - s0.tv_sec) +
	    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
	seal_seconds += seal_part[0];
	if (clock_now(&now, cause) != 0)
		goto out;
	b.now = now;
	if ((b.crypto = crypto_new(&o->crypto, 0, cause)) == NULL)
		goto out;
	/* Recorded in the manifest; an incremental must keep its chain's. */
	b.keys = crypto_key_list(b.crypto);
	if ((b.transport = target_open(o->url, &o->transport, cause)) == NULL)
		goto out;
	if ((b.cache = cache_open(o->cache_dir, target_display(b.transport),
	    cause)) == NULL || cache_lock(b.cache, cause) != 0)
		goto out;
	if ((lock = lock_acquire(b.transport, "backup", now, &o->lock,
	    cause)) == NULL)
		goto out;
	testpoint("backup-locked");
	/*
	 * The newest seal checked against the cache head, before a manifest
	 * is read from the target or anything is done; the time this waits
	 * for the signing key's import is what signing costs the backup.
	 */
	clock_gettime(CLOCK_MONOTONIC, &s0);
	if (seals_writer_check(sw, b.transport, b.cache, cause) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &s1);
	seal_part[1] = (double)(s1.tv_sec - s0.tv_sec) +
	    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
	seal_seconds += seal_part[1];
	/*
	 * Copies a killed run left pending (cache.h), before they are
	 * needed; a set of ours killed before its seal is sealed first.
	 */
	own.sw = sw;
	own.b = &b;
	if (cache_adopt(b.cache, b.transport, backup_seal_own, &own,
	    cause) != 0 ||
	    catalog_load(b.transport, &cat, cause) != 0)
		goto out;
	/*
	 * The keys the cache will keep are read from gpg while the data is
	 * stored; the seal waits for that (in its time) before signing.
	 */
	clock_gettime(CLOCK_MONOTONIC, &s0);
	seals_writer_prepare(sw);
	clock_gettime(CLOCK_MONOTONIC, &s1);
	seal_part[1] += (double)(s1.tv_sec - s0.tv_sec) +
	    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
	seal_seconds += (double)(s1.tv_sec - s0.tv_sec) +
	    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
	backup_choose(&b, &cat, now, &full);
	b.set_id = names_set_id(now, full);
	/* Chains are ordered by time: a set must be newer than all others,
	   and than the newest seal (a purge's record is no set). */
	for (i = 0; i < cat.nsets; i++) {
		if (cat.sets[i].time >= now) {
			error_set(cause, "set %s in %s is not older than this run "
			    "(%.16s): one backup per second at most, and the "
			    "clock must not go backwards", cat.sets[i].id,
			    target_display(b.transport), b.set_id);
			goto out;
		}
	}
	if ((newest = seals_writer_newest(sw)) != NULL &&
	    strncmp(newest, b.set_id, 16) >= 0) {
		error_set(cause, "the newest seal in %s, of %s, is not older "
		    "than this run (%.16s): the clock must not go backwards",
		    target_display(b.transport), newest, b.set_id);
		goto out;
	}
	if (!full && backup_load_prev(&b, cause) != 0) {
		if (!o->full_if_cache_lost || interrupt_received() ||
		    !b.cache_lost)
			goto out;
		log_warn("starting a new full chain in %s: %s",
		    target_display(b.transport), *cause);
		free(*cause);
		*cause = NULL;
		backup_forget_prev(&b);
		full = 1;
		free(b.set_id);
		b.set_id = names_set_id(now, full);
	}
	/* Pending until the set is published (cache.h). */
	tmp = cache_sigs_path(b.cache, b.set_id);
	sigs_path = cache_pending_path(tmp);
	free(tmp);
	if ((b.mw = manifest_writer_new(cause)) == NULL ||
	    (b.sw = sigs_writer_new(sigs_path, b.set_id, cause)) == NULL)
		goto out;
	/*
	 * Bytes and files as the walk goes; no total (a walk ahead of the
	 * walk would cost as many stats again), so no ETA.
	 */
	b.progress = progress_start("backup", o->quiet);
	b.vw = volume_writer_new(b.transport, b.crypto, b.set_id, o->volsize,
	    o->level);
	b.buf = xmalloc(RECORD_DATA_MAX);
	if (o->pg.dbname != NULL && backup_database(&b, estimate, cause) != 0)
		goto out;
	for (i = 0; i < o->nsources; i++) {
		if (walker_run(o->sources[i], names[i], o->one_file_system,
		    backup_entry, &b,
		    &b.stats, cause) != 0)
			goto out;
	}
	if (volume_writer_close(b.vw, cause) != 0 ||
	    volume_writer_sync(b.vw, cause) != 0)
		goto out;
	vols = volume_writer_volumes(b.vw, &nvols);
	if (sigs_writer_count(b.sw) > 0) {
		if (sigs_writer_finish(b.sw, cause) != 0 ||
		    sigs_publish(b.transport, b.crypto, b.set_id, sigs_path,
		    o->level, &sigs_info, cause) != 0)
			goto out;
		have_sigs = 1;
	}
	mh.set_id = b.set_id;
	mh.keys = b.keys;
	mh.full = full;
	mh.time = now;
	mh.sources = names;
	mh.nsources = o->nsources + (o->pg.dbname != NULL);
	manifest_writer_set_warnings(b.mw, b.stats.warnings);
	tmp = cache_manifest_path(b.cache, b.set_id);
	manifest_path = cache_pending_path(tmp);
	free(tmp);
	/* The last moment a signal can keep the set from being published. */
	testpoint("backup-manifest");
	if (interrupt_check(cause) != 0)
		goto out;
	if (manifest_publish(b.mw, b.transport, b.crypto, o->level, &mh,
	    vols, nvols, have_sigs ? &sigs_info : NULL, manifest_path,
	    &manifest_size, manifest_digest, cause) != 0) {
		if ((published = backup_manifest_exists(&b))) {
			backup_adopt_after_failure(&b);
			/*
			 * Stored and checked, but a later step failed: the
			 * set is complete on the target, so it is sealed all
			 * the same; the run still fails with the first cause.
			 */
			if (manifest_size > 0)
				backup_seal_anyway(sw, &b, manifest_size,
				    manifest_digest);
		}
		goto out;
	}
	published = 1;
	/* The seal vouches for the manifest just published. */
	clock_gettime(CLOCK_MONOTONIC, &s0);
	if (seals_publish_set(sw, b.set_id, manifest_size, manifest_digest,
	    b.keys, cause) != 0)
		goto out;
	/* Its gpg-agent stopped and home removed: part of the cost too. */
	seals_writer_free(sw);
	sw = NULL;
	clock_gettime(CLOCK_MONOTONIC, &s1);
	seal_part[2] = (double)(s1.tv_sec - s0.tv_sec) +
	    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
	seal_seconds += seal_part[2];
	/* benchmarks/run reads this line: what authenticity costs. */
	log_info("seal: %.3f s (%.3f s to start, %.3f s waiting for the "
	    "signing key and checking the newest seal, %.3f s signing, "
	    "publishing and stopping its gpg-agent)", seal_seconds,
	    seal_part[0], seal_part[1], seal_part[2]);
	/* The cache's pending copies, now that the set and seal exist. */
	if (cache_adopt(b.cache, b.transport, NULL, NULL, cause) != 0)
		goto out;
	progress_free(b.progress);
	b.progress = NULL;
	testpoint("backup-published");
	backup_prune_cache(&b);
	for (i = 0; i < nvols; i++)
		stored += vols[i].size;
	stored += sigs_info.size;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("backup: %s set %s in %s: %" PRIu64 " entries (%" PRIu64
		    " files: %" PRIu64 " unchanged, %" PRIu64 " deltas), %"
		    PRIu64 " bytes read, %zu volumes, %" PRIu64 " bytes stored, %"
		    PRIu64 " warnings, %.1f s\n", full ? "full" : "incremental",
		    b.set_id, target_display(b.transport), b.stats.entries,
		    b.files, b.unchanged, b.deltas, b.bytes_read, nvols, stored,
		    b.stats.warnings, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (o->result != NULL) {
		snprintf(o->result->set_id, sizeof o->result->set_id, "%s",
		    b.set_id);
		o->result->full = full;
		o->result->entries = b.stats.entries;
		o->result->files = b.files;
		o->result->bytes_read = b.bytes_read;
		o->result->volumes = nvols;
		o->result->stored = stored;
		o->result->warnings = b.stats.warnings;
		o->result->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		o->result->seal_seconds = seal_seconds;
	}
	rc = b.stats.warnings > 0 ? EXIT_WARNINGS : EXIT_OK;
	if (rc == EXIT_WARNINGS)
		error_set(cause, "backup %s completed, but %" PRIu64 " entries "
		    "could not be read and are not in it", b.set_id,
		    b.stats.warnings);
	if (lock_release(lock, cause) != 0) {
		/* The set is complete: only the lock is left behind. */
		error_prefix(cause, "set %s was published in %s, but its lock "
		    "could not be removed (the next run on this host takes it "
		    "over)", b.set_id, target_display(b.transport));
		rc = EXIT_WARNINGS;
	}
out:
	if (interrupt_received())
		rc = backup_interrupted(&b, published, cause);
	else if (rc == EXIT_FAILURE_ && published)
		error_prefix(cause, "backup %s: set %s was published in %s, but "
		    "the run then failed (check it with tresor verify)",
		    b.set_id, b.set_id, target_display(b.transport));
	else if (rc == EXIT_FAILURE_ && b.set_id != NULL && cause != NULL &&
	    *cause != NULL && strstr(*cause, "not older than") == NULL)
		error_prefix(cause, "backup %s failed, no set was published",
		    b.set_id);
	progress_free(b.progress);
	volume_writer_free(b.vw);
	manifest_writer_free(b.mw);
	sigs_writer_free(b.sw);
	/* A set never published leaves no copy (a pending one is adopted). */
	if (rc == EXIT_FAILURE_ && !published && sigs_path != NULL)
		unlink(sigs_path);
	if (rc == EXIT_FAILURE_ && !published && manifest_path != NULL) {
		unlink(manifest_path);
		tmp = xasprintf("%s.stored", manifest_path);
		unlink(tmp);
		free(tmp);
	}
	volume_info_clear(&sigs_info);
	lock_free(lock);
	seals_writer_free(sw);
	target_close(b.transport);
	cache_close(b.cache);
	crypto_free(b.crypto);
	catalog_clear(&cat);
	recbuf_free(&b.rb);
	if (b.prev != NULL)
		strmap_free_values(b.prev, backup_free_prev);
	strmap_free(b.sig_sets);
	free(b.buf);
	free(b.prev_id);
	free(b.set_id);
	backup_names_free(o, names);
	free(sigs_path);
	free(manifest_path);
	free(b.keys);
	return rc;
}
