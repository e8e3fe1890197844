/*
 * timespec.h: duplicity's time syntax, for --full-if-older-than,
 * --older-than and --time. Intervals are a series of number+unit pairs
 * (s, m, h, D, W, M = 30 days, Y = 365 days; "1h30m"); times are an
 * interval before now, "now", an ISO 8601 date-time (Z, +hh:mm, or no zone
 * meaning UTC), a date (YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY, at 00:00 UTC)
 * or seconds since the epoch. No dependency on the TZ environment.
 */
#ifndef TRESOR_TIMESPEC_H
#define TRESOR_TIMESPEC_H

#include <stdint.h>
#include <time.h>

int	timespec_parse(const char *text, time_t now, time_t *out, char **cause);
int	timespec_interval(const char *text, int64_t *seconds, char **cause);

#endif
