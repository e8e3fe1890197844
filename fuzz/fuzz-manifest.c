/*
 * fuzz-manifest.c: the manifest parser (format/manifest.c), which reads
 * every set's manifest before a restore, verify, ls or purge touches it.
 * Input: a seed byte for how the text is cut into writes, then the text.
 * The visitor does what restore/list.c and restore/verify.c do with what
 * it is given: times printed as ISO 8601 (the clock_format_iso bug with
 * years past 9999 was found here), the set holding an entry's whole
 * version looked up, ownership of the entry's strings taken.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "format/manifest.h"
#include "fuzz.h"

static int
on_header(void *arg, const struct manifest_header *h, char **cause)
{
	char	when[21];

	(void)arg;
	(void)cause;
	clock_format_iso(h->time, when);
	if (strlen(when) == 0 || strlen(when) > 20)
		abort();
	return 0;
}

static int
on_entry(void *arg, struct manifest_entry *me, char **cause)
{
	char	when[21];

	(void)arg;
	(void)cause;
	clock_format_iso(me->e.mtime_sec, when);
	if (strlen(when) == 0 || strlen(when) > 20)
		abort();
	if (manifest_entry_whole_set(me, "this") == NULL)
		abort();
	entry_clear(&me->e);
	return 0;
}

static int
on_object(void *arg, const struct volume_info *vi, char **cause)
{
	(void)arg;
	(void)cause;
	if (vi->name == NULL)
		abort();
	return 0;
}

static const struct manifest_visitor visitor = {
	.header = on_header,
	.entry = on_entry,
	.volume = on_object,
	.signatures = on_object,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_reader	*mr;
	struct manifest_summary	 sum;
	struct fuzz_chunks	 c;
	struct sink		*s;
	const uint8_t		*piece;
	size_t			 n;
	char			*cause = NULL;
	int			 rc = -1;

	if (size < 1)
		return 0;
	mr = manifest_reader_new(&visitor, NULL);
	s = manifest_reader_sink(mr);
	fuzz_chunks_init(&c, data + 1, size - 1, data[0]);
	while ((n = fuzz_chunks_next(&c, &piece)) > 0) {
		if (sink_write(s, piece, n, &cause) != 0)
			goto out;
	}
	if (sink_finish(s, &cause) != 0)
		goto out;
	/* The set id tresor would have asked for: the usual one. */
	rc = manifest_reader_check(mr, "manifest", "fuzz",
	    "20240101T000000Z", &sum, &cause);
out:
	if (rc != 0 && (cause == NULL || strchr(cause, '\n') != NULL))
		abort();
	free(cause);
	sink_free(s);
	manifest_reader_free(mr);
	return 0;
}
