/* clock.c: the run's notion of now, overridable for tests (see clock.h). */
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
	if (clock_parse(env, out) != 0)
		return error_set(cause, "invalid TRESOR_NOW '%s': expected seconds "
		    "or YYYY-MM-DDTHH:MM:SSZ", env);
	return 0;
}

void
clock_format_compact(time_t t, char out[17])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void
clock_format_iso(time_t t, char out[21])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
