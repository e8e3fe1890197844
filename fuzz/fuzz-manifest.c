/*
 * fuzz-manifest.c: the manifest parser (format/manifest.c), which reads
 * every set's manifest before a restore, verify, ls or purge touches it.
 * Input: a seed byte for how the text is cut into writes, then the text.
 * The visitor does what restore/list.c and restore/verify.c do with what
 * it is given: times printed as ISO 8601 (the clock_format_iso bug with
 * years outside 0000-9999 was found here), the set holding an entry's
 * whole version looked up, ownership of the entry's strings taken.
 *
 * Property: a manifest that parses is written out again by the writer
 * (header, entries, volumes, signatures, end line), and that text parses
 * to the same header, entries and objects: writer and reader agree on
 * everything either of them accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/xmalloc.h"
#include "format/manifest.h"
#include "fuzz.h"

/* What one parse saw. */
struct seen {
	struct manifest_header	 h;
	struct manifest_entry	*entries;
	size_t			 nentries;
	struct volume_info	*vols;
	size_t			 nvols;
	struct volume_info	 sigs;
	int			 has_sigs;
};

static int
on_header(void *arg, const struct manifest_header *h, char **cause)
{
	struct seen	*s = arg;
	char		 when[21];
	size_t		 i;

	(void)cause;
	clock_format_iso(h->time, when);
	if (strlen(when) == 0 || strlen(when) > 20)
		abort();
	s->h.set_id = xstrdup(h->set_id);
	s->h.full = h->full;
	s->h.time = h->time;
	s->h.nsources = h->nsources;
	s->h.sources = xcalloc(h->nsources + 1, sizeof *s->h.sources);
	for (i = 0; i < h->nsources; i++)
		s->h.sources[i] = xstrdup(h->sources[i]);
	return 0;
}

static int
on_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct seen	*s = arg;
	char		 when[21];

	(void)cause;
	clock_format_iso(me->e.mtime_sec, when);
	if (strlen(when) == 0 || strlen(when) > 20)
		abort();
	if (manifest_entry_whole_set(me, "this") == NULL)
		abort();
	/* Kept: the strings are ours now. */
	s->entries = xrealloc(s->entries, (s->nentries + 1) *
	    sizeof *s->entries);
	s->entries[s->nentries++] = *me;
	return 0;
}

static void
copy_object(struct volume_info *to, const struct volume_info *vi)
{
	*to = *vi;
	to->name = xstrdup(vi->name);
}

static int
on_volume(void *arg, const struct volume_info *vi, char **cause)
{
	struct seen	*s = arg;

	(void)cause;
	s->vols = xrealloc(s->vols, (s->nvols + 1) * sizeof *s->vols);
	copy_object(&s->vols[s->nvols++], vi);
	return 0;
}

static int
on_signatures(void *arg, const struct volume_info *vi, char **cause)
{
	struct seen	*s = arg;

	(void)cause;
	if (s->has_sigs)
		volume_info_clear(&s->sigs);
	copy_object(&s->sigs, vi);
	s->has_sigs = 1;
	return 0;
}

static const struct manifest_visitor visitor = {
	.header = on_header,
	.entry = on_entry,
	.volume = on_volume,
	.signatures = on_signatures,
};

static void
seen_clear(struct seen *s)
{
	size_t	i;

	manifest_header_clear(&s->h);
	for (i = 0; i < s->nentries; i++)
		entry_clear(&s->entries[i].e);
	free(s->entries);
	for (i = 0; i < s->nvols; i++)
		volume_info_clear(&s->vols[i]);
	free(s->vols);
	if (s->has_sigs)
		volume_info_clear(&s->sigs);
	memset(s, 0, sizeof *s);
}

/* Parse text cut by seed into s; 0 or -1. */
static int
parse(const uint8_t *p, size_t len, uint8_t seed, struct seen *s,
    struct manifest_summary *sum)
{
	struct manifest_reader	*mr = manifest_reader_new(&visitor, s);
	struct sink		*sk = manifest_reader_sink(mr);
	struct fuzz_chunks	 c;
	const uint8_t		*piece;
	size_t			 n;
	char			*cause = NULL;
	int			 rc = -1;

	memset(s, 0, sizeof *s);
	fuzz_chunks_init(&c, p, len, seed);
	while ((n = fuzz_chunks_next(&c, &piece)) > 0) {
		if (sink_write(sk, piece, n, &cause) != 0)
			goto out;
	}
	if (sink_finish(sk, &cause) != 0)
		goto out;
	/* The set id tresor would have asked for: the one it names. */
	rc = manifest_reader_check(mr, "manifest", "fuzz",
	    s->h.set_id != NULL ? s->h.set_id : "", sum, &cause);
out:
	if (rc != 0 && cause == NULL)
		abort();	/* a failure always says why */
	free(cause);
	sink_free(sk);
	manifest_reader_free(mr);
	return rc;
}

