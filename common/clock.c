/* clock.c: the run's notion of now, overridable for tests (see clock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "error.h"

int
clock_parse(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*end;
	char		*num_end;
	long long	 v;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	}
	if (end != NULL && *end == '\0') {
		*out = timegm(&tm);
		return 0;
	}
	v = strtoll(s, &num_end, 10);
	if (*s == '\0' || *num_end != '\0' || v < 0)
		return -1;
	*out = (time_t)v;
	return 0;
}

int
clock_now(time_t *out, char **cause)
{
	const char	*env = getenv("TRESOR_NOW");

	if (env == NULL || *env == '\0') {
		*out = time(NULL);
		return 0;
	}
	if (clock_parse(env, out) != 0 || *out > CLOCK_MAX)
		return error_set(cause, "invalid TRESOR_NOW '%s': expected seconds "
		    "or YYYY-MM-DDTHH:MM:SSZ up to year 9999", env);
	return 0;
}

/*
 * The UTC fields of t if its year has four digits (0000-9999), which is
 * what strftime's %Y would not pad or would overflow the callers' fixed
 * buffers with; 0, or -1 for any other time (gmtime_r may then fail and
 * leave tm unset).
 */
static int
clock_fields(time_t t, struct tm *tm)
{
	if (gmtime_r(&t, tm) == NULL || tm->tm_year < -1900 ||
	    tm->tm_year > 9999 - 1900)
		return -1;
	return 0;
}

/* The fields in range, so that the compiler sees they fit (they do). */
#define CLOCK_FIELDS(tm) \
	(unsigned)((tm)->tm_year + 1900) % 10000u, \
	(unsigned)((tm)->tm_mon + 1) % 100u, (unsigned)(tm)->tm_mday % 100u, \
	(unsigned)(tm)->tm_hour % 100u, (unsigned)(tm)->tm_min % 100u, \
	(unsigned)(tm)->tm_sec % 100u

void
clock_format_compact(time_t t, char out[17])
{
	struct tm	tm;

	if (clock_fields(t, &tm) != 0) {
		snprintf(out, 17, "%lld", (long long)t);
		return;
	}
	snprintf(out, 17, "%04u%02u%02uT%02u%02u%02uZ",
	    CLOCK_FIELDS(&tm));
}

void
clock_format_iso(time_t t, char out[21])
{
	struct tm	tm;

	/* INT64_MIN, the longest, is 20 characters. */
	if (clock_fields(t, &tm) != 0) {
		snprintf(out, 21, "%lld", (long long)t);
		return;
	}
	snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ",
	    CLOCK_FIELDS(&tm));
}
