/*
 * clock.h: the time a run happens at. TRESOR_NOW (seconds since the epoch, or
 * an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ") overrides the system clock, so
 * tests can simulate months of nightly runs without sleeping.
 */
#ifndef TRESOR_CLOCK_H
#define TRESOR_CLOCK_H

#include <time.h>

/* The last second of year 9999, the last time the formats below spell. */
#define CLOCK_MAX	((time_t)253402300799LL)

/*
 * Returns -1 with *cause set if TRESOR_NOW is set but malformed or past
 * CLOCK_MAX (no set could be named after it).
 */
int	clock_now(time_t *, char **cause);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" or "YYYYMMDDTHHMMSSZ" or plain seconds. */
int	clock_parse(const char *, time_t *);
/*
 * Format as the compact set-id form "YYYYMMDDTHHMMSSZ" (17 bytes with NUL),
 * or as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL), the year always four
 * digits. A time outside the years 0000-9999 (a file's mtime can be one)
 * is written as its seconds since the epoch instead, which the ISO form's
 * 21 bytes always hold and the compact form's 17 cut to 16 characters.
 */
void	clock_format_compact(time_t, char out[17]);
void	clock_format_iso(time_t, char out[21]);

#endif
