/*
 * restore.c: the restore engine (see restore.h).
 *
 * 1. Read the set's manifest: every entry with its metadata, hash and
 *    where its content is (this set or an earlier one in its chain; whole,
 *    or a delta plus the whole version it applies to).
 * 2. Select entries (the paths asked for, their parent directories, and
 *    the first name of any hard link among them), and from them the sets
 *    and volumes that hold their content: only those are fetched. Each
 *    set's manifest supplies its volumes' sizes and SHA-256.
 * 3. Create directories, symlinks and special files from the manifest.
 * 4. Stream the needed volumes, newest set first, through hash -> gpg ->
 *    zstd -> record reader. A whole file is written nameless and named
 *    once its bytes are proven: held until its volume's end, by the
 *    volume's SHA-256, which every octet of it was hashed against (if the
 *    volume fails, each held file is hashed on its own and named only if
 *    it matches); past RESTORE_HELD_MAX held files, or with no tree to
 *    write (fetch, restore-db, verify), by its own SHA-256 as it is read.
 *    A delta comes first (its set is newer than its base's): it is
 *    spooled to a scratch file and its own SHA-256 checked before
 *    librsync ever sees it. When its base streams
 *    in later, librsync applies the delta to it as it arrives, if the
 *    delta's copies run forward (a dry run tells); otherwise the base is
 *    written to a scratch file, checked, and patched from there. Output is
 *    bounded by the recorded size, and the result is checked like a whole
 *    file. So the newest version of any file costs at most two passes,
 *    however long the chain, and mostly one.
 * 5. Hard links, then directory modes and times.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "applyq.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/io.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/testpoint.h"
#include "common/xmalloc.h"
#include "repo/catalog.h"
#include "format/filter/filter.h"
#include "format/filter/rsync.h"
#include "format/manifest.h"
#include "format/names.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "format/record.h"
#include "restore.h"
#include "rindex.h"
#include "scratch.h"
#include "repo/target.h"

/* At most this many whole files wait for their volume's digest. */
#define RESTORE_HELD_MAX	1024

/* One set whose volumes hold content we need. */
struct rset {
	char			*id;
	struct volume_info	*vols;
	size_t			 nvols;
	uint8_t			*need;		/* [nvols + 1] */
};

enum restore_mode {
	MODE_NONE,	/* between files */
	MODE_SKIP,	/* a file we do not want from this set */
	MODE_WHOLE,	/* a wanted file stored whole */
	MODE_BASE,	/* the whole version a wanted delta needs */
	MODE_DELTA,	/* a wanted file stored as a delta */
};

/* Patch output: into the restored file (if any) and its hash. */
struct restore_out {
	struct sink	 sink;
	struct restore	*r;
	struct hash	*hash;
	uint64_t	 bytes;
	int		 failed;	/* writing failed: not the patch's fault */
};

struct restore {
	const struct restore_options	*opts;
	struct transport		*transport;
	struct crypto			*crypto;
	struct seals			*seals;
	struct apply			*apply;		/* NULL: check only */
	struct applyq			*applyq;	/* apply's files, in a thread */
	const char			*set_id;
	struct rindex			*ix;		/* the set's entries */
	struct rset			*sets;		/* newest first */
	size_t				 nsets;
	/*
	 * Deltas and bases are nameless files in scratch_where (nothing
	 * outlives the process). Deltas wait for their bases; past
	 * spool_fds_max open ones, they get names in the directory scratch.
	 */
	const char			*scratch_where;
	char				*scratch_tmpdir;
	size_t				 spool_fds;
	size_t				 spool_fds_max;
	/*
	 * Whole files held open and nameless until their volume's digest
	 * is checked (apply_hold), at most held_max a volume; past that,
	 * a file is hashed on its own, as it is with no tree to write.
	 */
	size_t				 held;
	size_t				 held_max;
	char				*scratch;
	unsigned			 scratch_n;
	/* Record stream state. */
	struct rset			*set;		/* being read */
	uint32_t			 vol;
	uint32_t			 prev_vol;
	struct rentry			*cur;
	enum restore_mode		 mode;
	uint64_t			 cur_pos;
	uint64_t			 cur_limit;
	struct hash			*cur_hash;
	int				 cur_held;	/* not hashed: held */
	int				 cur_fd;	/* base or delta spool */
	char				*cur_tmp;
	/* A base being read: its delta, and the patch it streams into. */
	int				 delta_fd;
	struct sink			*stream;
	struct restore_out		*stream_out;
	/* One file to a caller's output (fetch, restore-db). */
	struct rentry			*out_entry;
	int				 out_fd;
	/*
	 * The first damaged object's cause: a damaged volume or manifest
	 * loses the files in it, and the restore goes on with the rest.
	 */
	char				*damage;
	char				**damaged;	/* object names */
	size_t				 ndamaged;
	/* Totals. */
	uint64_t			 restored;
	uint64_t			 files;		/* regular files done */
	uint64_t			 bytes;
	/* Updated by the thread that parses records, like the totals. */
	struct progress			*progress;
	uint64_t			 fetched;	/* stored bytes read */
	unsigned			 fetched_vols;
};


static int
restore_manifest_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct restore	*r = arg;
	char		*q;

	if (!apply_path_safe(me->e.path) || (me->e.kind == 'h' &&
	    !apply_path_safe(me->e.target))) {
		q = log_quote(me->e.path);
		error_set(cause, "unsafe path '%s'", q);
		free(q);
		entry_clear(&me->e);
		return -1;
	}
	return rindex_add(r->ix, me, cause);
}

static int
restore_set_volume(void *arg, const struct volume_info *vi, char **cause)
{
	struct rset	*s = arg;

	(void)cause;
	s->vols = xrealloc(s->vols, (s->nvols + 1) * sizeof *s->vols);
	s->vols[s->nvols] = *vi;
	s->vols[s->nvols].name = xstrdup(vi->name);
	s->nvols++;
	return 0;
}

