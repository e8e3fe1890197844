/*
 * calendar.c: systemd-style calendar expressions (see calendar.h), so the
 * schedule in env.yml reads like the OnCalendar= of the timer it replaces.
 *
 * Accepted: "[WEEKDAYS] [DATE] [TIME]" with at least one part, or one of
 * the shorthands minutely, hourly, daily, weekly, monthly, quarterly,
 * semiannually, yearly and annually (systemd.time(7)'s expansions).
 * WEEKDAYS is a comma list of names or ranges ("Mon..Fri", "Sat,Sun";
 * three letters or the whole name, any case). DATE is Y-M-D or M-D and
 * TIME is H:M or H:M:S (seconds default to 0, a missing date is *-*-*, a
 * missing time 00:00:00). Every field is a comma list of N, N..M, N/S,
 * N..M/S, * or * followed by /S. Years run from 1970 to 2199.
 * Not accepted: systemd's "~" (days from the end of a month), fractional
 * seconds, two-digit years and time zone suffixes; they fail with a cause.
 *
 * Each field is a set of values (a bitmap) for matching. The normalised
 * text follows systemd-analyze calendar: shorthands expanded, missing
 * parts filled in, numbers zero-padded, each field's items sorted and
 * without repeats ("*" if they cover every value; "*" followed by /S
 * starts at the field's first value, so "*:*" with /15 after the minutes
 * is "*-*-* *:00/15:00"), weekdays as names with runs of three or more as
 * ranges ("Mon..Fri", "Sat,Sun").
 *
 * Finding the next time works on wall-clock time, the local date and time
 * read as if it were UTC: the next matching wall time is found field by
 * field (years, months, days, then hours, minutes, seconds: no loop over
 * seconds or minutes), and then turned into an instant with localtime_r.
 * The TZ environment is read again (tzset) on every call.
 *
 * Daylight saving time: every matching wall time fires once, at the first
 * instant whose wall clock reads that time or later.
 *   - A wall time that does not exist (02:30 in Europe/Vienna on the night
 *     of 2026-03-29, when clocks go from 02:00 to 03:00) fires at the first
 *     instant after the gap, 03:00 CEST. If several matching times fall
 *     into one gap (a minutely schedule), they all fire at that instant,
 *     that is once.
 *   - A wall time that occurs twice (02:30 on 2026-10-25 in Vienna, when
 *     clocks go back from 03:00 to 02:00) fires at its first occurrence,
 *     02:30 CEST, and not again at 02:30 CET. So an hourly or minutely
 *     schedule pauses for the repeated hour.
 * This mapping never decreases as the wall time grows, so the next firing
 * after an instant is the first matching wall time past that instant's
 * own wall clock whose firing instant lies after it. Starting again from
 * the result therefore never yields a firing twice nor skips one: the
 * wall clock at a firing is never earlier than the wall time that fired.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "calendar.h"
#include "common/error.h"
#include "common/xmalloc.h"

/* The fields, in the order a search narrows them down. */
enum {
	CAL_YEAR,
	CAL_MONTH,
	CAL_DAY,
	CAL_HOUR,
	CAL_MINUTE,
	CAL_SECOND,
	CAL_WEEKDAY,
	CAL_NFIELDS
};

static const struct calendar_field {
	const char	*name;
	int		 min;
	int		 max;
	int		 width;		/* digits when printed */
} calendar_fields[CAL_NFIELDS] = {
	{ "year", 1970, 2199, 4 },
	{ "month", 1, 12, 2 },
	{ "day", 1, 31, 2 },
	{ "hour", 0, 23, 2 },
	{ "minute", 0, 59, 2 },
	{ "second", 0, 59, 2 },
	{ "weekday", 0, 6, 0 },
};

/* Monday first, as systemd prints them. */
static const char *calendar_days[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};
static const char *calendar_day_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

static const struct {
	const char	*name;
	const char	*expansion;
} calendar_shorthands[] = {
	{ "minutely", "*-*-* *:*:00" },
	{ "hourly", "*-*-* *:00:00" },
	{ "daily", "*-*-* 00:00:00" },
	{ "weekly", "Mon *-*-* 00:00:00" },
	{ "monthly", "*-*-01 00:00:00" },
	{ "quarterly", "*-01,04,07,10-01 00:00:00" },
	{ "semiannually", "*-01,07-01 00:00:00" },
	{ "yearly", "*-01-01 00:00:00" },
	{ "annually", "*-01-01 00:00:00" },
};

