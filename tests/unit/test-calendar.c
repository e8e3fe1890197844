/*
 * test-calendar.c: calendar expressions (backupd/calendar.c): normalised
 * text of every form and shorthand, every kind of bad expression (the
 * cause names it and says what is wrong, on one line), next times across
 * months, weekdays, steps and the ten-year horizon, and the daylight
 * saving rules: a whole year walked with calendar_next from each result in
 * Europe/Vienna, America/New_York and UTC fires exactly once per local day
 * (or Sunday), at the wall time asked for, at the first instant after a
 * spring-forward gap, and at the first occurrence on a fall-back night;
 * and around each change, minute by minute, the firings are those the
 * rule's definition gives.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backupd/calendar.h"
#include "tests/tap.h"

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* A local time that exists exactly once. */
static time_t
local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static const char *
show(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (t == -1) {
		snprintf(buf, size, "-1");
		return buf;
	}
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

/* expr with control characters as '?', for a one-line TAP message. */
static const char *
printable(const char *expr)
{
	static char	buf[256];
	size_t		i;

	for (i = 0; expr[i] != '\0' && i < sizeof buf - 1; i++)
		buf[i] = (unsigned char)expr[i] < 0x20 ? '?' : expr[i];
	buf[i] = '\0';
	return buf;
}

static void
text(const char *expr, const char *want)
{
	struct calendar	*cal, *again = NULL;
	char		*cause = NULL;
	const char	*got = "";

	if ((cal = calendar_parse(expr, &cause)) != NULL) {
		got = calendar_text(cal);
		again = calendar_parse(got, NULL);
	}
	tap_ok(cal != NULL && strcmp(got, want) == 0 && again != NULL &&
	    strcmp(calendar_text(again), want) == 0,
	    "'%s' is '%s' (got '%s'%s%s)", printable(expr), want, got,
	    cause ? ": " : "", cause ? cause : "");
	calendar_free(again);
	calendar_free(cal);
	free(cause);
}

static void
bad(const char *expr, const char *why)
{
	struct calendar	*cal;
	char		*cause = NULL;

	cal = calendar_parse(expr, &cause);
	tap_ok(cal == NULL && cause != NULL && strchr(cause, '\n') == NULL &&
	    strstr(cause, "bad calendar expression '") != NULL &&
	    (strchr(expr, '\n') != NULL || strstr(cause, expr) != NULL) &&
	    strstr(cause, why) != NULL, "'%s' is refused naming it and '%s': "
	    "%s", printable(expr), why, cause ? cause : "(accepted)");
	calendar_free(cal);
	free(cause);
}

static void
next(const char *expr, time_t after, time_t want)
{
	struct calendar	*cal;
	char		*cause = NULL, a[64], w[64], g[64];
	time_t		 got = -1;

	if ((cal = calendar_parse(expr, &cause)) != NULL)
		got = calendar_next(cal, after);
	tap_ok(cal != NULL && got == want, "'%s' after %s: %s (got %s%s%s)",
	    expr, show(after, a, sizeof a), show(want, w, sizeof w),
	    show(got, g, sizeof g), cause ? ": " : "", cause ? cause : "");
	calendar_free(cal);
	free(cause);
}

/* Several firings in a row, each from the one before. */
static void
series(const char *expr, time_t after, const time_t *want, int n)
{
	struct calendar	*cal;
	char		 a[64], w[64], g[64];
	time_t		 t = after, got = 0;
	int		 i;

	cal = calendar_parse(expr, NULL);
	for (i = 0; cal != NULL && i < n; i++, t = got) {
		got = calendar_next(cal, t);
		if (got != want[i])
			break;
	}
	if (i == n)
		tap_ok(cal != NULL, "'%s' from %s fires %d times in order",
		    expr, show(after, a, sizeof a), n);
	else
		tap_ok(0, "'%s' from %s: firing %d is %s, not %s", expr,
		    show(after, a, sizeof a), i + 1, show(got, g, sizeof g),
		    show(want[i], w, sizeof w));
	calendar_free(cal);
}

static long
day_number(int y, int m, int d)
{
	return (long)(utc(y, m, d, 0, 0, 0) / 86400);
}

/* Seconds of t's local date and time, read as UTC. */
static long long
wall(time_t t)
{
	struct tm	tm;

	localtime_r(&t, &tm);
	return (long long)t + tm.tm_gmtoff;
}

/*
 * Walk 2026 in tz from just before local New Year, each call from the
 * previous result: one firing per day (per Sunday if weekly) at h:m, or
 * at the first instant after the gap where h:m does not exist; never at
 * a later occurrence of a wall time that occurred before; and
 * calendar_next(firing - 1) is the firing itself.
 */
static void
walk(const char *tz, const char *expr, int weekly, int h, int m,
    int want_gaps, int want_folds)
{
	struct calendar	*cal;
	struct tm	 tm;
	time_t		 t, f;
	long		 day, prev = 0, first;
	long long	 target;
	int		 n = 0, want, bad_day = 0, bad_time = 0, bad_again = 0;
	int		 gaps = 0, folds = 0;
	char		 buf[64], where[128] = "";

	zone(tz);
	cal = calendar_parse(expr, NULL);
	first = weekly ? day_number(2026, 1, 4) : day_number(2026, 1, 1);
	want = weekly ? 52 : 365;
	t = local(2026, 1, 1, 0, 0, 0) - 1;
	while (cal != NULL) {
		f = calendar_next(cal, t);
		if (f <= t) {
			bad_day++;
			snprintf(where, sizeof where, "no progress after %s",
			    show(t, buf, sizeof buf));
			break;
		}
		localtime_r(&f, &tm);
		if (tm.tm_year + 1900 != 2026)
			break;
		day = day_number(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if (day != (n == 0 ? first : prev + (weekly ? 7 : 1))) {
			if (bad_day++ == 0)
				snprintf(where, sizeof where, "day of %s",
				    show(f, buf, sizeof buf));
		}
		target = (long long)day * 86400 + h * 3600 + m * 60;
		if (tm.tm_hour == h && tm.tm_min == m && tm.tm_sec == 0) {
			/* The first occurrence: not an hour (or half) later. */
			if (wall(f - 3600) == target ||
			    wall(f - 1800) == target) {
				if (bad_time++ == 0)
					snprintf(where, sizeof where, "second "
					    "occurrence %s", show(f, buf,
					    sizeof buf));
			}
			if (wall(f + 3600) == wall(f))
				folds++;
		} else if (wall(f - 1) < target && wall(f) > target)
			gaps++;
		else if (bad_time++ == 0)
			snprintf(where, sizeof where, "time of %s",
			    show(f, buf, sizeof buf));
		if (calendar_next(cal, f - 1) != f) {
			if (bad_again++ == 0)
				snprintf(where, sizeof where, "from just "
				    "before %s", show(f, buf, sizeof buf));
		}
		prev = day;
		n++;
		t = f;
	}
	tap_ok(cal != NULL && n == want && bad_day == 0 && bad_time == 0 &&
	    bad_again == 0 && gaps == want_gaps && folds == want_folds,
	    "TZ=%s '%s': %d firings in 2026 (want %d), one per %s, %d after "
	    "a gap (want %d), %d at a first occurrence (want %d) %s", tz,
	    expr, n, want, weekly ? "Sunday" : "day", gaps, want_gaps, folds,
	    want_folds, where);
	calendar_free(cal);
}

/*
 * The DST rule from its definition, minute by minute over [start, end):
 * an instant fires if some matching wall time lies after every reading
 * of the wall clock before it and at or before its own. The matching
 * wall times come from the expression evaluated in UTC, which has no
 * DST. calendar_next, called from each result, must give the same list.
 */
static void
reference(const char *tz, const char *expr, time_t start, time_t end)
{
	struct calendar	*cal;
	long long	*walls = NULL, maxw, w;
	size_t		 n = 0, i = 0, nref = 0, diffs = 0;
	time_t		 t, got;
	char		 buf[64];
	int		 fires;

	zone("UTC");
	if ((cal = calendar_parse(expr, NULL)) == NULL) {
		tap_ok(0, "'%s' parses", expr);
		return;
	}
	for (t = start - 2 * 86400; (t = calendar_next(cal, t)) != -1 &&
	    t < end + 2 * 86400;) {
		walls = realloc(walls, (n + 1) * sizeof *walls);
		walls[n++] = (long long)t;
	}
	zone(tz);
	maxw = wall(start - 86400);
	for (t = start - 86400; t < start; t += 60) {
		if (wall(t) > maxw)
			maxw = wall(t);
	}
	while (i < n && walls[i] <= maxw)
		i++;
	got = calendar_next(cal, start - 1);
	for (t = start; t < end; t += 60) {
		fires = 0;
		if ((w = wall(t)) > maxw) {
			for (; i < n && walls[i] <= w; i++)
				fires = 1;
			maxw = w;
		}
		if (fires != (got == t) && diffs++ == 0)
			show(t, buf, sizeof buf);
		nref += fires;
		if (got == t)
			got = calendar_next(cal, t);
	}
	tap_ok(nref > 0 && diffs == 0 && got >= end, "TZ=%s '%s': %zu "
	    "firings around the change, as its definition says%s%s", tz,
	    expr, nref, diffs == 0 ? "" : "; first difference at ",
	    diffs == 0 ? "" : buf);
	free(walls);
	calendar_free(cal);
}

int
main(void)
{
	zone("UTC");

	text("*-*-* 00:30:00", "*-*-* 00:30:00");
	text("Sun *-*-* 06:30:00", "Sun *-*-* 06:30:00");
	text("Mon..Fri *-*-* 01:00", "Mon..Fri *-*-* 01:00:00");
	text("minutely", "*-*-* *:*:00");
	text("hourly", "*-*-* *:00:00");
	text("daily", "*-*-* 00:00:00");
	text("weekly", "Mon *-*-* 00:00:00");
	text("monthly", "*-*-01 00:00:00");
	text("quarterly", "*-01,04,07,10-01 00:00:00");
	text("semiannually", "*-01,07-01 00:00:00");
	text("yearly", "*-01-01 00:00:00");
	text("annually", "*-01-01 00:00:00");
	text("  daily\t", "*-*-* 00:00:00");
	text("*-*-* 00:30\n", "*-*-* 00:30:00");
	text("Sat,Sun", "Sat,Sun *-*-* 00:00:00");
	text("sat,SUNDAY 10:00", "Sat,Sun *-*-* 10:00:00");
	text("mon,tue,wed,fri", "Mon..Wed,Fri *-*-* 00:00:00");
	text("Monday-Friday 1:0", "Mon..Fri *-*-* 01:00:00");
	text("Mon..Sun 5:00", "*-*-* 05:00:00");
	text("Fri *-*-13", "Fri *-*-13 00:00:00");
	text("*:0/15", "*-*-* *:00/15:00");
	text("*:*/15", "*-*-* *:00/15:00");
	text("*:0,15,30,45", "*-*-* *:00,15,30,45:00");
	text("*:0,30", "*-*-* *:00,30:00");
	text("*-*-* 5,1,5,3:00", "*-*-* 01,03,05:00:00");
	text("*-*-* *:0..59:0", "*-*-* *:*:00");
	text("*:0/15,*/15,0..30/15", "*-*-* *:00..30/15,00/15:00");
	text("8..18/2:00", "*-*-* 08..18/2:00:00");
	text("*:*:*", "*-*-* *:*:*");
	text("2026-3-29 2:30", "2026-03-29 02:30:00");
	text("12-25", "*-12-25 00:00:00");
	text("*-*-1,15 3:00", "*-*-01,15 03:00:00");
	text("*-*-1..5", "*-*-01..05 00:00:00");
	text("*-*-1,2,3,4,5,10", "*-*-01,02,03,04,05,10 00:00:00");
	text("2026/2-01-01", "2026/2-01-01 00:00:00");
	text("2026..2030-1-1", "2026..2030-01-01 00:00:00");
	text("*-1..12-*", "*-*-* 00:00:00");

	bad("", "empty");
	bad("   ", "empty");
	bad("Fry", "unknown weekday 'Fry'");
	bad("Daily", "unknown weekday 'Daily'");
	bad("Fri..Mon", "goes backwards");
	bad("Mon,,Tue", "empty item");
	bad("Mon..", "unknown weekday ''");
	bad("*-*-* 25:00", "hour 25 is out of range 0..23");
	bad("*-*-* 12:60", "minute 60 is out of range 0..59");
	bad("*-*-* 12:00:60", "second 60 is out of range");
	bad("*-13-01", "month 13 is out of range 1..12");
	bad("*-*-32", "day 32 is out of range 1..31");
	bad("*-*-0", "day 0 is out of range");
	bad("1969-01-01", "year 1969 is out of range 1970..2199");
	bad("26-01-01", "year 26 is out of range");
	bad("*-*-* 1:2:3:4", "a time is H:M or H:M:S");
	bad("*-*-* 12", "neither a weekday, a date (Y-M-D) nor a time");
	bad("1-2-3-4", "a date is Y-M-D or M-D");
	bad("*-*-* 10..8:00", "hour range '10..8' goes backwards");
	bad("*:*/0", "minute step '*/0' is 0");
	bad("*-*-~1", "'~1' is not a valid day");
	bad("*-*-* 12:00:30.5", "'30.5' is not a valid second");
	bad("*-*-* 12:00:00 UTC", "time zones are not supported");
	bad("12:00 *-*-*", "the date must come before the time");
	bad("*-*-* *-*-*", "more than one date");
	bad("1:00 2:00", "more than one time");
	bad("*-*-* 1,,2:00", "empty item in the hour field");
	bad("*-*-* 12:x", "'x' is not a valid minute");
	bad("*-*-*\n12:00", "not a valid hour");
	bad("*-*-* Mon", "weekdays come first");
	bad("*-*-* 123456:00", "'123456' is not a valid hour");

	/* UTC: months, weekdays, steps, strictness, the horizon. */
	next("*-*-* 00:30:00", utc(2026, 5, 1, 0, 29, 59),
	    utc(2026, 5, 1, 0, 30, 0));
	next("*-*-* 00:30:00", utc(2026, 5, 1, 0, 30, 0),
	    utc(2026, 5, 2, 0, 30, 0));
	next("*-*-* 23:59:59", utc(2026, 12, 31, 23, 59, 59),
	    utc(2027, 1, 1, 23, 59, 59));
	next("*-02-30", utc(2026, 1, 1, 0, 0, 0), -1);
	next("*-02-29", utc(2026, 3, 1, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0));
	next("*-02-29", utc(2096, 3, 1, 0, 0, 0), utc(2104, 2, 29, 0, 0, 0));
	next("2025-01-01", utc(2026, 1, 1, 0, 0, 0), -1);
	next("2030-06-15 12:00", utc(2026, 1, 1, 0, 0, 0),
	    utc(2030, 6, 15, 12, 0, 0));
	next("2199-12-31 23:59:59", utc(2026, 1, 1, 0, 0, 0), -1);
	next("2199-12-31 23:59:59", utc(2199, 1, 1, 0, 0, 0),
	    utc(2199, 12, 31, 23, 59, 59));
	next("*-*-* 00:00:00", utc(2199, 12, 31, 0, 0, 0), -1);
	next("Mon..Fri *-*-* 01:00", utc(2026, 1, 2, 2, 0, 0),
	    utc(2026, 1, 5, 1, 0, 0));
	next("Sat,Sun 10:00", utc(2026, 1, 2, 12, 0, 0),
	    utc(2026, 1, 3, 10, 0, 0));
	next("Fri *-*-13", utc(2026, 1, 1, 0, 0, 0), utc(2026, 2, 13, 0, 0, 0));
	next("Fri *-*-13", utc(2026, 2, 13, 0, 0, 0),
	    utc(2026, 3, 13, 0, 0, 0));
	next("Fri *-*-13", utc(2026, 3, 13, 0, 0, 0),
	    utc(2026, 11, 13, 0, 0, 0));
	next("*-*-31", utc(2026, 4, 1, 0, 0, 0), utc(2026, 5, 31, 0, 0, 0));
	next("*:0/15", utc(2026, 1, 1, 10, 7, 0), utc(2026, 1, 1, 10, 15, 0));
	next("*:0/15", utc(2026, 1, 1, 23, 45, 0), utc(2026, 1, 2, 0, 0, 0));
	next("minutely", utc(2026, 1, 1, 12, 0, 30), utc(2026, 1, 1, 12, 1, 0));
	next("hourly", utc(2026, 12, 31, 23, 0, 0), utc(2027, 1, 1, 0, 0, 0));
	next("weekly", utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 5, 0, 0, 0));
	next("monthly", utc(2026, 1, 1, 0, 0, 0), utc(2026, 2, 1, 0, 0, 0));
	next("yearly", utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
	next("12-25", utc(2026, 12, 25, 0, 0, 0), utc(2027, 12, 25, 0, 0, 0));
	next("*-*-* 08..18/2:00", utc(2026, 1, 1, 8, 0, 0),
	    utc(2026, 1, 1, 10, 0, 0));
	next("*-*-* 08..18/2:00", utc(2026, 1, 1, 18, 0, 0),
	    utc(2026, 1, 2, 8, 0, 0));
	next("2026/2-01-01", utc(2026, 6, 1, 0, 0, 0),
	    utc(2028, 1, 1, 0, 0, 0));
	next("*:*:*", utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 1));

	/* Europe/Vienna: 2026-03-29 02:00 CET -> 03:00 CEST at 01:00Z,
	   2026-10-25 03:00 CEST -> 02:00 CET at 01:00Z. */
	zone("Europe/Vienna");
	next("*-*-* 02:30:00", utc(2026, 3, 28, 23, 0, 0),
	    utc(2026, 3, 29, 1, 0, 0));
	next("*-*-* 02:30:00", utc(2026, 3, 29, 0, 59, 59),
	    utc(2026, 3, 29, 1, 0, 0));
	next("*-*-* 02:30:00", utc(2026, 3, 29, 1, 0, 0),
	    utc(2026, 3, 30, 0, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 10, 24, 23, 0, 0),
	    utc(2026, 10, 25, 0, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 10, 25, 0, 30, 0),
	    utc(2026, 10, 26, 1, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 10, 25, 0, 45, 0),
	    utc(2026, 10, 26, 1, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 10, 25, 1, 15, 0),
	    utc(2026, 10, 26, 1, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 10, 25, 1, 30, 0),
	    utc(2026, 10, 26, 1, 30, 0));
	next("Sun *-*-* 02:30:00", utc(2026, 3, 23, 0, 0, 0),
	    utc(2026, 3, 29, 1, 0, 0));
	next("2026-03-29 02:00..59:00", utc(2026, 3, 28, 0, 0, 0),
	    utc(2026, 3, 29, 1, 0, 0));
	next("2026-03-29 02:00..59:00", utc(2026, 3, 29, 1, 0, 0), -1);
	{
		const time_t	spring[] = {
			utc(2026, 3, 29, 0, 59, 0),	/* 01:59 CET */
			utc(2026, 3, 29, 1, 0, 0),	/* 02:00..03:00: once */
			utc(2026, 3, 29, 1, 1, 0),	/* 03:01 CEST */
		};
		const time_t	fall[] = {
			utc(2026, 10, 25, 0, 59, 0),	/* 02:59 CEST */
			utc(2026, 10, 25, 2, 0, 0),	/* 03:00 CET */
			utc(2026, 10, 25, 2, 1, 0),
		};
		const time_t	hourly_spring[] = {
			utc(2026, 3, 29, 0, 0, 0),	/* 01:00 CET */
			utc(2026, 3, 29, 1, 0, 0),	/* 02:00, 03:00 CEST */
			utc(2026, 3, 29, 2, 0, 0),	/* 04:00 CEST */
		};
		const time_t	hourly_fall[] = {
			utc(2026, 10, 24, 23, 0, 0),	/* 01:00 CEST */
			utc(2026, 10, 25, 0, 0, 0),	/* 02:00 CEST */
			utc(2026, 10, 25, 2, 0, 0),	/* 03:00 CET */
		};

		series("minutely", utc(2026, 3, 29, 0, 58, 30), spring, 3);
		series("minutely", utc(2026, 10, 25, 0, 58, 30), fall, 3);
		series("hourly", utc(2026, 3, 28, 23, 30, 0), hourly_spring, 3);
		series("hourly", utc(2026, 10, 24, 22, 30, 0), hourly_fall, 3);
	}
	walk("Europe/Vienna", "*-*-* 02:30:00", 0, 2, 30,
	    1, 1);
	walk("Europe/Vienna", "*-*-* 00:30:00", 0, 0, 30,
	    0, 0);
	walk("Europe/Vienna", "Sun *-*-* 06:30:00", 1, 6, 30,
	    0, 0);
	walk("Europe/Vienna", "Sun *-*-* 02:30:00", 1, 2, 30,
	    1, 1);

	/* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT at 07:00Z,
	   2026-11-01 02:00 EDT -> 01:00 EST at 06:00Z. */
	zone("America/New_York");
	next("*-*-* 02:30:00", utc(2026, 3, 8, 6, 0, 0),
	    utc(2026, 3, 8, 7, 0, 0));
	next("*-*-* 01:30:00", utc(2026, 11, 1, 4, 0, 0),
	    utc(2026, 11, 1, 5, 30, 0));
	next("*-*-* 01:30:00", utc(2026, 11, 1, 5, 30, 0),
	    utc(2026, 11, 2, 6, 30, 0));
	next("*-*-* 01:30:00", utc(2026, 11, 1, 6, 15, 0),
	    utc(2026, 11, 2, 6, 30, 0));
	next("*-*-* 02:30:00", utc(2026, 11, 1, 5, 30, 0),
	    utc(2026, 11, 1, 7, 30, 0));
	walk("America/New_York", "*-*-* 02:30:00", 0, 2, 30,
	    1, 0);
	walk("America/New_York", "*-*-* 01:30:00", 0, 1, 30,
	    0, 1);
	walk("America/New_York", "*-*-* 00:30:00", 0, 0, 30,
	    0, 0);
	walk("America/New_York", "Sun *-*-* 06:30:00", 1, 6, 30,
	    0, 0);

	{
		static const char	*exprs[] = {
			"minutely", "hourly", "*:0/7", "*-*-* 02:30",
			"*-*-* 01:30", "*-*-* 02:*", "*-*-* 00,02,03:00",
		};
		size_t			 j;

		for (j = 0; j < sizeof exprs / sizeof exprs[0]; j++) {
			reference("Europe/Vienna", exprs[j],
			    utc(2026, 3, 28, 0, 0, 0), utc(2026, 3, 30, 0, 0, 0));
			reference("Europe/Vienna", exprs[j],
			    utc(2026, 10, 24, 0, 0, 0),
			    utc(2026, 10, 26, 0, 0, 0));
			reference("America/New_York", exprs[j],
			    utc(2026, 3, 7, 12, 0, 0), utc(2026, 3, 9, 12, 0, 0));
			reference("America/New_York", exprs[j],
			    utc(2026, 10, 31, 12, 0, 0),
			    utc(2026, 11, 2, 12, 0, 0));
		}
	}

	/* TZ is read on every call, without the caller's tzset. */
	setenv("TZ", "UTC", 1);
	next("*-*-* 02:30:00", utc(2026, 3, 29, 0, 0, 0),
	    utc(2026, 3, 29, 2, 30, 0));
	walk("UTC", "*-*-* 02:30:00", 0, 2, 30,
	    0, 0);
	walk("UTC", "*-*-* 00:30:00", 0, 0, 30,
	    0, 0);
	walk("UTC", "Sun *-*-* 06:30:00", 1, 6, 30,
	    0, 0);
	return tap_done();
}