/* A sink collecting the writer's text. */
struct text_sink {
	struct sink	 sink;
	char		*p;
	size_t		 len;
};

static int
text_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct text_sink	*t = (struct text_sink *)s;

	(void)cause;
	t->p = xrealloc(t->p, t->len + len + 1);
	memcpy(t->p + t->len, buf, len);
	t->len += len;
	return 0;
}

static int
text_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
text_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops text_ops = {
	.name = "text",
	.write = text_write,
	.finish = text_finish,
	.free = text_free,
};

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_loc(const struct content_loc *a, const struct content_loc *b)
{
	return strcmp(a->set, b->set) == 0 && a->vol == b->vol &&
	    a->off == b->off && a->last == b->last;
}

static int
same_entry(const struct manifest_entry *a, const struct manifest_entry *b)
{
	if (a->e.kind != b->e.kind || a->e.mode != b->e.mode ||
	    a->e.uid != b->e.uid || a->e.gid != b->e.gid ||
	    a->e.mtime_sec != b->e.mtime_sec ||
	    a->e.mtime_nsec != b->e.mtime_nsec || a->e.size != b->e.size ||
	    a->e.rdev != b->e.rdev || !same_str(a->e.path, b->e.path) ||
	    !same_str(a->e.target, b->e.target) ||
	    a->has_sha256 != b->has_sha256 ||
	    memcmp(a->sha256, b->sha256, HASH_LEN) != 0 ||
	    !same_loc(&a->loc, &b->loc) || a->ino != b->ino ||
	    a->ctime_sec != b->ctime_sec || a->ctime_nsec != b->ctime_nsec ||
	    a->is_delta != b->is_delta || a->has_sig != b->has_sig ||
	    a->sig_off != b->sig_off)
		return 0;
	if (a->is_delta && (a->delta_size != b->delta_size ||
	    memcmp(a->delta_sha256, b->delta_sha256, HASH_LEN) != 0 ||
	    !same_loc(&a->base, &b->base) || a->base_size != b->base_size ||
	    memcmp(a->base_sha256, b->base_sha256, HASH_LEN) != 0))
		return 0;
	return 1;
}

static int
same_object(const struct volume_info *a, const struct volume_info *b)
{
	return a->number == b->number && same_str(a->name, b->name) &&
	    a->size == b->size && memcmp(a->sha256, b->sha256, HASH_LEN) == 0;
}

/* Write what s holds and parse it again: it must read the same. */
static void
round_trip(struct seen *s, const struct manifest_summary *sum)
{
	struct manifest_writer	*mw;
	struct manifest_summary	 sum2;
	struct text_sink	 t = { { &text_ops }, NULL, 0 };
	struct seen		 again;
	char			*cause = NULL;
	size_t			 i;

	if ((mw = manifest_writer_new(&cause)) == NULL)
		abort();	/* no spool file: the machine, not the input */
	for (i = 0; i < s->nentries; i++) {
		if (manifest_writer_add(mw, &s->entries[i], &cause) != 0)
			abort();
	}
	manifest_writer_set_warnings(mw, sum->warnings);
	s->h.keys = sum->keys[0] != '\0' ? sum->keys : NULL;
	if (manifest_writer_write(mw, &t.sink, NULL, &s->h, s->vols,
	    s->nvols, s->has_sigs ? &s->sigs : NULL, &cause) != 0)
		abort();
	s->h.keys = NULL;
	manifest_writer_free(mw);
	if (parse((const uint8_t *)t.p, t.len, 0, &again, &sum2) != 0)
		abort();	/* the writer wrote what the reader refuses */
	if (!same_str(again.h.set_id, s->h.set_id) ||
	    again.h.full != s->h.full || again.h.time != s->h.time ||
	    again.h.nsources != s->h.nsources ||
	    again.nentries != s->nentries || again.nvols != s->nvols ||
	    again.has_sigs != s->has_sigs ||
	    sum2.entries != sum->entries || sum2.volumes != sum->volumes ||
	    sum2.warnings != sum->warnings ||
	    strcmp(sum2.keys, sum->keys) != 0)
		abort();
	for (i = 0; i < s->h.nsources; i++) {
		if (!same_str(again.h.sources[i], s->h.sources[i]))
			abort();
	}
	for (i = 0; i < s->nentries; i++) {
		if (!same_entry(&again.entries[i], &s->entries[i]))
			abort();
	}
	for (i = 0; i < s->nvols; i++) {
		if (!same_object(&again.vols[i], &s->vols[i]))
			abort();
	}
	if (s->has_sigs && !same_object(&again.sigs, &s->sigs))
		abort();
	seen_clear(&again);
	free(t.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_summary	sum;
	struct seen		s;

	if (size < 1)
		return 0;
	if (parse(data + 1, size - 1, data[0], &s, &sum) == 0)
		round_trip(&s, &sum);
	seen_clear(&s);
	return 0;
}