/* Nothing found within this much wall-clock time: give up (-1). */
#define CALENDAR_HORIZON	(10LL * 366 * 86400)

/* Values of one field; bit (value - min). 256 bits hold 230 years. */
struct calendar_set {
	uint64_t	bits[4];
};

/* An item of a numeric field as written, for the text. */
struct calendar_item {
	int	lo;
	int	hi;
	int	step;
	int	open;		/* N/S or * with /S: up to the field's end */
};

struct calendar {
	struct calendar_set	 set[CAL_NFIELDS];
	struct calendar_item	*items[CAL_NFIELDS];
	size_t			 nitems[CAL_NFIELDS];
	char			*text;
};

static int	calendar_bad(char **, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
calendar_set_add(struct calendar_set *s, int field, int value)
{
	int	i = value - calendar_fields[field].min;

	s->bits[i / 64] |= 1ULL << (i % 64);
}

static int
calendar_set_has(const struct calendar_set *s, int field, int value)
{
	int	i = value - calendar_fields[field].min;

	if (value < calendar_fields[field].min ||
	    value > calendar_fields[field].max)
		return 0;
	return (s->bits[i / 64] >> (i % 64)) & 1;
}

/* The smallest member from value to max (inclusive); -1 if none. */
static int
calendar_set_next(const struct calendar_set *s, int field, int value,
    int max)
{
	if (value < calendar_fields[field].min)
		value = calendar_fields[field].min;
	for (; value <= max; value++) {
		if (calendar_set_has(s, field, value))
			return value;
	}
	return -1;
}

/* Add an item to a numeric field: its values, and itself for the text. */
static void
calendar_add(struct calendar *cal, int field, int lo, int hi, int step,
    int open)
{
	struct calendar_item	*it;
	int			 v;

	cal->items[field] = xrealloc(cal->items[field],
	    (cal->nitems[field] + 1) * sizeof *cal->items[field]);
	it = &cal->items[field][cal->nitems[field]++];
	it->lo = lo;
	it->hi = hi;
	it->step = step;
	it->open = open;
	for (v = lo; v <= hi; v += step)
		calendar_set_add(&cal->set[field], field, v);
}

/* Control characters shown as '?', so a cause stays one line. */
static void
calendar_printable(char *s)
{
	for (; *s != '\0'; s++) {
		if (iscntrl((unsigned char)*s))
			*s = '?';
	}
}

/* Fail naming the expression and what is wrong with it. */
static int
calendar_bad(char **cause, const char *text, const char *fmt, ...)
{
	va_list	 ap;
	char	*why, *shown;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		why = xstrdup(fmt);
	va_end(ap);
	shown = xstrdup(text);
	calendar_printable(shown);
	calendar_printable(why);
	error_set(cause, "bad calendar expression '%s': %s", shown, why);
	free(shown);
	free(why);
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
calendar_days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
calendar_month_days(int y, int m)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* 0 for Monday to 6 for Sunday (1970-01-01 was a Thursday). */
static int
calendar_weekday(int y, int m, int d)
{
	int64_t	days = calendar_days_from_civil(y, m, d);

	return (int)(((days + 3) % 7 + 7) % 7);
}

/* A number of one to four digits; -1 if there is none. */
static int
calendar_number(const char **pp)
{
	const char	*p = *pp;
	int		 n = 0, digits = 0;

	while (isdigit((unsigned char)*p)) {
		if (++digits > 4)
			return -1;
		n = n * 10 + (*p++ - '0');
	}
	if (digits == 0)
		return -1;
	*pp = p;
	return n;
}

/* One item of a field: N, N..M, N/S, N..M/S, * or * followed by /S. */
static int
calendar_parse_item(struct calendar *cal, int field, const char *item,
    const char *text, char **cause)
{
	const struct calendar_field	*f = &calendar_fields[field];
	const char			*p = item;
	int				 lo, hi, step = 1, range = 0, open = 0;

	if (*item == '\0')
		return calendar_bad(cause, text, "empty item in the %s field",
		    f->name);
	if (*p == '*') {
		lo = f->min;
		hi = f->max;
		p++;
	} else {
		if ((lo = calendar_number(&p)) == -1)
			goto invalid;
		hi = lo;
		if (strncmp(p, "..", 2) == 0) {
			p += 2;
			if ((hi = calendar_number(&p)) == -1)
				goto invalid;
			range = 1;
		}
	}
	if (*p == '/') {
		p++;
		if ((step = calendar_number(&p)) == -1)
			goto invalid;
		if (step == 0)
			return calendar_bad(cause, text, "%s step '%s' is 0",
			    f->name, item);
		if (!range) {
			hi = f->max;
			open = 1;
		}
	}
	if (*p != '\0')
		goto invalid;
	if (lo < f->min || lo > f->max)
		return calendar_bad(cause, text, "%s %d is out of range %d..%d",
		    f->name, lo, f->min, f->max);
	if (hi < f->min || hi > f->max)
		return calendar_bad(cause, text, "%s %d is out of range %d..%d",
		    f->name, hi, f->min, f->max);
	if (hi < lo)
		return calendar_bad(cause, text, "%s range '%s' goes backwards",
		    f->name, item);
	calendar_add(cal, field, lo, hi, step, open);
	return 0;
invalid:
	return calendar_bad(cause, text, "'%s' is not a valid %s (use N, "
	    "N..M, N/S, N..M/S or *)", item, f->name);
}

/* A comma list of items; s is modified. */
static int
calendar_parse_field(struct calendar *cal, int field, char *s,
    const char *text, char **cause)
{
	char	*item;

	while ((item = strsep(&s, ",")) != NULL) {
		if (calendar_parse_item(cal, field, item, text, cause) != 0)
			return -1;
	}
	return 0;
}

static int
calendar_parse_dayname(const char *name, const char *text, char **cause)
{
	int	i;

	for (i = 0; i < 7; i++) {
		if (strcasecmp(name, calendar_days[i]) == 0 ||
		    strcasecmp(name, calendar_day_names[i]) == 0)
			return i;
	}
	return calendar_bad(cause, text, "unknown weekday '%s'", name);
}

/* "Mon", "Mon..Fri", "Mon-Fri", "Sat,Sun"; s is modified. */
static int
calendar_parse_weekdays(struct calendar *cal, char *s, const char *text,
    char **cause)
{
	char	*item, *last;
	int	 lo, hi, v;

	while ((item = strsep(&s, ",")) != NULL) {
		if (*item == '\0')
			return calendar_bad(cause, text, "empty item in the "
			    "weekdays");
		if ((last = strstr(item, "..")) != NULL) {
			*last = '\0';
			last += 2;
		} else if ((last = strchr(item, '-')) != NULL)
			*last++ = '\0';
		if ((lo = calendar_parse_dayname(item, text, cause)) == -1)
			return -1;
		hi = lo;
		if (last != NULL &&
		    (hi = calendar_parse_dayname(last, text, cause)) == -1)
			return -1;
		if (hi < lo)
			return calendar_bad(cause, text, "weekday range "
			    "%s..%s goes backwards (weeks start on Monday)",
			    calendar_days[lo], calendar_days[hi]);
		for (v = lo; v <= hi; v++) {
			calendar_set_add(&cal->set[CAL_WEEKDAY], CAL_WEEKDAY,
			    v);
		}
	}
	return 0;
}

/* Split s at each sep into at most max parts; returns the count. */
static int
calendar_split(char *s, int sep, char **parts, int max)
{
	int	n = 0;

	while (s != NULL && n <= max) {
		if (n < max)
			parts[n] = s;
		n++;
		if ((s = strchr(s, sep)) != NULL)
			*s++ = '\0';
	}
	return n;
}

/* Y-M-D or M-D. */
static int
calendar_parse_date(struct calendar *cal, char *s, const char *text,
    char **cause)
{
	char	*part[3];
	int	 n = calendar_split(s, '-', part, 3);

	if (n == 3)
		return calendar_parse_field(cal, CAL_YEAR, part[0], text,
		    cause) != 0 ||
		    calendar_parse_field(cal, CAL_MONTH, part[1], text,
		    cause) != 0 ||
		    calendar_parse_field(cal, CAL_DAY, part[2], text,
		    cause) != 0 ? -1 : 0;
	if (n == 2) {
		calendar_add(cal, CAL_YEAR, calendar_fields[CAL_YEAR].min,
		    calendar_fields[CAL_YEAR].max, 1, 0);
		return calendar_parse_field(cal, CAL_MONTH, part[0], text,
		    cause) != 0 ||
		    calendar_parse_field(cal, CAL_DAY, part[1], text,
		    cause) != 0 ? -1 : 0;
	}
	return calendar_bad(cause, text, "a date is Y-M-D or M-D");
}

/* H:M or H:M:S. */
static int
calendar_parse_time(struct calendar *cal, char *s, const char *text,
    char **cause)
{
	char	*part[3];
	int	 n = calendar_split(s, ':', part, 3);

	if (n != 2 && n != 3)
		return calendar_bad(cause, text, "a time is H:M or H:M:S");
	if (calendar_parse_field(cal, CAL_HOUR, part[0], text, cause) != 0 ||
	    calendar_parse_field(cal, CAL_MINUTE, part[1], text, cause) != 0)
		return -1;
	if (n == 2) {
		calendar_add(cal, CAL_SECOND, 0, 0, 1, 0);
		return 0;
	}
	return calendar_parse_field(cal, CAL_SECOND, part[2], text, cause);
}

/* Append to an allocated string. */
static void
calendar_append(char **s, const char *add)
{
	char	*old = *s;

	*s = xasprintf("%s%s", old != NULL ? old : "", add);
	free(old);
}

static void
calendar_append_value(char **s, int field, int v)
{
	char	buf[16];

	snprintf(buf, sizeof buf, "%0*d", calendar_fields[field].width, v);
	calendar_append(s, buf);
}

static int
calendar_item_cmp(const void *a, const void *b)
{
	const struct calendar_item	*x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	return x->open - y->open;
}

/* A numeric field as text: "*", or its items sorted, without repeats. */
static void
calendar_format_items(char **s, struct calendar *cal, int field)
{
	const struct calendar_field	*f = &calendar_fields[field];
	struct calendar_item		*it = cal->items[field];
	size_t				 i, n = cal->nitems[field];
	char				 buf[32];
	int				 v;

	for (v = f->min; v <= f->max; v++) {
		if (!calendar_set_has(&cal->set[field], field, v))
			break;
	}
	if (v > f->max) {
		calendar_append(s, "*");
		return;
	}
	qsort(it, n, sizeof *it, calendar_item_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && calendar_item_cmp(&it[i - 1], &it[i]) == 0)
			continue;
		if (i > 0)
			calendar_append(s, ",");
		calendar_append_value(s, field, it[i].lo);
		if (it[i].lo == it[i].hi)
			continue;
		if (!it[i].open || it[i].step == 1) {
			calendar_append(s, "..");
			calendar_append_value(s, field, it[i].hi);
		}
		if (it[i].step > 1) {
			snprintf(buf, sizeof buf, "/%d", it[i].step);
			calendar_append(s, buf);
		}
	}
}

/* The weekdays as names, runs of three or more as ranges. */
static void
calendar_format_weekdays(char **s, const struct calendar *cal)
{
	const struct calendar_set	*set = &cal->set[CAL_WEEKDAY];
	int				 i, j;

	for (i = 0; i < 7; i = j) {
		if (!calendar_set_has(set, CAL_WEEKDAY, i)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < 7 && calendar_set_has(set, CAL_WEEKDAY, j);
		    j++)
			;
		if (**s != '\0')
			calendar_append(s, ",");
		calendar_append(s, calendar_days[i]);
		if (j - i >= 3) {
			calendar_append(s, "..");
			calendar_append(s, calendar_days[j - 1]);
		} else if (j - i == 2) {
			calendar_append(s, ",");
			calendar_append(s, calendar_days[i + 1]);
		}
	}
}

/* "[WEEKDAYS ]Y-M-D H:M:S" */
static char *
calendar_format(struct calendar *cal)
{
	char	*s = xstrdup("");
	int	 i, all = 1;

	for (i = 0; i < 7; i++) {
		if (!calendar_set_has(&cal->set[CAL_WEEKDAY], CAL_WEEKDAY, i))
			all = 0;
	}
	if (!all) {
		calendar_format_weekdays(&s, cal);
		calendar_append(&s, " ");
	}
	for (i = CAL_YEAR; i <= CAL_SECOND; i++) {
		calendar_format_items(&s, cal, i);
		if (i == CAL_YEAR || i == CAL_MONTH)
			calendar_append(&s, "-");
		else if (i == CAL_DAY)
			calendar_append(&s, " ");
		else if (i != CAL_SECOND)
			calendar_append(&s, ":");
	}
	return s;
}

struct calendar *
calendar_parse(const char *text, char **cause)
{
	struct calendar	*cal = xcalloc(1, sizeof *cal);
	char		*copy, *p, *tok;
	const char	*start, *end;
	size_t		 i, len;
	int		 have_date = 0, have_time = 0, ntok = 0;

	start = text;
	while (isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	len = (size_t)(end - start);
	copy = xmalloc(len + 1);
	memcpy(copy, start, len);
	copy[len] = '\0';
	for (i = 0; i < sizeof calendar_shorthands /
	    sizeof calendar_shorthands[0]; i++) {
		if (strcmp(copy, calendar_shorthands[i].name) == 0) {
			free(copy);
			copy = xstrdup(calendar_shorthands[i].expansion);
			break;
		}
	}
	if (*copy == '\0') {
		calendar_bad(cause, text, "empty");
		goto out;
	}

	p = copy;
	while ((tok = strsep(&p, " \t")) != NULL) {
		if (*tok == '\0')
			continue;
		ntok++;
		if (isalpha((unsigned char)*tok)) {
			if (ntok != 1) {
				calendar_bad(cause, text, "'%s' after the "
				    "date or time (weekdays come first; time "
				    "zones are not supported)", tok);
				goto out;
			}
			if (calendar_parse_weekdays(cal, tok, text, cause) != 0)
				goto out;
		} else if (strchr(tok, ':') != NULL) {
			if (have_time) {
				calendar_bad(cause, text, "more than one "
				    "time ('%s')", tok);
				goto out;
			}
			if (calendar_parse_time(cal, tok, text, cause) != 0)
				goto out;
			have_time = 1;
		} else if (strchr(tok, '-') != NULL) {
			if (have_date || have_time) {
				calendar_bad(cause, text, "%s ('%s')",
				    have_date ? "more than one date" :
				    "the date must come before the time", tok);
				goto out;
			}
			if (calendar_parse_date(cal, tok, text, cause) != 0)
				goto out;
			have_date = 1;
		} else {
			calendar_bad(cause, text, "'%s' is neither a weekday, "
			    "a date (Y-M-D) nor a time (H:M:S)", tok);
			goto out;
		}
	}
	if (cal->set[CAL_WEEKDAY].bits[0] == 0) {
		for (i = 0; i < 7; i++)
			calendar_set_add(&cal->set[CAL_WEEKDAY], CAL_WEEKDAY,
			    (int)i);
	}
	if (!have_date) {
		for (i = CAL_YEAR; i <= CAL_DAY; i++)
			calendar_add(cal, (int)i, calendar_fields[i].min,
			    calendar_fields[i].max, 1, 0);
	}
	if (!have_time) {
		for (i = CAL_HOUR; i <= CAL_SECOND; i++)
			calendar_add(cal, (int)i, 0, 0, 1, 0);
	}
	cal->text = calendar_format(cal);
out:
	free(copy);
	if (cal->text == NULL) {
		calendar_free(cal);
		return NULL;
	}
	return cal;
}

void
calendar_free(struct calendar *cal)
{
	int	i;

	if (cal == NULL)
		return;
	for (i = 0; i < CAL_NFIELDS; i++)
		free(cal->items[i]);
	free(cal->text);
	free(cal);
}

const char *
calendar_text(const struct calendar *cal)
{
	return cal->text;
}

/* The largest value of field in the month of v[]. */
static int
calendar_field_max(const int *v, int field)
{
	if (field == CAL_DAY)
		return calendar_month_days(v[CAL_YEAR], v[CAL_MONTH]);
	return calendar_fields[field].max;
}

/* Reset the fields after field to their first value. */
static void
calendar_reset_below(int *v, int field)
{
	int	i;

	for (i = field + 1; i <= CAL_SECOND; i++)
		v[i] = calendar_fields[i].min;
}

/* Move to the start of the next year, month, day, hour or minute. */
static void
calendar_bump(int *v, int field)
{
	calendar_reset_below(v, field);
	for (; field > CAL_YEAR; field--) {
		if (++v[field] <= calendar_field_max(v, field))
			return;
		v[field] = calendar_fields[field].min;
	}
	v[CAL_YEAR]++;
}

/*
 * The first matching wall time after wall (both seconds of the local date
 * and time read as UTC); 0, or -1 if there is none up to limit.
 */
static int
calendar_match(const struct calendar *cal, int64_t wall, int64_t limit,
    int64_t *out)
{
	struct tm	tm;
	time_t		t = (time_t)(wall + 1);
	int		v[CAL_SECOND + 1], field, n, wday;
	int64_t		w;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	v[CAL_YEAR] = tm.tm_year + 1900;
	v[CAL_MONTH] = tm.tm_mon + 1;
	v[CAL_DAY] = tm.tm_mday;
	v[CAL_HOUR] = tm.tm_hour;
	v[CAL_MINUTE] = tm.tm_min;
	v[CAL_SECOND] = tm.tm_sec > 59 ? 59 : tm.tm_sec;
	for (;;) {
		if (calendar_days_from_civil(v[CAL_YEAR], 1, 1) * 86400 > limit)
			return -1;
		for (field = CAL_YEAR; field <= CAL_SECOND; field++) {
			n = calendar_set_next(&cal->set[field], field, v[field],
			    calendar_field_max(v, field));
			if (n == -1) {
				if (field == CAL_YEAR)
					return -1;
				calendar_bump(v, field - 1);
				break;
			}
			if (n != v[field]) {
				v[field] = n;
				calendar_reset_below(v, field);
			}
			if (field != CAL_DAY)
				continue;
			wday = calendar_weekday(v[CAL_YEAR], v[CAL_MONTH],
			    v[CAL_DAY]);
			if (!calendar_set_has(&cal->set[CAL_WEEKDAY],
			    CAL_WEEKDAY, wday)) {
				calendar_bump(v, CAL_DAY);
				break;
			}
		}
		if (field > CAL_SECOND)
			break;
	}
	w = calendar_days_from_civil(v[CAL_YEAR], v[CAL_MONTH], v[CAL_DAY]) *
	    86400 + v[CAL_HOUR] * 3600 + v[CAL_MINUTE] * 60 + v[CAL_SECOND];
	if (w > limit)
		return -1;
	*out = w;
	return 0;
}

/* The wall clock at instant t, as seconds (local time read as UTC). */
static int64_t
calendar_wall_at(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return INT64_MIN;
	return (int64_t)t + tm.tm_gmtoff;
}

/*
 * The instant a wall time fires at: its first occurrence, or if it does
 * not exist, the first instant after the gap (see the top of the file).
 */
static time_t
calendar_instant(int64_t wall)
{
	time_t	probe[3], t, lo, hi, mid, best = 0;
	int64_t	offset[3];
	int	i, j, found = 0;

	/*
	 * The instant lies within a day of wall; the offsets from UTC in
	 * force a day before, at and a day after give every candidate.
	 */
	probe[0] = (time_t)(wall - 86400);
	probe[1] = (time_t)wall;
	probe[2] = (time_t)(wall + 86400);
	for (i = 0; i < 3; i++) {
		offset[i] = calendar_wall_at(probe[i]) - (int64_t)probe[i];
		for (j = 0; j < i && offset[j] != offset[i]; j++)
			;
		if (j < i)
			continue;
		t = (time_t)(wall - offset[i]);
		if (calendar_wall_at(t) == wall && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	if (found)
		return best;

	/* In a gap: bisect for the first instant whose wall clock is past. */
	lo = (time_t)(wall - 2 * 86400);
	hi = (time_t)(wall + 2 * 86400);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (calendar_wall_at(mid) < wall)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

time_t
calendar_next(const struct calendar *cal, time_t after)
{
	int64_t	wall, limit;
	time_t	t;

	tzset();
	if ((wall = calendar_wall_at(after)) == INT64_MIN)
		return -1;
	limit = wall + CALENDAR_HORIZON;
	/*
	 * Every wall time up to after's own has fired by then. Later ones
	 * may have too, on a night the clocks go back: skip those.
	 */
	for (;;) {
		if (calendar_match(cal, wall, limit, &wall) != 0)
			return -1;
		if ((t = calendar_instant(wall)) > after)
			return t;
	}
}