/* Mark an entry and, recursively, its parents and link target wanted. */
static int
restore_want(struct restore *r, struct rentry *re, char **cause)
{
	struct rentry	*other;
	char		*parent, *slash;

	if (re->wanted)
		return 0;
	re->wanted = 1;
	if (re->kind == 'h') {
		other = rindex_get(r->ix, re->target);
		if (other == NULL)
			return error_set(cause, "hard link target of '%s' is "
			    "not in the set", re->path);
		if (restore_want(r, other, cause) != 0)
			return -1;
	}
	parent = xstrdup(re->path);
	slash = strrchr(parent, '/');
	if (slash != NULL) {
		*slash = '\0';
		other = rindex_get(r->ix, parent);
		if (other != NULL && restore_want(r, other, cause) != 0) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	return 0;
}

int
restore_path_selected(const char *sel, const char *path)
{
	size_t	len = strlen(sel);

	while (len > 1 && sel[len - 1] == '/')
		len--;
	return strncmp(path, sel, len) == 0 && (path[len] == '\0' ||
	    path[len] == '/');
}

static int
restore_select(struct restore *r, char **cause)
{
	const struct restore_options	*o = r->opts;
	struct rentry			*re;
	char				*sel, *q;
	size_t				 i, j, len, matched;

	for (i = 0; i < rindex_count(r->ix) && o->npaths == 0; i++)
		rindex_at(r->ix, i)->wanted = 1;
	for (j = 0; j < o->npaths; j++) {
		sel = xstrdup(o->paths[j]);
		while ((len = strlen(sel)) > 1 && sel[len - 1] == '/')
			sel[len - 1] = '\0';
		matched = 0;
		for (i = 0; i < rindex_count(r->ix); i++) {
			re = rindex_at(r->ix, i);
			if (restore_path_selected(sel, re->path)) {
				matched++;
				if (restore_want(r, re, cause) != 0) {
					free(sel);
					return -1;
				}
			}
		}
		if (matched == 0) {
			q = log_quote(sel);
			error_set(cause, "path '%s' is not in set %s", q,
			    r->set_id);
			free(q);
			free(sel);
			return -1;
		}
		free(sel);
	}
	return 0;
}

/* Output mode: the one regular file paths[0] names. */
static int
restore_select_one(struct restore *r, char **cause)
{
	const char	*path = r->opts->paths[0];
	struct rentry	*re = rindex_get(r->ix, path), *found = NULL, *other;
	char		*q = log_quote(path);
	size_t		 i, len = strlen(path), n = 0;
	int		 rc = -1;

	if (re != NULL && re->kind == 'h')
		re = rindex_get(r->ix, re->target);
	if (re != NULL && re->kind == 'd' && r->opts->output->pick_single) {
		for (i = 0; i < rindex_count(r->ix); i++) {
			other = rindex_at(r->ix, i);
			if (other->kind == 'f' && strncmp(other->path, path,
			    len) == 0 && other->path[len] == '/') {
				found = other;
				n++;
			}
		}
		if (n != 1) {
			error_set(cause, "'%s' in set %s holds %zu files, not "
			    "one: name the file", q, r->set_id, n);
			goto out;
		}
		re = found;
	}
	if (re == NULL) {
		error_set(cause, "path '%s' is not in set %s", q, r->set_id);
		goto out;
	}
	if (re->kind != 'f') {
		error_set(cause, "'%s' in set %s is not a regular file", q,
		    r->set_id);
		goto out;
	}
	r->out_entry = re;
	rc = restore_want(r, re, cause);
out:
	free(q);
	return rc;
}

static struct rset *
restore_find_set(struct restore *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->nsets; i++) {
		if (strcmp(r->sets[i].id, id) == 0)
			return &r->sets[i];
	}
	return NULL;
}

static int
restore_set_compare(const void *a, const void *b)
{
	/* Newest first: IDs sort by time. */
	return strcmp(((const struct rset *)b)->id,
	    ((const struct rset *)a)->id);
}

static int
restore_need(struct restore *r, const struct rloc *loc, char **cause)
{
	struct rset	*s;
	uint32_t	 v;

	s = restore_find_set(r, rindex_set_id(r->ix, loc->set));
	if (loc->last > s->nvols)
		return error_set(cause, "set %s has %zu volumes, an entry needs "
		    "volume %u", s->id, s->nvols, loc->last);
	for (v = loc->vol; v <= loc->last; v++)
		s->need[v] = 1;
	return 0;
}

/* Does a location in set id hold records in volume v (0: any volume)? */
static int
restore_loc_in(const struct restore *r, const struct rloc *loc,
    const char *id, uint32_t v)
{
	return strcmp(rindex_set_id(r->ix, loc->set), id) == 0 && (v == 0 ||
	    (loc->vol <= v && v <= loc->last));
}

/*
 * Damage: an object whose stored bytes are not what its manifest (or
 * OpenPGP, or zstd, or the record format) says, or that is missing. Not
 * a key that does not fit, nor a target that does not answer: those stop
 * the run, since every later object would fail the same way.
 */
static int
restore_is_damage(const char *cause)
{
	return cause != NULL && strstr(cause, "unable to decrypt") == NULL &&
	    (strstr(cause, " is corrupt") != NULL ||
	    strstr(cause, " is missing from ") != NULL ||
	    strstr(cause, " names set ") != NULL);
}

/*
 * An object that wanted files need is damaged: volume v of set id, or
 * with v 0 the set's manifest. Those files are lost (named at the end),
 * the others are restored. The first cause is kept for the summary.
 */
static void
restore_lose(struct restore *r, const char *id, uint32_t v, const char *name,
    char **cause)
{
	struct rentry	*re;
	size_t		 i;

	if (r->damage == NULL)
		r->damage = *cause;
	else
		free(*cause);
	*cause = NULL;
	r->damaged = xrealloc(r->damaged, (r->ndamaged + 1) *
	    sizeof *r->damaged);
	r->damaged[r->ndamaged++] = xstrdup(name);
	for (i = 0; i < rindex_count(r->ix); i++) {
		re = rindex_at(r->ix, i);
		if (!re->wanted || re->kind != 'f' || re->done)
			continue;
		if (!re->lost && (restore_loc_in(r, &re->loc, id, v) ||
		    (re->delta != NULL && restore_loc_in(r, &re->delta->base,
		    id, v))))
			re->lost = (uint32_t)r->ndamaged;
	}
}

