/*
 * test-timespec.c: duplicity's time syntax (common/timespec.c): every
 * interval unit and series, "now", each date and date-time form with and
 * without zones, epoch seconds, and every kind of bad input, whose cause
 * must name the text. Run with TZ set far from UTC to show TZ is ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "common/timespec.h"
#include "tests/tap.h"

static const time_t now = 1795569825;	/* 2026-11-25T01:23:45Z */

static void
good(const char *text, time_t want)
{
	time_t	 got = 0;
	char	*cause = NULL;
	int	 rc = timespec_parse(text, now, &got, &cause);

	tap_ok(rc == 0 && got == want, "'%s' is %lld (got %lld%s%s)", text,
	    (long long)want, (long long)got, cause ? ": " : "",
	    cause ? cause : "");
	free(cause);
}

static void
bad(const char *text, const char *why)
{
	time_t	 got = 0;
	char	*cause = NULL;
	int	 rc = timespec_parse(text, now, &got, &cause);

	tap_ok(rc != 0 && cause != NULL && strstr(cause, text) != NULL &&
	    strstr(cause, why) != NULL, "'%s' is refused naming it and '%s': "
	    "%s", text, why, cause ? cause : "(accepted)");
	free(cause);
}

int
main(void)
{
	int64_t	 s = 0;
	char	*cause = NULL;

	setenv("TZ", "Asia/Tokyo", 1);
	good("10s", now - 10);
	good("5m", now - 300);
	good("2h", now - 7200);
	good("3D", now - 3 * 86400);
	good("1W", now - 7 * 86400);
	good("2M", now - 60 * 86400);
	good("1Y", now - 365 * 86400);
	good("1h30m", now - 5400);
	good("1W2D3h", now - (9 * 86400 + 3 * 3600));
	good("now", now);
	good("2026-11-25T01:23:45Z", now);
	good("2026-11-25T01:23:45", now);
	good("2026-11-25T03:23:45+02:00", now);
	good("2026-11-24T19:53:45-05:30", now);
	good("2026-11-25", now - (1 * 3600 + 23 * 60 + 45));
	good("2026/11/25", now - (1 * 3600 + 23 * 60 + 45));
	good("11/25/2026", now - (1 * 3600 + 23 * 60 + 45));
	good("1795569825", now);
	good("2024-02-29", 1709164800);
	bad("", "");
	bad("2X", "unknown unit 'X'");
	bad("M", "expected a number");
	good("12", 12);		/* plain numbers are epoch seconds */
	bad("2M3", "needs a unit");
	bad("-3D", "expected a number");
	bad("99999999999999999999D", "too large");
	bad("2026-02-30", "no such date");
	bad("2026-13-01", "no such date");
	bad("2025-02-29", "no such date");
	bad("1969-12-31", "no such date");
	bad("2026-11-25T01:23:45+2", "bad zone");
	bad("2026-11-25x", "");
	bad("100000Y", "before 1970");
	tap_ok(timespec_interval("4M", &s, &cause) == 0 && s == 120 * 86400,
	    "interval 4M is 120 days");
	tap_ok(timespec_interval("2026-01-01", &s, &cause) != 0 && cause &&
	    strstr(cause, "2026-01-01") != NULL, "a date is not an interval");
	free(cause);
	return tap_done();
}
