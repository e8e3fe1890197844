/* rindex.c: compact entries of the set being restored (see rindex.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "rindex.h"

/* Entries come in chunks, so that their addresses never move. */
#define RINDEX_CHUNK_SHIFT	12
#define RINDEX_CHUNK		((size_t)1 << RINDEX_CHUNK_SHIFT)
/* Arena blocks; a longer string gets a block of its own. */
#define RINDEX_ARENA_BLOCK	(256 * 1024)
#define RINDEX_MAX_SETS		UINT16_MAX
#define RINDEX_MAX_ENTRIES	((size_t)UINT32_MAX - 1)

struct rindex_block {
	struct rindex_block	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

struct rindex {
	struct rentry		**chunks;
	size_t			  nchunks;
	size_t			  count;
	/* Open addressing over entry numbers plus one (0: empty slot). */
	uint32_t		 *slots;
	size_t			  nslots;	/* a power of two */
	struct rindex_block	 *blocks;	/* newest first */
	char			(*sets)[SET_ID_MAX];
	size_t			  nsets;
	char			  this_set[SET_ID_MAX];
};

static uint64_t
rindex_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct rindex *
rindex_new(const char *this_set)
{
	struct rindex	*ix = xcalloc(1, sizeof *ix);

	snprintf(ix->this_set, sizeof ix->this_set, "%s", this_set);
	ix->nslots = 1024;
	ix->slots = xcalloc(ix->nslots, sizeof *ix->slots);
	return ix;
}

static char *
rindex_strdup(struct rindex *ix, const char *s)
{
	struct rindex_block	*b = ix->blocks, *nb;
	size_t			 len = strlen(s) + 1, size;
	char			*p;

	if (b == NULL || b->size - b->used < len) {
		size = len > RINDEX_ARENA_BLOCK / 4 ? len : RINDEX_ARENA_BLOCK;
		nb = xmalloc(sizeof *nb + size);
		nb->used = 0;
		nb->size = size;
		/* A big string's block goes second: the current one goes on. */
		if (size == len && b != NULL) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			ix->blocks = nb;
		}
		b = nb;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	b->used += len;
	return p;
}

/* The slot for path: its entry's, or the empty one it would go in. */
static uint32_t *
rindex_slot(const struct rindex *ix, const char *path)
{
	size_t	i = rindex_hash(path) & (ix->nslots - 1);

	while (ix->slots[i] != 0 &&
	    strcmp(rindex_at(ix, ix->slots[i] - 1)->path, path) != 0)
		i = (i + 1) & (ix->nslots - 1);
	return &ix->slots[i];
}

static void
rindex_grow(struct rindex *ix)
{
	uint32_t	*old = ix->slots;
	size_t		 old_n = ix->nslots, i;

	ix->nslots *= 2;
	ix->slots = xcalloc(ix->nslots, sizeof *ix->slots);
	for (i = 0; i < old_n; i++) {
		if (old[i] != 0)
			*rindex_slot(ix, rindex_at(ix, old[i] - 1)->path) =
			    old[i];
	}
	free(old);
}

static int
rindex_set(struct rindex *ix, const char *id, uint16_t *out, char **cause)
{
	size_t	i;

	if (*id == '\0')
		id = ix->this_set;
	for (i = 0; i < ix->nsets; i++) {
		if (strcmp(ix->sets[i], id) == 0) {
			*out = (uint16_t)i;
			return 0;
		}
	}
	if (ix->nsets == RINDEX_MAX_SETS)
		return error_set(cause, "the manifest names more than %d sets",
		    RINDEX_MAX_SETS);
	ix->sets = xrealloc(ix->sets, (ix->nsets + 1) * sizeof *ix->sets);
	snprintf(ix->sets[ix->nsets], SET_ID_MAX, "%s", id);
	*out = (uint16_t)ix->nsets++;
	return 0;
}

static int
rindex_loc(struct rindex *ix, const struct content_loc *from,
    struct rloc *to, char **cause)
{
	to->off = from->off;
	to->vol = from->vol;
	to->last = from->last;
	return rindex_set(ix, from->set, &to->set, cause);
}

int
rindex_add(struct rindex *ix, struct manifest_entry *me, char **cause)
{
	struct rentry	*re;
	uint32_t	*slot;
	char		*q;
	int		 rc = -1;

	if (ix->count == RINDEX_MAX_ENTRIES) {
		error_set(cause, "the manifest lists more than %zu entries",
		    RINDEX_MAX_ENTRIES);
		goto out;
	}
	slot = rindex_slot(ix, me->e.path);
	if (*slot != 0) {
		q = log_quote(me->e.path);
		error_set(cause, "path '%s' is listed twice", q);
		free(q);
		goto out;
	}
	if ((ix->count >> RINDEX_CHUNK_SHIFT) == ix->nchunks) {
		ix->chunks = xrealloc(ix->chunks, (ix->nchunks + 1) *
		    sizeof *ix->chunks);
		ix->chunks[ix->nchunks++] = xmalloc(RINDEX_CHUNK *
		    sizeof **ix->chunks);
	}
	re = &ix->chunks[ix->count >> RINDEX_CHUNK_SHIFT][ix->count &
	    (RINDEX_CHUNK - 1)];
	memset(re, 0, sizeof *re);
	re->path = rindex_strdup(ix, me->e.path);
	re->target = me->e.target != NULL ?
	    rindex_strdup(ix, me->e.target) : NULL;
	re->size = me->e.size;
	re->mtime_sec = me->e.mtime_sec;
	re->mtime_nsec = me->e.mtime_nsec;
	re->rdev = me->e.rdev;
	re->mode = me->e.mode;
	re->uid = me->e.uid;
	re->gid = me->e.gid;
	re->kind = me->e.kind;
	memcpy(re->sha256, me->sha256, HASH_LEN);
	if (rindex_loc(ix, &me->loc, &re->loc, cause) != 0)
		goto out;
	if (me->is_delta) {
		re->delta = xcalloc(1, sizeof *re->delta);
		re->delta->spool_fd = -1;
		re->delta->size = me->delta_size;
		memcpy(re->delta->sha256, me->delta_sha256, HASH_LEN);
		re->delta->base_size = me->base_size;
		memcpy(re->delta->base_sha256, me->base_sha256, HASH_LEN);
		if (rindex_loc(ix, &me->base, &re->delta->base, cause) != 0) {
			free(re->delta);
			goto out;
		}
	}
	/* Counted only now: a failed entry is not one. */
	*slot = (uint32_t)(ix->count + 1);
	ix->count++;
	if (ix->count * 4 > ix->nslots * 3)
		rindex_grow(ix);
	rc = 0;
out:
	entry_clear(&me->e);
	return rc;
}

size_t
rindex_count(const struct rindex *ix)
{
	return ix->count;
}

struct rentry *
rindex_at(const struct rindex *ix, size_t i)
{
	return &ix->chunks[i >> RINDEX_CHUNK_SHIFT][i & (RINDEX_CHUNK - 1)];
}

struct rentry *
rindex_get(const struct rindex *ix, const char *path)
{
	uint32_t	n = *rindex_slot(ix, path);

	return n == 0 ? NULL : rindex_at(ix, n - 1);
}

const char *
rindex_set_id(const struct rindex *ix, uint16_t set)
{
	return ix->sets[set];
}

void
rentry_entry(const struct rentry *re, struct entry *e)
{
	memset(e, 0, sizeof *e);
	e->kind = re->kind;
	e->mode = re->mode;
	e->uid = re->uid;
	e->gid = re->gid;
	e->mtime_sec = re->mtime_sec;
	e->mtime_nsec = re->mtime_nsec;
	e->size = re->size;
	e->rdev = re->rdev;
	/* Borrowed: nobody frees a struct entry made here. */
	e->path = (char *)re->path;
	e->target = (char *)re->target;
}

void
rindex_free(struct rindex *ix)
{
	struct rindex_block	*b, *next;
	struct rentry		*re;
	size_t			 i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->count; i++) {
		re = rindex_at(ix, i);
		if (re->delta == NULL)
			continue;
		if (re->delta->spool_fd != -1)
			close(re->delta->spool_fd);
		if (re->delta->spool_tmp != NULL)
			unlink(re->delta->spool_tmp);
		free(re->delta->spool_tmp);
		free(re->delta);
	}
	for (i = 0; i < ix->nchunks; i++)
		free(ix->chunks[i]);
	free(ix->chunks);
	for (b = ix->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(ix->slots);
	free(ix->sets);
	free(ix);
}