/* The sets and volumes the wanted files need; their manifests' volumes. */
static int
restore_plan(struct restore *r, const struct catalog *cat, char **cause)
{
	static const struct manifest_visitor visitor = { NULL, NULL,
	    restore_set_volume, NULL };
	struct rentry	*re;
	const struct rloc *loc;
	const char	*ids[2], *id;
	char		*name;
	size_t		 i, j, k;
	int		 found;

	for (i = 0; i < rindex_count(r->ix); i++) {
		re = rindex_at(r->ix, i);
		if (!re->wanted || re->kind != 'f' || re->lost)
			continue;
		ids[0] = rindex_set_id(r->ix, re->loc.set);
		ids[1] = re->delta != NULL ?
		    rindex_set_id(r->ix, re->delta->base.set) : NULL;
		for (j = 0; j < 2 && ids[j] != NULL; j++) {
			if (restore_find_set(r, ids[j]) != NULL)
				continue;
			for (found = 0, k = 0; k < cat->nsets; k++) {
				if (cat->sets[k].has_manifest &&
				    strcmp(cat->sets[k].id, ids[j]) == 0)
					found = 1;
			}
			if (!found) {
				/* Its files are lost, not the others. */
				error_set(cause, "set %s, which %s needs, is "
				    "not in %s (purged, incomplete, or its "
				    "manifest is missing)", ids[j], r->set_id,
				    target_display(r->transport));
				name = names_manifest(ids[j]);
				restore_lose(r, ids[j], 0, name, cause);
				free(name);
				continue;
			}
			r->sets = xrealloc(r->sets, (r->nsets + 1) *
			    sizeof *r->sets);
			memset(&r->sets[r->nsets], 0, sizeof *r->sets);
			r->sets[r->nsets++].id = xstrdup(ids[j]);
		}
	}
	if (r->nsets > 0)
		qsort(r->sets, r->nsets, sizeof *r->sets, restore_set_compare);
	for (i = 0; i < r->nsets; i++) {
		if (seals_read_manifest(r->seals, r->transport, r->crypto,
		    r->sets[i].id, &visitor, &r->sets[i], NULL, cause) != 0) {
			/*
			 * The set being restored was read already, with this
			 * key: a manifest that fails here is an earlier set's,
			 * and loses only the files that point into it. Even
			 * "no secret key": one changed bit of its recipient's
			 * key ID says that too, and the chain shares its keys.
			 * The cause, as gpg put it, ends the run's summary.
			 * (The seals were checked before anything was read: a
			 * manifest that does not match its seal is damage
			 * here, like any other.)
			 */
			for (j = 0; j < r->sets[i].nvols; j++)
				volume_info_clear(&r->sets[i].vols[j]);
			r->sets[i].nvols = 0;
			name = names_manifest(r->sets[i].id);
			restore_lose(r, r->sets[i].id, 0, name, cause);
			free(name);
		}
		r->sets[i].need = xcalloc(r->sets[i].nvols + 1, 1);
	}
	for (i = 0; i < rindex_count(r->ix); i++) {
		re = rindex_at(r->ix, i);
		if (!re->wanted || re->kind != 'f' || re->lost)
			continue;
		for (j = 0; j < 2; j++) {
			if (j == 1 && re->delta == NULL)
				break;
			loc = j == 0 ? &re->loc : &re->delta->base;
			if (restore_need(r, loc, cause) == 0)
				continue;
			/*
			 * The set's manifest lists fewer volumes than this
			 * one points at: the two disagree, and the older
			 * manifest's volume list is not trusted.
			 */
			id = rindex_set_id(r->ix, loc->set);
			name = names_manifest(id);
			restore_lose(r, id, 0, name, cause);
			free(name);
			break;
		}
	}
	return 0;
}

static int
restore_corrupt(char **cause, const char *fmt, const char *p)
{
	char	*q = log_quote(p != NULL ? p : "");

	error_set(cause, fmt, q);
	free(q);
	return -1;
}

static int	restore_make_scratch(struct restore *, char **);

/*
 * A scratch file for a delta (which waits for its base) or a base (which
 * does not): nameless, unless too many wait.
 */
static int
restore_scratch_open(struct restore *r, int waits, char **cause)
{
	free(r->cur_tmp);
	r->cur_tmp = NULL;
	if (!waits || r->spool_fds < r->spool_fds_max) {
		r->cur_fd = scratch_open(r->scratch_where, cause);
		return r->cur_fd == -1 ? -1 : 0;
	}
	if (r->scratch == NULL && restore_make_scratch(r, cause) != 0)
		return -1;
	r->cur_tmp = xasprintf("%s/%u", r->scratch, r->scratch_n++);
	r->cur_fd = open(r->cur_tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (r->cur_fd == -1)
		return error_sys(cause, "unable to create scratch file '%s'",
		    r->cur_tmp);
	return 0;
}

static void
restore_scratch_close(struct restore *r, int remove)
{
	if (r->cur_fd != -1)
		close(r->cur_fd);
	r->cur_fd = -1;
	if (remove && r->cur_tmp != NULL)
		unlink(r->cur_tmp);
	free(r->cur_tmp);
	r->cur_tmp = NULL;
}

static const char *
restore_scratch_name(struct restore *r)
{
	return r->cur_tmp != NULL ? r->cur_tmp : "a scratch file";
}

static int
restore_write_fd(int fd, const void *buf, size_t len, const char *what,
    char **cause)
{
	if (io_write_all(fd, buf, len) != 0)
		return error_sys(cause, "unable to write %s", what);
	return 0;
}

/*
 * Where a wanted regular file's content goes: the tree being restored, the
 * caller's output, or nowhere (verify).
 */
static int
restore_file_begin(struct restore *r, const struct rentry *re, char **cause)
{
	struct entry	e;

	testpoint("restore-file");
	rentry_entry(re, &e);
	if (r->applyq != NULL)
		return applyq_begin(r->applyq, &e, cause);
	return 0;
}

static int
restore_file_data(struct restore *r, const void *buf, size_t len,
    char **cause)
{
	if (r->applyq != NULL)
		return applyq_data(r->applyq, buf, len, cause);
	if (r->out_fd != -1 && io_write_all(r->out_fd, buf, len) != 0) {
		if (errno == EPIPE && r->opts->output->reader_gone != NULL)
			*r->opts->output->reader_gone = 1;
		return error_sys(cause, "unable to write %s",
		    r->opts->output->where != NULL ? r->opts->output->where :
		    "the output");
	}
	return 0;
}

static int
restore_file_hole(struct restore *r, uint64_t len, char **cause)
{
	static const uint8_t	zeros[65536];
	size_t			n;

	if (r->applyq != NULL)
		return applyq_hole(r->applyq, len, cause);
	for (; r->out_fd != -1 && len > 0; len -= n) {
		n = len < sizeof zeros ? (size_t)len : sizeof zeros;
		if (restore_file_data(r, zeros, n, cause) != 0)
			return -1;
	}
	return 0;
}

static int
restore_file_commit(struct restore *r, uint64_t size, char **cause)
{
	if (r->applyq != NULL)
		return applyq_commit(r->applyq, size, cause);
	return 0;	/* an output is closed by its owner, at the end */
}

static void
restore_file_abort(struct restore *r)
{
	if (r->applyq != NULL)
		(void)applyq_abort(r->applyq, NULL);
}

static int
restore_out_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct restore_out	*o = (struct restore_out *)s;

	hash_update(o->hash, buf, len);
	o->bytes += len;
	progress_update(o->r->progress, o->r->bytes + o->bytes, o->r->files);
	/*
	 * Its cause names the file it is about, which may be an earlier
	 * one (apply's queue reports late): not "patching" this one.
	 */
	if (restore_file_data(o->r, buf, len, cause) != 0) {
		o->failed = 1;
		return -1;
	}
	return 0;
}

static int
restore_out_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
restore_out_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops restore_out_ops = {
	.name = "restore-out",
	.write = restore_out_write,
	.finish = restore_out_finish,
	.free = restore_out_free,
};

static struct restore_out *
restore_out_new(struct restore *r)
{
	struct restore_out	*o = xcalloc(1, sizeof *o);

	o->sink.ops = &restore_out_ops;
	o->r = r;
	o->hash = hash_new();
	return o;
}

static void
restore_out_drop(struct restore_out *o)
{
	if (o == NULL)
		return;
	hash_free(o->hash);
	free(o);
}

