/*
 * clock.h: the time a run happens at. TRESOR_NOW (seconds since the epoch, or
 * an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ") overrides the system clock, so
 * tests can simulate months of nightly runs without sleeping.
 */
#ifndef TRESOR_CLOCK_H
#define TRESOR_CLOCK_H

#include <time.h>

/* Returns -1 with *cause set if TRESOR_NOW is set but malformed. */
int	clock_now(time_t *, char **cause);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" or "YYYYMMDDTHHMMSSZ" or plain seconds. */
int	clock_parse(const char *, time_t *);
/* Format as the compact set-id form "YYYYMMDDTHHMMSSZ" (17 bytes with NUL). */
void	clock_format_compact(time_t, char out[17]);
/* Format as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void	clock_format_iso(time_t, char out[21]);

#endif
