/*
 * restore.c: the restore engine (see restore.h).
 *
 * 1. Read the manifest: every entry with its hash and location, every
 *    volume with its stored size and SHA-256.
 * 2. Select entries (the paths asked for, their parent directories, and
 *    the first name of any hard link among them) and the volumes that hold
 *    them: only those volumes are fetched.
 * 3. Stream each volume through hash -> gpg -> zstd -> record reader; the
 *    records drive apply.c. Every file's content is hashed as it is written
 *    and must match both its ENTRY_END record and the manifest before it is
 *    renamed into place. A file never grows past the size the manifest
 *    records, whatever the volume says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "format/catalog.h"
#include "format/filter/filter.h"
#include "format/manifest.h"
#include "format/object.h"
#include "format/record.h"
#include "restore.h"
#include "transports/transport.h"

struct rentry {
	struct manifest_entry	 me;
	int			 wanted;
	int			 done;
};

struct restore {
	const struct restore_options	*opts;
	struct transport		*transport;
	struct crypto			*crypto;
	struct apply			*apply;		/* NULL: check only */
	const char			*set_id;
	struct strmap			*entries;	/* path -> rentry */
	struct rentry			**list;		/* manifest order */
	size_t				 nlist;
	struct volume_info		*vols;
	size_t				 nvols;
	/* Record stream state. */
	uint32_t			 vol;		/* being read */
	uint32_t			 prev_vol;	/* last read completely */
	struct rentry			*cur;		/* open regular file */
	int				 cur_skip;	/* not wanted: discard */
	uint64_t			 cur_pos;
	struct hash			*cur_hash;
	/* Totals. */
	uint64_t			 restored;
	uint64_t			 bytes;
};

static int
restore_manifest_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct restore	*r = arg;
	struct rentry	*re;
	char		*q;

	if (!apply_path_safe(me->e.path) || (me->e.kind == 'h' &&
	    !apply_path_safe(me->e.target))) {
		q = log_quote(me->e.path);
		error_set(cause, "unsafe path '%s'", q);
		free(q);
		entry_clear(&me->e);
		return -1;
	}
	if (strmap_get(r->entries, me->e.path) != NULL) {
		q = log_quote(me->e.path);
		error_set(cause, "path '%s' is listed twice", q);
		free(q);
		entry_clear(&me->e);
		return -1;
	}
	re = xcalloc(1, sizeof *re);
	re->me = *me;
	strmap_put(r->entries, me->e.path, re);
	r->list = xrealloc(r->list, (r->nlist + 1) * sizeof *r->list);
	r->list[r->nlist++] = re;
	return 0;
}