/* Stop the patch a base streams into, if any, and drop its delta. */
static void
restore_base_end(struct restore *r)
{
	sink_free(r->stream);		/* stops its thread */
	r->stream = NULL;
	restore_out_drop(r->stream_out);
	r->stream_out = NULL;
	if (r->delta_fd != -1)
		close(r->delta_fd);
	r->delta_fd = -1;
}

/*
 * A base begins. Its delta was read first and waits: when its copies run
 * forward, the base streams straight into the patch, and the restored
 * file's only pass is the patch's output. Otherwise (or with no thread to
 * patch in) the base goes to a scratch file, to be patched at its end.
 */
static int
restore_base_begin(struct restore *r, struct rentry *re, char **cause)
{
	struct rdelta	*d = re->delta;
	char		*why = NULL;

	if (d->spool_fd != -1) {
		r->delta_fd = d->spool_fd;
		d->spool_fd = -1;
		r->spool_fds--;
	} else if (d->spool_tmp == NULL)
		return restore_corrupt(cause, "the delta of '%s' was not found "
		    "before its base", re->path);
	else {
		r->delta_fd = open(d->spool_tmp, O_RDONLY | O_CLOEXEC);
		if (r->delta_fd == -1)
			return error_sys(cause, "unable to read '%s'",
			    d->spool_tmp);
		unlink(d->spool_tmp);
		free(d->spool_tmp);
		d->spool_tmp = NULL;
	}
	if (lseek(r->delta_fd, 0, SEEK_SET) != 0)
		return error_sys(cause, "unable to read the delta of a file");
	if (!d->forward)
		return restore_scratch_open(r, 0, cause);
	if (restore_file_begin(r, re, cause) != 0)
		return -1;
	r->stream_out = restore_out_new(r);
	r->stream = rsync_patch_stream_new(r->delta_fd, d->base_size,
	    re->size, &r->stream_out->sink, &why);
	if (r->stream != NULL)
		return 0;
	/* No thread: patch from a scratch file, slower but the same. */
	free(why);
	restore_file_abort(r);
	restore_out_drop(r->stream_out);
	r->stream_out = NULL;
	return restore_scratch_open(r, 0, cause);
}

static int
restore_entry_record(struct restore *r, uint64_t offset, const uint8_t *p,
    size_t len, char **cause)
{
	struct entry	 e;
	struct rentry	*re;
	int		 rc = -1;

	if (r->mode != MODE_NONE)
		return restore_corrupt(cause, "entry '%s' has no end record",
		    r->cur != NULL ? r->cur->path : "?");
	if (record_decode_entry(p, len, &e, cause) != 0)
		return -1;
	if (e.kind != 'f') {
		rc = 0;		/* created from the manifest */
		goto out;
	}
	re = rindex_get(r->ix, e.path);
	r->cur = re;
	r->mode = MODE_SKIP;
	if (re == NULL || !re->wanted || re->kind != 'f' || re->done ||
	    re->lost) {
		rc = 0;
		goto out;
	}
	if (strcmp(rindex_set_id(r->ix, re->loc.set), r->set->id) == 0 &&
	    re->loc.vol == r->vol && re->loc.off == offset) {
		r->mode = re->delta != NULL ? MODE_DELTA : MODE_WHOLE;
		r->cur_limit = re->delta != NULL ? re->delta->size :
		    re->size;
	} else if (re->delta != NULL && strcmp(rindex_set_id(r->ix,
	    re->delta->base.set), r->set->id) == 0 &&
	    re->delta->base.vol == r->vol && re->delta->base.off == offset) {
		r->mode = MODE_BASE;
		r->cur_limit = re->delta->base_size;
	} else {
		rc = 0;		/* an older version, not needed */
		goto out;
	}
	r->cur_pos = 0;
	hash_free(r->cur_hash);
	r->cur_hash = hash_new();
	r->cur_held = r->mode == MODE_WHOLE && r->applyq != NULL &&
	    r->held < r->held_max;
	if (r->mode == MODE_WHOLE)
		rc = restore_file_begin(r, re, cause);
	else if (r->mode == MODE_DELTA)
		rc = restore_scratch_open(r, 1, cause);
	else
		rc = restore_base_begin(r, re, cause);
out:
	entry_clear(&e);
	return rc;
}

/*
 * A patch of path failed: say so, unless its output o failed, whose cause
 * names the file it is about already (maybe an earlier one: apply's queue
 * reports late).
 */
static void
restore_patch_failed(const struct restore_out *o, const char *path,
    char **cause)
{
	char	*q;

	if (o != NULL && o->failed)
		return;
	q = log_quote(path);
	error_prefix(cause, "patching '%s'", q);
	free(q);
}

/* The patch into o is done: its digest, and the size it must have. */
static int
restore_patched(struct restore *r, const struct restore_out *o,
    const struct rentry *re, uint8_t got[HASH_LEN], char **cause)
{
	hash_final(o->hash, got);
	r->bytes += o->bytes;
	if (o->bytes != re->size)
		return restore_corrupt(cause, "'%s' patched to the wrong size",
		    re->path);
	return 0;
}

/* Base bytes into the patch they stream into. */
static int
restore_stream_data(struct restore *r, const void *p, size_t len,
    char **cause)
{
	if (sink_write(r->stream, p, len, cause) == 0)
		return 0;
	restore_patch_failed(r->stream_out, r->cur->path, cause);
	return -1;
}

static int
restore_content(struct restore *r, uint8_t type, const uint8_t *p, size_t len,
    char **cause)
{
	static const uint8_t	zeros[65536];
	uint64_t		n, hole = 0, left;

	if (r->mode == MODE_NONE)
		return error_set(cause, "file data outside any file");
	if (r->mode == MODE_SKIP)
		return 0;
	if ((type == RECORD_DELTA) != (r->mode == MODE_DELTA))
		return restore_corrupt(cause, "'%s' mixes data and delta "
		    "records", r->cur->path);
	if (type == RECORD_HOLE && record_decode_u64(p, len, &hole, cause))
		return -1;
	n = type == RECORD_HOLE ? hole : len;
	if (n > r->cur_limit - r->cur_pos)
		return restore_corrupt(cause, "'%s' holds more data than "
		    "its manifest entry", r->cur->path);
	r->cur_pos += n;
	if (type != RECORD_HOLE) {
		testpoint("restore-data");
		/*
		 * A base is not hashed, streamed or in scratch: the patch's
		 * output is, and a base that differs cannot give the right
		 * output (docs/FORMAT.md, Delta). Its size is checked.
		 */
		if (r->stream != NULL)
			return restore_stream_data(r, p, len, cause);
		if (r->mode != MODE_BASE && !r->cur_held)
			hash_update(r->cur_hash, p, len);
		if (r->mode == MODE_WHOLE) {
			r->bytes += len;
			progress_update(r->progress, r->bytes, r->files);
			return restore_file_data(r, p, len, cause);
		}
		return restore_write_fd(r->cur_fd, p, len,
		    restore_scratch_name(r), cause);
	}
	for (left = hole; left > 0; left -= n) {
		n = left < sizeof zeros ? left : sizeof zeros;
		if (r->stream != NULL) {
			if (restore_stream_data(r, zeros, (size_t)n,
			    cause) != 0)
				return -1;
			continue;
		}
		if (r->mode != MODE_BASE && !r->cur_held)
			hash_update(r->cur_hash, zeros, (size_t)n);
		if (r->mode == MODE_BASE && restore_write_fd(r->cur_fd, zeros,
		    (size_t)n, restore_scratch_name(r), cause) != 0)
			return -1;
	}
	if (r->mode == MODE_WHOLE) {
		r->bytes += hole;
		progress_update(r->progress, r->bytes, r->files);
		return restore_file_hole(r, hole, cause);
	}
	return 0;
}

