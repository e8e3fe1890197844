/*
 * fuzz-timespec.c: duplicity's time syntax (common/timespec.c), as
 * --time, --older-than and --full-if-older-than and env.yml's intervals
 * take it, and the ISO 8601 form every message prints a time in
 * (common/clock.c). Input: "now" (4 bytes, little-endian: the seconds
 * tresor's clock can give), then the text (a NUL byte ends it).
 *
 * Properties: a parsed time prints as a string that fits its buffer, and
 * one from 1970 to 9999 prints in full and reads back the same (through
 * TRESOR_NOW's parser); an interval is never negative.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/timespec.h"
#include "fuzz.h"

static void
check_format(time_t t)
{
	char	iso[21], compact[17];
	time_t	back;

	memset(iso, 'x', sizeof iso);
	clock_format_iso(t, iso);
	if (memchr(iso, '\0', sizeof iso) == NULL || strlen(iso) == 0)
		abort();
	memset(compact, 'x', sizeof compact);
	clock_format_compact(t, compact);
	if (memchr(compact, '\0', sizeof compact) == NULL ||
	    strlen(compact) == 0)
		abort();
	if (t < 0 || t > CLOCK_MAX)
		return;
	if (strlen(iso) != 20 || strlen(compact) != 16 ||
	    clock_parse(iso, &back) != 0 || back != t ||
	    clock_parse(compact, &back) != 0 || back != t)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t	 now, t;
	int64_t	 seconds;
	char	*text, *cause = NULL;

	if (size < 4)
		return 0;
	now = (time_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
	    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
	text = fuzz_string(data + 4, size - 4);
	if (timespec_parse(text, now, &t, &cause) == 0)
		check_format(t);
	else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	if (timespec_interval(text, &seconds, &cause) == 0) {
		if (seconds < 0)
			abort();
		check_format((time_t)seconds);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	/* TRESOR_NOW's parser, which takes the same kinds of text. */
	if (clock_parse(text, &t) == 0)
		check_format(t);
	free(text);
	return 0;
}