static int
restore_manifest_volume(void *arg, const struct volume_info *vi, char **cause)
{
	struct restore	*r = arg;

	(void)cause;
	r->vols = xrealloc(r->vols, (r->nvols + 1) * sizeof *r->vols);
	r->vols[r->nvols] = *vi;
	r->vols[r->nvols].name = xstrdup(vi->name);
	r->nvols++;
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
	if (re->me.e.kind == 'h') {
		other = strmap_get(r->entries, re->me.e.target);
		if (other == NULL)
			return error_set(cause, "hard link target of '%s' is "
			    "not in the set", re->me.e.path);
		if (restore_want(r, other, cause) != 0)
			return -1;
	}
	parent = xstrdup(re->me.e.path);
	slash = strrchr(parent, '/');
	if (slash != NULL) {
		*slash = '\0';
		other = strmap_get(r->entries, parent);
		if (other != NULL && restore_want(r, other, cause) != 0) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	return 0;
}

static int
restore_select(struct restore *r, char **cause)
{
	const struct restore_options	*o = r->opts;
	char				*sel, *q;
	size_t				 i, j, len, matched;

	for (i = 0; i < r->nlist; i++) {
		if (o->npaths == 0)
			r->list[i]->wanted = 1;
		if (r->list[i]->me.vol > r->nvols ||
		    r->list[i]->me.last > r->nvols)
			return error_set(cause, "manifest of %s is corrupt: "
			    "entry in a volume it does not list", r->set_id);
	}
	for (j = 0; j < o->npaths; j++) {
		sel = xstrdup(o->paths[j]);
		while ((len = strlen(sel)) > 1 && sel[len - 1] == '/')
			sel[len - 1] = '\0';
		matched = 0;
		for (i = 0; i < r->nlist; i++) {
			const char *p = r->list[i]->me.e.path;

			if (strcmp(p, sel) == 0 || (strncmp(p, sel, len) == 0 &&
			    p[len] == '/')) {
				matched++;
				if (restore_want(r, r->list[i], cause) != 0) {
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

static int
restore_corrupt(struct restore *r, char **cause, const char *fmt, const char *p)
{
	char	*q = log_quote(p != NULL ? p : "");

	error_set(cause, fmt, q);
	free(q);
	(void)r;
	return -1;
}

static int
restore_entry_record(struct restore *r, uint64_t offset, const uint8_t *p,
    size_t len, char **cause)
{
	struct entry	 e;
	struct rentry	*re;
	int		 rc = -1;

	if (r->cur != NULL)
		return restore_corrupt(r, cause, "entry '%s' has no end record",
		    r->cur->me.e.path);
	if (record_decode_entry(p, len, &e, cause) != 0)
		return -1;
	re = strmap_get(r->entries, e.path);
	if (re == NULL) {
		restore_corrupt(r, cause, "'%s' is not in the manifest",
		    e.path);
		goto out;
	}
	if (re->me.vol != r->vol || re->me.off != offset ||
	    re->me.e.kind != e.kind) {
		restore_corrupt(r, cause, "'%s' does not match its manifest "
		    "entry", e.path);
		goto out;
	}
	if (e.kind == 'f') {
		r->cur = re;
		r->cur_skip = !re->wanted;
		r->cur_pos = 0;
		if (!r->cur_skip) {
			hash_free(r->cur_hash);
			r->cur_hash = hash_new();
		}
	}
	if (!re->wanted) {
		rc = 0;
		goto out;
	}
	/* Restore what the manifest says (it is what was verified). */
	if (r->apply != NULL && apply_begin(r->apply, &re->me.e, cause) != 0)
		goto out;
	if (e.kind != 'f') {
		re->done = 1;
		r->restored++;
	}
	rc = 0;
out:
	entry_clear(&e);
	return rc;
}

static int
restore_content(struct restore *r, uint8_t type, const uint8_t *p, size_t len,
    char **cause)
{
	uint8_t		zeros[65536];
	uint64_t	n, hole = 0, left;

	if (r->cur == NULL)
		return error_set(cause, "file data outside any file");
	if (type == RECORD_HOLE && record_decode_u64(p, len, &hole, cause))
		return -1;
	n = type == RECORD_HOLE ? hole : len;
	if (r->cur_skip)
		return 0;
	if (n > r->cur->me.e.size - r->cur_pos)
		return restore_corrupt(r, cause, "'%s' holds more data than "
		    "its manifest entry", r->cur->me.e.path);
	r->cur_pos += n;
	r->bytes += n;
	if (type == RECORD_DATA) {
		hash_update(r->cur_hash, p, len);
		return r->apply == NULL ? 0 : apply_data(r->apply, p, len,
		    cause);
	}
	memset(zeros, 0, sizeof zeros);
	for (left = hole; left > 0; left -= n) {
		n = left < sizeof zeros ? left : sizeof zeros;
		hash_update(r->cur_hash, zeros, (size_t)n);
	}
	return r->apply == NULL ? 0 : apply_hole(r->apply, hole, cause);
}

static int
restore_entry_end(struct restore *r, const uint8_t *p, size_t len,
    char **cause)
{
	struct rentry	*re = r->cur;
	uint8_t		 stored[HASH_LEN], got[HASH_LEN];
	uint64_t	 size;

	if (re == NULL)
		return error_set(cause, "file end outside any file");
	if (record_decode_entry_end(p, len, &size, stored, cause) != 0)
		return -1;
	r->cur = NULL;
	if (r->cur_skip)
		return 0;
	hash_final(r->cur_hash, got);
	if (size != re->me.e.size || r->cur_pos != size ||
	    memcmp(stored, re->me.sha256, HASH_LEN) != 0 ||
	    memcmp(got, re->me.sha256, HASH_LEN) != 0)
		return restore_corrupt(r, cause, "'%s' does not match its "
		    "manifest hash", re->me.e.path);
	if (r->apply != NULL && apply_commit(r->apply, size, cause) != 0)
		return -1;
	re->done = 1;
	r->restored++;
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

	switch (type) {
	case RECORD_VOLUME_INFO:
		if (record_decode_volume_info(p, len, &set, &number,
		    cause) != 0)
			return -1;
		if (strcmp(set, r->set_id) != 0 || number != r->vol)
			error_set(cause, "volume belongs to set %s number %u, "
			    "not %s number %u", set, number, r->set_id, r->vol);
		else
			rc = 0;
		free(set);
		/* Reading did not continue from the previous volume. */
		if (r->prev_vol + 1 != r->vol && r->cur != NULL) {
			if (!r->cur_skip)
				return restore_corrupt(r, cause, "'%s' is "
				    "split over a volume that was not read",
				    r->cur->me.e.path);
			r->cur = NULL;
		}
		return rc;
	case RECORD_ENTRY:
		return restore_entry_record(r, offset, p, len, cause);
	case RECORD_DATA:
	case RECORD_HOLE:
		return restore_content(r, type, p, len, cause);
	case RECORD_ENTRY_END:
		return restore_entry_end(r, p, len, cause);
	case RECORD_ENTRY_CONTINUE:
		if (record_decode_continue(p, len, &path, &pos, cause) != 0)
			return -1;
		if (r->cur == NULL) {
			/* Started reading in the middle of a file. */
			r->cur = strmap_get(r->entries, path);
			r->cur_skip = 1;
			rc = r->cur != NULL && r->cur->me.e.kind == 'f' ? 0 :
			    restore_corrupt(r, cause, "'%s' is not a file in the "
			    "manifest", path);
		} else if (strcmp(path, r->cur->me.e.path) != 0 ||
		    (!r->cur_skip && pos != r->cur_pos))
			rc = restore_corrupt(r, cause, "continuation of '%s' "
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

static int
restore_volumes(struct restore *r, char **cause)
{
	struct volume_info	*vi;
	struct sink		*chain;
	uint8_t			*need = xcalloc(r->nvols + 1, 1);
	char			*what;
	size_t			 i;
	uint32_t		 v;
	int			 rc = -1;

	for (i = 0; i < r->nlist; i++) {
		if (!r->list[i]->wanted)
			continue;
		for (v = r->list[i]->me.vol; v <= r->list[i]->me.last; v++)
			need[v] = 1;
	}
	for (v = 1; v <= r->nvols; v++) {
		if (!need[v])
			continue;
		vi = &r->vols[v - 1];
		r->vol = v;
		what = xasprintf("volume '%s'", vi->name);
		chain = zstd_decompress_sink_new(what, record_reader_new(what,
		    restore_record, r));
		rc = object_read(r->transport, r->crypto, vi->name, &vi->size,
		    vi->sha256, chain, cause);
		sink_free(chain);
		free(what);
		if (rc != 0)
			goto out;
		r->prev_vol = v;
	}
	rc = 0;
out:
	free(need);
	return rc;
}

static void
restore_free_rentry(void *p)
{
	struct rentry	*re = p;

	entry_clear(&re->me.e);
	free(re);
}

int
restore_run(const struct restore_options *o, char **cause)
{
	static const struct manifest_visitor visitor = {
		NULL, restore_manifest_entry, restore_manifest_volume
	};
	struct restore			 r;
	struct catalog			 cat;
	const struct catalog_set	*set = NULL;
	struct manifest_summary		 summary;
	struct timespec			 t0, t1;
	size_t				 i;
	char				*q;
	int				 rc = EXIT_FAILURE_;

	memset(&r, 0, sizeof r);
	memset(&cat, 0, sizeof cat);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.opts = o;
	r.entries = strmap_new();
	if ((r.crypto = crypto_new(&o->crypto, 1, cause)) == NULL)
		goto out;
	if ((r.transport = transport_open(o->url, cause)) == NULL)
		goto out;
	if (catalog_load(r.transport, &cat, cause) != 0)
		goto out;
	if (o->set != NULL) {
		for (i = 0; i < cat.nsets; i++) {
			if (strcmp(cat.sets[i].id, o->set) == 0 &&
			    cat.sets[i].has_manifest)
				set = &cat.sets[i];
		}
		if (set == NULL) {
			error_set(cause, "no complete set %s in %s", o->set,
			    transport_display(r.transport));
			goto out;
		}
	} else if ((set = catalog_latest(&cat)) == NULL) {
		error_set(cause, "no complete backup set in %s",
		    transport_display(r.transport));
		goto out;
	}
	r.set_id = set->id;
	if (manifest_read(r.transport, r.crypto, set->id, &visitor, &r,
	    &summary, cause) != 0)
		goto out;
	if (restore_select(&r, cause) != 0)
		goto out;
	if (o->dest != NULL) {
		if ((r.apply = apply_new(o->dest, o->force, cause)) == NULL)
			goto out;
		/* Refuse before anything is written, not halfway through. */
		for (i = 0; i < r.nlist && !o->force; i++) {
			if (r.list[i]->wanted && r.list[i]->me.e.kind != 'd' &&
			    apply_exists(r.apply, r.list[i]->me.e.path)) {
				q = log_quote(r.list[i]->me.e.path);
				error_set(cause, "refusing to overwrite '%s/%s' "
				    "(use --force)", o->dest, q);
				free(q);
				goto out;
			}
		}
	}
	if (restore_volumes(&r, cause) != 0)
		goto out;
	if (r.cur != NULL && !r.cur_skip) {
		restore_corrupt(&r, cause, "'%s' is cut off at the end of the "
		    "set", r.cur->me.e.path);
		goto out;
	}
	for (i = 0; i < r.nlist; i++) {
		if (r.list[i]->wanted && !r.list[i]->done) {
			restore_corrupt(&r, cause, "'%s' is listed in the "
			    "manifest but missing from the volumes",
			    r.list[i]->me.e.path);
			goto out;
		}
	}
	if (r.apply != NULL && apply_finish(r.apply, cause) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("%s: set %s from %s: %" PRIu64 " entries, %" PRIu64
		    " bytes%s%s, %.1f s\n", o->dest != NULL ? "restore" :
		    "verify", set->id, transport_display(r.transport),
		    r.restored, r.bytes, o->dest != NULL ? " to " : ", all "
		    "hashes match", o->dest != NULL ? o->dest : "",
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (summary.warnings > 0)
		log_warn("set %s was made with %" PRIu64 " entries skipped "
		    "(unreadable at backup time)", set->id, summary.warnings);
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK && cause != NULL && *cause != NULL && r.set_id &&
	    strstr(*cause, r.set_id) == NULL)
		error_prefix(cause, "%s of set %s failed", o->dest != NULL ?
		    "restore" : "verify", r.set_id);
	hash_free(r.cur_hash);
	apply_free(r.apply);
	strmap_free_values(r.entries, restore_free_rentry);
	free(r.list);
	for (i = 0; i < r.nvols; i++)
		volume_info_clear(&r.vols[i]);
	free(r.vols);
	transport_close(r.transport);
	crypto_free(r.crypto);
	catalog_clear(&cat);
	return rc;
}