/*
 * Apply the delta waiting in r->delta_fd to the base in r->cur_fd (its
 * size checked), into the restored file: for a delta whose copies do not
 * run forward.
 */
static int
restore_patch(struct restore *r, struct rentry *re, uint8_t got[HASH_LEN],
    char **cause)
{
	struct restore_out	*out = restore_out_new(r);
	int			 rc = -1;

	if (restore_file_begin(r, re, cause) != 0)
		goto out;
	if (rsync_patch(r->cur_fd, r->delta_fd, re->size, &out->sink,
	    cause) != 0) {
		restore_patch_failed(out, re->path, cause);
		goto out;
	}
	rc = restore_patched(r, out, re, got, cause);
out:
	if (rc != 0)
		restore_file_abort(r);
	restore_out_drop(out);
	return rc;
}

/* The streamed base has all arrived: let the patch finish. */
static int
restore_stream_end(struct restore *r, struct rentry *re, uint8_t got[HASH_LEN],
    char **cause)
{
	struct sink	*stream = r->stream;
	int		 rc = -1;

	r->stream = NULL;
	if (sink_finish(stream, cause) != 0) {
		restore_patch_failed(r->stream_out, re->path, cause);
		goto out;
	}
	rc = restore_patched(r, r->stream_out, re, got, cause);
out:
	sink_free(stream);
	if (rc != 0)
		restore_file_abort(r);
	return rc;
}

static int
restore_entry_end(struct restore *r, const uint8_t *p, size_t len,
    char **cause)
{
	struct rentry	*re = r->cur;
	enum restore_mode mode = r->mode;
	uint8_t		 stored[HASH_LEN], got[HASH_LEN];
	uint64_t	 size;
	int		 streamed = r->stream != NULL, rc;

	if (mode == MODE_NONE)
		return error_set(cause, "file end outside any file");
	if (record_decode_entry_end(p, len, &size, stored, cause) != 0)
		return -1;
	r->mode = MODE_NONE;
	r->cur = NULL;
	if (mode == MODE_SKIP)
		return 0;
	hash_final(r->cur_hash, got);
	switch (mode) {
	case MODE_WHOLE:
		if (size != re->size || r->cur_pos != size ||
		    memcmp(stored, re->sha256, HASH_LEN) != 0 ||
		    (!r->cur_held && memcmp(got, re->sha256, HASH_LEN) != 0))
			return restore_corrupt(cause, "'%s' does not match its "
			    "manifest hash", re->path);
		if (!r->cur_held && restore_file_commit(r, size, cause) != 0)
			return -1;
		/* Named when its volume's digest is checked. */
		if (r->cur_held && applyq_hold(r->applyq, size, re->sha256,
		    cause) != 0)
			return -1;
		r->held += r->cur_held;
		break;
	case MODE_DELTA:
		/* The delta is checked before librsync ever sees it. */
		if (size != re->size || memcmp(stored, re->sha256,
		    HASH_LEN) != 0 || r->cur_pos != re->delta->size ||
		    memcmp(got, re->delta->sha256, HASH_LEN) != 0) {
			restore_scratch_close(r, 1);
			return restore_corrupt(cause, "the delta of '%s' does "
			    "not match its manifest hash", re->path);
		}
		if (lseek(r->cur_fd, 0, SEEK_SET) != 0) {
			restore_scratch_close(r, 1);
			return error_sys(cause, "unable to read %s",
			    restore_scratch_name(r));
		}
		rc = rsync_delta_runs_forward(r->cur_fd, re->delta->base_size,
		    re->size, cause);
		if (rc == -1) {
			restore_scratch_close(r, 1);
			restore_patch_failed(NULL, re->path, cause);
			return -1;
		}
		re->delta->forward = rc == 1;
		/* It waits for its base, in an older set. */
		if (r->cur_tmp == NULL) {
			re->delta->spool_fd = r->cur_fd;
			r->cur_fd = -1;
			r->spool_fds++;
		}
		re->delta->spool_tmp = r->cur_tmp;
		r->cur_tmp = NULL;
		restore_scratch_close(r, 0);
		return 0;
	case MODE_BASE:
		/* Its size and stored hash; its bytes through the output's. */
		rc = size != re->delta->base_size || r->cur_pos != size ||
		    memcmp(stored, re->delta->base_sha256, HASH_LEN) != 0;
		if (rc) {
			restore_base_end(r);
			if (streamed)
				restore_file_abort(r);
			restore_scratch_close(r, 1);
			return restore_corrupt(cause, "the base of '%s' does "
			    "not match its manifest hash", re->path);
		}
		rc = streamed ? restore_stream_end(r, re, got, cause) :
		    restore_patch(r, re, got, cause);
		restore_base_end(r);
		restore_scratch_close(r, 1);
		if (rc != 0)
			return -1;
		if (memcmp(got, re->sha256, HASH_LEN) != 0)
			return restore_corrupt(cause, "'%s' does not match its "
			    "manifest hash after patching", re->path);
		if (restore_file_commit(r, re->size, cause) != 0)
			return -1;
		break;
	default:
		break;
	}
	re->done = 1;
	r->restored++;
	r->files++;
	progress_update(r->progress, r->bytes, r->files);
	return 0;
}

