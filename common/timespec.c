/* timespec.c: duplicity's time syntax (see timespec.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "timespec.h"

static int64_t
timespec_unit(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'D': return 86400;
	case 'W': return 7 * 86400;
	case 'M': return 30 * 86400;
	case 'Y': return 365 * 86400;
	}
	return 0;
}

int
timespec_interval(const char *text, int64_t *seconds, char **cause)
{
	const char	*p = text;
	int64_t		 total = 0, n, unit;

	if (*p == '\0')
		return error_set(cause, "invalid interval '': empty");
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return error_set(cause, "invalid interval '%s': expected "
			    "a number before '%c'", text, *p);
		for (n = 0; isdigit((unsigned char)*p); p++) {
			if (n > (INT64_MAX - 9) / 10)
				return error_set(cause, "invalid interval '%s': "
				    "too large", text);
			n = n * 10 + (*p - '0');
		}
		if (*p == '\0')
			return error_set(cause, "invalid interval '%s': a number "
			    "needs a unit (s, m, h, D, W, M or Y)", text);
		if ((unit = timespec_unit(*p)) == 0)
			return error_set(cause, "invalid interval '%s': unknown "
			    "unit '%c' (use s, m, h, D, W, M or Y)", text, *p);
		if (n > (INT64_MAX - total) / unit)
			return error_set(cause, "invalid interval '%s': too "
			    "large", text);
		total += n * unit;
		p++;
	}
	*seconds = total;
	return 0;
}

/* Build a UTC time from fields; checks the date really exists. */
static int
timespec_utc(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	struct tm	tm;
	time_t		t;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	/* timegm normalises 02-30 to 03-02: refuse what moved. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*out = t;
	return 0;
}

int
timespec_parse(const char *text, time_t now, time_t *out, char **cause)
{
	int		 y, mo, d, h = 0, mi = 0, s = 0, oh, om, n = 0;
	char		 sign;
	int64_t		 ago;
	char		*end;
	long long	 v;

	if (strcmp(text, "now") == 0) {
		*out = now;
		return 0;
	}
	if (*text != '\0' && strspn(text, "0123456789") == strlen(text)) {
		v = strtoll(text, &end, 10);
		*out = (time_t)v;
		return 0;
	}
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
	    &n) == 6 && n > 0) {
		if (timespec_utc(y, mo, d, h, mi, s, out) != 0)
			goto bad_date;
		if (text[n] == '\0' || strcmp(text + n, "Z") == 0)
			return 0;
		if (sscanf(text + n, "%c%2d:%2d", &sign, &oh, &om) == 3 &&
		    (sign == '+' || sign == '-') && oh <= 14 && om <= 59 &&
		    strlen(text + n) == 6) {
			*out -= (sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
			return 0;
		}
		return error_set(cause, "invalid time '%s': bad zone (use Z or "
		    "+hh:mm)", text);
	}
	n = 0;
	if ((sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 ||
	    sscanf(text, "%4d/%2d/%2d%n", &y, &mo, &d, &n) == 3) &&
	    text[n] == '\0' && n == 10) {
		if (timespec_utc(y, mo, d, 0, 0, 0, out) != 0)
			goto bad_date;
		return 0;
	}
	n = 0;
	if (sscanf(text, "%2d/%2d/%4d%n", &mo, &d, &y, &n) == 3 &&
	    text[n] == '\0' && n == 10) {
		if (timespec_utc(y, mo, d, 0, 0, 0, out) != 0)
			goto bad_date;
		return 0;
	}
	if (timespec_interval(text, &ago, cause) != 0)
		return -1;
	if (ago > (int64_t)now)
		return error_set(cause, "invalid time '%s': before 1970", text);
	*out = now - (time_t)ago;
	return 0;
bad_date:
	return error_set(cause, "invalid time '%s': no such date", text);
}