static int
restore_record(void *arg, uint64_t offset, uint8_t type, const uint8_t *p,
    size_t len, char **cause)
{
	struct restore	*r = arg;
	char		*set = NULL, *path = NULL;
	uint32_t	 number;
	uint64_t	 pos;
	int		 rc = -1;

	/* A safe point: what is half written is dropped on the way out. */
	if (interrupt_check(cause) != 0)
		return -1;
	switch (type) {
	case RECORD_VOLUME_INFO:
		if (record_decode_volume_info(p, len, &set, &number,
		    cause) != 0)
			return -1;
		if (strcmp(set, r->set->id) != 0 || number != r->vol)
			error_set(cause, "volume belongs to set %s number %u, "
			    "not %s number %u", set, number, r->set->id,
			    r->vol);
		else
			rc = 0;
		free(set);
		/* Reading did not continue from the previous volume. */
		if (r->prev_vol + 1 != r->vol && r->mode != MODE_NONE) {
			if (r->mode != MODE_SKIP)
				return restore_corrupt(cause, "'%s' is split "
				    "over a volume that was not read",
				    r->cur->path);
			r->mode = MODE_NONE;
			r->cur = NULL;
		}
		return rc;
	case RECORD_ENTRY:
		return restore_entry_record(r, offset, p, len, cause);
	case RECORD_DATA:
	case RECORD_HOLE:
	case RECORD_DELTA:
		return restore_content(r, type, p, len, cause);
	case RECORD_ENTRY_END:
		return restore_entry_end(r, p, len, cause);
	case RECORD_ENTRY_CONTINUE:
		if (record_decode_continue(p, len, &path, &pos, cause) != 0)
			return -1;
		if (r->mode == MODE_NONE) {
			/* Started reading in the middle of a file. */
			r->mode = MODE_SKIP;
			rc = 0;
		} else if (r->cur != NULL && strcmp(path, r->cur->path))
			rc = restore_corrupt(cause, "continuation of '%s' "
			    "does not match", path);
		else if ((r->mode == MODE_WHOLE || r->mode == MODE_BASE) &&
		    pos != r->cur_pos)
			rc = restore_corrupt(cause, "continuation of '%s' "
			    "does not match", path);
		else
			rc = 0;
		free(path);
		return rc;
	case RECORD_VOLUME_END:
		return record_decode_u64(p, len, &pos, cause);
	}
	return error_set(cause, "unexpected record type 0x%02x", type);
}

/* A held file whose own hash is wrong: not done (restore_lose says why). */
static void
restore_held_lost(void *arg, const char *path)
{
	struct restore	*r = arg;
	struct rentry	*re = rindex_get(r->ix, path);

	if (re == NULL || !re->done)
		return;
	re->done = 0;
	r->restored--;
	r->files--;
}

/*
 * The volume failed its digest, or could not be read to its end: its held
 * files are hashed one by one, and only those that match are named. A
 * failure of the writer thread replaces *cause (it stops the run).
 */
static int
restore_publish_checked(struct restore *r, char **cause)
{
	char	*why = NULL;

	if (r->held == 0)
		return 0;
	r->held = 0;
	if (applyq_sync(r->applyq, &why) == 0 && apply_publish(r->apply,
	    restore_held_lost, r, &why) == 0)
		return 0;
	free(*cause);
	*cause = why;
	return -1;
}

/*
 * A damaged volume's plaintext still queued in the chain (the digest fails
 * only once every octet was read) is parsed all the same, so that the
 * files it completes are held, then named if their own hash is right.
 * parse, the queue in front of the record reader, is finished on its own:
 * zstd does not finish its next stage after its own failure (a bad frame
 * checksum, at the end), which would drop what that queue holds. What the
 * chain says about the rest is beside the point.
 */
static void
restore_parse_rest(struct sink *chain, struct sink *parse)
{
	char	*ignored = NULL;

	(void)sink_finish(chain, &ignored);
	free(ignored);
	ignored = NULL;
	(void)sink_finish(parse, &ignored);
	free(ignored);
}

/* Drop the file being read, if any: its volume failed. */
static void
restore_drop_current(struct restore *r)
{
	int	streamed = r->stream != NULL;

	restore_base_end(r);	/* first: its thread writes the file */
	if (r->mode == MODE_WHOLE || streamed)
		restore_file_abort(r);
	if (r->mode == MODE_BASE || r->mode == MODE_DELTA)
		restore_scratch_close(r, 1);
	r->mode = MODE_NONE;
	r->cur = NULL;
}

static int
restore_volumes(struct restore *r, char **cause)
{
	struct volume_info	*vi;
	struct sink		*chain, *parse;
	char			*what;
	size_t			 i;
	uint32_t		 v;
	int			 rc;

	for (i = 0; i < r->nsets; i++) {
		r->set = &r->sets[i];
		r->prev_vol = 0;
		r->mode = MODE_NONE;
		r->cur = NULL;
		for (v = 1; v <= r->set->nvols; v++) {
			if (!r->set->need[v])
				continue;
			vi = &r->set->vols[v - 1];
			r->vol = v;
			if (interrupt_check(cause) != 0)
				return -1;
			what = xasprintf("volume '%s'", vi->name);
			/*
			 * Three threads: this one reads the volume, hashes
			 * and decrypts it; zstd decompresses in the next; in
			 * the last, records are parsed and files queued for
			 * apply's thread (hashed only if not held). Only
			 * that last thread touches the restore's state.
			 */
			parse = async_sink_new(record_reader_new(what,
			    restore_record, r));
			chain = async_sink_new(zstd_decompress_sink_new(what,
			    parse));
			rc = object_read(r->transport, r->crypto, vi->name,
			    &vi->size, vi->sha256, chain, cause);
			if (rc != 0 && !interrupt_received() &&
			    restore_is_damage(*cause))
				restore_parse_rest(chain, parse);
			sink_free(chain);	/* the parsing thread is done */
			free(what);
			if (rc != 0 && (interrupt_received() ||
			    !restore_is_damage(*cause)))
				return -1;	/* held files are dropped */
			if (rc != 0) {
				/*
				 * What this volume held is lost; a file
				 * half written goes (it never had its real
				 * name), held files are named only if
				 * their own hash is right, and reading
				 * goes on with the next volume, which a
				 * file split out of this one is skipped in.
				 */
				restore_drop_current(r);
				if (restore_publish_checked(r, cause) != 0)
					return -1;
				restore_lose(r, r->set->id, v, vi->name, cause);
				continue;
			}
			/* Every octet as the manifest says: name them. */
			if (r->held > 0 && applyq_publish(r->applyq,
			    cause) != 0)
				return -1;
			r->held = 0;
			r->fetched += vi->size;
			r->fetched_vols++;
			r->prev_vol = v;
		}
		if (r->mode != MODE_NONE && r->mode != MODE_SKIP)
			return restore_corrupt(cause, "'%s' is cut off at the "
			    "end of its set", r->cur->path);
	}
	return 0;
}

/* Entries that are not regular files come from the manifest alone. */
static int
restore_specials(struct restore *r, int links, char **cause)
{
	struct rentry	*re, *other;
	struct entry	 e;
	size_t		 i;

	for (i = 0; i < rindex_count(r->ix); i++) {
		re = rindex_at(r->ix, i);
		if (!re->wanted || re->kind == 'f' ||
		    (re->kind == 'h') != links)
			continue;
		if (interrupt_check(cause) != 0)
			return -1;
		/* A link to a file that was lost is lost with it. */
		if (links && (other = rindex_get(r->ix, re->target)) != NULL &&
		    other->kind == 'f' && other->lost && !other->done)
			continue;
		rentry_entry(re, &e);
		if (r->apply != NULL && apply_begin(r->apply, &e, cause) != 0)
			return -1;
		re->done = 1;
		r->restored++;
	}
	return 0;
}

/*
 * Name every wanted entry that was not restored, one line each (with the
 * object it needed that could not be read), and fail if there is one or
 * an object was damaged: the cause says how many and the first damage.
 */
static int
restore_name_lost(struct restore *r, char **cause)
{
	const char	*verb = r->apply != NULL || r->opts->output != NULL ?
			    "restored" : "checked";
	struct rentry	*re, *first;
	char		*q;
	size_t		 i, n = 0, wanted = 0;

	for (i = 0; i < rindex_count(r->ix); i++) {
		first = re = rindex_at(r->ix, i);
		wanted += re->wanted != 0;
		if (!re->wanted || re->done)
			continue;
		if (re->lost == 0 && re->kind == 'h' &&
		    (re = rindex_get(r->ix, re->target)) == NULL)
			re = first;
		if (re->lost == 0 && r->damage == NULL)
			return restore_corrupt(cause, "'%s' is listed in the "
			    "manifest but missing from the volumes",
			    first->path);
		q = log_quote(first->path);
		if (re->lost != 0)
			log_error("not %s: '%s' (object '%s' could not be "
			    "read)", verb, q, r->damaged[re->lost - 1]);
		else
			log_error("not %s: '%s'", verb, q);
		free(q);
		n++;
	}
	if (r->damage == NULL)
		return 0;
	free(*cause);
	if (n == 0)
		error_set(cause, "every entry of set %s was %s, but %s",
		    r->set_id, verb, r->damage);
	else
		error_set(cause, "%zu of %zu entries of set %s could not be %s "
		    "(named above); %zu object%s could not be read, the first: "
		    "%s", n, wanted, r->set_id, verb, r->ndamaged,
		    r->ndamaged == 1 ? "" : "s", r->damage);
	return -1;
}

/*
 * Where scratch files go: under dest (its filesystem, and the operator
 * chose it for the data), else beside fetch's DEST, else $TMPDIR or /tmp.
 * Also how many deltas may wait as open nameless files.
 */
static void
restore_scratch_where(struct restore *r)
{
	const char	*tmp = getenv("TMPDIR");
	struct rlimit	 rl;

	if (r->opts->dest != NULL)
		r->scratch_where = r->opts->dest;
	else if (r->opts->scratch_dir != NULL)
		r->scratch_where = r->opts->scratch_dir;
	else {
		r->scratch_tmpdir = xstrdup(tmp != NULL && *tmp != '\0' ?
		    tmp : "/tmp");
		r->scratch_where = r->scratch_tmpdir;
	}
	r->spool_fds_max = 8;
	r->held_max = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 2 > 64 + r->spool_fds_max)
		r->spool_fds_max = rl.rlim_cur / 2 - 64;
	/*
	 * Held files: a quarter of the fds, so that with the spool's half
	 * and apply's open directories (64) some are left. With few fds,
	 * none: every file is hashed as it is written.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rl.rlim_cur ==
	    RLIM_INFINITY || rl.rlim_cur / 4 >= 64))
		r->held_max = rl.rlim_cur == RLIM_INFINITY ||
		    rl.rlim_cur / 4 > RESTORE_HELD_MAX ? RESTORE_HELD_MAX :
		    rl.rlim_cur / 4;
}

/* The directory for named deltas, made only when they are needed. */
static int
restore_make_scratch(struct restore *r, char **cause)
{
	r->scratch = xasprintf("%s/" SCRATCH_PREFIX "%ld.XXXXXX",
	    r->scratch_where, (long)getpid());
	if (mkdtemp(r->scratch) == NULL) {
		error_sys(cause, "unable to create scratch directory '%s'",
		    r->scratch);
		free(r->scratch);
		r->scratch = NULL;
		return -1;
	}
	return 0;
}

/* Remove a scratch directory (flat: deltas named 0, 1, ...) or file. */
static int
restore_sweep_one(int parent, const char *name)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if (unlinkat(parent, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR);
}

/*
 * Scratch left in dest by an earlier restore that was killed (SIGKILL,
 * power loss: nothing could run): ours by name, removed with a warning,
 * unless the pid in its name is still running.
 */
static void
restore_sweep(struct restore *r)
{
	const char	*dest = r->opts->dest, *p;
	DIR		*d;
	struct dirent	*de;
	char		*end;
	long		 pid;
	int		 fd;

	fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SCRATCH_PREFIX,
		    strlen(SCRATCH_PREFIX)) != 0)
			continue;
		p = de->d_name + strlen(SCRATCH_PREFIX);
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end != p && *end == '.' && pid > 0 && pid != (long)getpid() &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			log_warn("leaving '%s/%s' alone: pid %ld, which may be "
			    "a restore using it, is running", dest, de->d_name,
			    pid);
			continue;
		}
		if (restore_sweep_one(dirfd(d), de->d_name) == 0)
			log_warn("removed '%s/%s', left by an interrupted "
			    "restore", dest, de->d_name);
		else
			log_warn("unable to remove '%s/%s', left by an "
			    "interrupted restore: %s", dest, de->d_name,
			    strerror(errno));
	}
	closedir(d);
}

const struct catalog_set *
restore_pick_set(const struct catalog *cat, const struct restore_options *o,
    const char *where, char **cause)
{
	const struct catalog_set	*set = NULL;
	char				 when[21];
	size_t				 i;

	if (o->set != NULL) {
		for (i = 0; i < cat->nsets; i++) {
			if (strcmp(cat->sets[i].id, o->set) == 0 &&
			    cat->sets[i].has_manifest)
				set = &cat->sets[i];
		}
		if (set == NULL)
			error_set(cause, "no complete set %s in %s", o->set,
			    where);
	} else if (o->has_time) {
		if ((set = catalog_at(cat, o->time)) == NULL) {
			clock_format_iso(o->time, when);
			error_set(cause, "no complete set at or before %s in %s",
			    when, where);
		}
	} else if ((set = catalog_latest(cat)) == NULL)
		error_set(cause, "no complete backup set in %s", where);
	return set;
}

/*
 * The target, its catalog and its seals (checked first: nothing is read
 * that they do not vouch for), as the options give them or opened here.
 */
static int
restore_open_target(struct restore *r, struct catalog *cat,
    const struct catalog **cp, char **cause)
{
	const struct restore_options	*o = r->opts;

	if (o->open_transport != NULL)
		r->transport = o->open_transport;
	else if ((r->transport = target_open(o->url, &o->transport,
	    cause)) == NULL)
		return -1;
	if (o->open_catalog != NULL)
		*cp = o->open_catalog;
	else if (catalog_load(r->transport, cat, cause) != 0)
		return -1;
	if (o->open_seals != NULL)
		r->seals = o->open_seals;
	else if ((r->seals = seals_open(r->transport, *cp, &o->seals,
	    o->seals.cache_dir, cause)) == NULL)
		return -1;
	return 0;
}

int
restore_run(const struct restore_options *o, char **cause)
{
	static const struct manifest_visitor visitor = {
		NULL, restore_manifest_entry, NULL, NULL
	};
	struct restore			 r;
	struct catalog			 cat;
	const struct catalog		*cp = &cat;
	const struct catalog_set	*set = NULL;
	struct manifest_summary		 summary;
	struct entry			 out_e;
	struct rentry			*re;
	struct timespec			 t0, t1;
	struct crypto_pending		*pending = NULL;
	uint64_t			 total = 0;
	size_t				 i, j;
	char				*q;
	int				 rc = EXIT_FAILURE_, out_open = 0, opened;

	memset(&r, 0, sizeof r);
	memset(&cat, 0, sizeof cat);
	r.cur_fd = -1;
	r.delta_fd = -1;
	r.out_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.opts = o;
	/*
	 * The key is imported (a secret key starts its gpg-agent) in a thread
	 * while the target is opened and its seals are checked. Its failure
	 * is named first, as when it was read first.
	 */
	r.crypto = o->open_crypto;
	if (o->open_crypto == NULL)
		pending = crypto_new_begin(&o->crypto, 1);
	opened = restore_open_target(&r, &cat, &cp, cause);
	if (pending != NULL && (r.crypto = crypto_new_end(pending,
	    cause)) == NULL)
		goto out;
	if (opened != 0)
		goto out;
	if ((set = restore_pick_set(cp, o, target_display(r.transport),
	    cause)) == NULL)
		goto out;
	r.set_id = set->id;
	r.ix = rindex_new(set->id);
	if (seals_read_manifest(r.seals, r.transport, r.crypto, set->id,
	    &visitor, &r, &summary, cause) != 0)
		goto out;
	if ((o->output != NULL ? restore_select_one(&r, cause) :
	    restore_select(&r, cause)) != 0 || restore_plan(&r, cp,
	    cause) != 0)
		goto out;
	if (o->output != NULL) {
		rentry_entry(r.out_entry, &out_e);
		r.out_fd = o->output->open(o->output->arg, &out_e, cause);
		if (r.out_fd == -1)
			goto out;
		out_open = 1;
	}
	if (o->dest != NULL) {
		if ((r.apply = apply_new(o->dest, o->force, cause)) == NULL)
			goto out;
		/* Refuse before anything is written, not halfway through. */
		for (i = 0; i < rindex_count(r.ix) && !o->force; i++) {
			re = rindex_at(r.ix, i);
			if (re->wanted && re->kind != 'd' &&
			    apply_exists(r.apply, re->path)) {
				q = log_quote(re->path);
				error_set(cause, "refusing to overwrite '%s/%s' "
				    "(use --force)", o->dest, q);
				free(q);
				goto out;
			}
		}
	}
	restore_scratch_where(&r);
	if (o->dest != NULL)
		restore_sweep(&r);
	if (restore_specials(&r, 0, cause) != 0)
		goto out;
	/*
	 * The total is known: the wanted files' sizes. Not on a terminal
	 * that is also fetch's output.
	 */
	r.progress = progress_start(o->output != NULL ? o->output->verb :
	    o->dest != NULL ? "restore" : "verify", o->quiet ||
	    (r.out_fd != -1 && isatty(r.out_fd)));
	for (i = 0; i < rindex_count(r.ix); i++) {
		re = rindex_at(r.ix, i);
		if (re->wanted && re->kind == 'f')
			total += re->size;
	}
	progress_set_total(r.progress, total);
	/* Files are written behind a queue; links need them done. */
	if (r.apply != NULL && (r.applyq = applyq_new(r.apply, cause)) == NULL)
		goto out;
	if (restore_volumes(&r, cause) != 0 ||
	    (r.applyq != NULL && applyq_sync(r.applyq, cause) != 0) ||
	    restore_specials(&r, 1, cause) != 0)
		goto out;
	if (interrupt_check(cause) != 0 ||
	    (r.apply != NULL && apply_finish(r.apply, cause) != 0))
		goto out;
	if (restore_name_lost(&r, cause) != 0)
		goto out;
	if (out_open) {
		out_open = 0;
		if (o->output->close(o->output->arg, 1, cause) != 0)
			goto out;
	}
	progress_free(r.progress);
	r.progress = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet && o->output != NULL) {
		q = log_quote(r.out_entry->path);
		/* stdout may be the data: the summary goes to stderr. */
		fprintf(stderr, "%s: '%s' from set %s in %s: %" PRIu64
		    " bytes; %" PRIu64 " bytes read from the target (%u "
		    "volumes), %.1f s\n",
		    o->output->verb, q, set->id, target_display(r.transport),
		    r.bytes, r.fetched, r.fetched_vols,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		free(q);
	} else if (!o->quiet)
		printf("%s: set %s from %s: %" PRIu64 " entries, %" PRIu64
		    " bytes%s%s, %zu sets read, %.1f s\n", o->dest != NULL ?
		    "restore" : "verify", set->id,
		    target_display(r.transport), r.restored, r.bytes,
		    o->dest != NULL ? " to " : ", all hashes match",
		    o->dest != NULL ? o->dest : "", r.nsets,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (o->open_seals == NULL)
		seals_say_learned(r.seals);
	if (summary.warnings > 0)
		log_warn("set %s was made with %" PRIu64 " entries skipped "
		    "(unreadable at backup time)", set->id, summary.warnings);
	rc = EXIT_OK;
out:
	progress_free(r.progress);
	if (out_open)
		o->output->close(o->output->arg, 0, NULL);
	if (rc != EXIT_OK && cause != NULL && *cause != NULL && r.set_id &&
	    strstr(*cause, r.set_id) == NULL)
		error_prefix(cause, "%s of set %s failed", o->output != NULL ?
		    o->output->verb : o->dest != NULL ? "restore" : "verify", r.set_id);
	if (r.stream != NULL) {
		restore_base_end(&r);
		restore_file_abort(&r);
	}
	restore_base_end(&r);
	restore_scratch_close(&r, 1);
	hash_free(r.cur_hash);
	applyq_free(r.applyq);	/* finishes what is queued, before apply goes */
	apply_free(r.apply);
	rindex_free(r.ix);
	if (r.scratch != NULL) {
		rmdir(r.scratch);
		free(r.scratch);
	}
	free(r.scratch_tmpdir);
	free(r.damage);
	for (i = 0; i < r.ndamaged; i++)
		free(r.damaged[i]);
	free(r.damaged);
	for (i = 0; i < r.nsets; i++) {
		for (j = 0; j < r.sets[i].nvols; j++)
			volume_info_clear(&r.sets[i].vols[j]);
		free(r.sets[i].vols);
		free(r.sets[i].need);
		free(r.sets[i].id);
	}
	free(r.sets);
	if (o->open_transport == NULL)
		target_close(r.transport);
	if (o->open_crypto == NULL)
		crypto_free(r.crypto);
	if (o->open_seals == NULL)
		seals_free(r.seals);
	catalog_clear(&cat);
	return rc;
}
