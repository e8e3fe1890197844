/*
 * test-progress.c: the progress reporter (common/progress.c) on a fake
 * clock: number and duration formats, the line with and without a total,
 * how rarely an update reads the clock, the live line's rate limit,
 * padding, width and clearing, the log lines' interval (also after a
 * stall), the hook that clears the live line before a log message, and
 * which mode progress_start picks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/progress.h"
#include "tests/tap.h"

#define MS	(1000ULL * 1000)
#define SEC	(1000ULL * MS)

struct fake {
	uint64_t	 now;
	unsigned	 reads;		/* clock reads */
	char		 lines[16][256];
	unsigned	 nlines;
};

static uint64_t
fake_clock(void *arg)
{
	struct fake	*f = arg;

	f->reads++;
	return f->now;
}

static void
fake_log(void *arg, const char *line)
{
	struct fake	*f = arg;

	if (f->nlines < 16)
		snprintf(f->lines[f->nlines], sizeof f->lines[0], "%s", line);
	f->nlines++;
}

static void
bytes_is(uint64_t n, const char *want)
{
	char	got[32];

	progress_format_bytes(got, sizeof got, n);
	tap_ok(strcmp(got, want) == 0, "%llu bytes print as '%s' (got '%s')",
	    (unsigned long long)n, want, got);
}

static void
duration_is(uint64_t s, const char *want)
{
	char	got[32];

	progress_format_duration(got, sizeof got, s);
	tap_ok(strcmp(got, want) == 0, "%llu s print as '%s' (got '%s')",
	    (unsigned long long)s, want, got);
}

/* A live reporter drawing into a memory stream. */
static struct progress *
live_new(struct fake *f, FILE *out, int width)
{
	struct progress_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.verb = "test";
	cfg.live = 1;
	cfg.clock = fake_clock;
	cfg.live_out = out;
	cfg.width = width;
	cfg.arg = f;
	return progress_new(&cfg);
}

static struct progress *
log_new(struct fake *f, int interval)
{
	struct progress_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.verb = "test";
	cfg.log_interval = interval;
	cfg.clock = fake_clock;
	cfg.log = fake_log;
	cfg.arg = f;
	return progress_new(&cfg);
}

static void
test_formats(void)
{
	bytes_is(0, "0 B");
	bytes_is(999, "999 B");
	bytes_is(1000, "1.0 kB");
	bytes_is(1234, "1.2 kB");
	bytes_is(9949, "9.9 kB");
	bytes_is(9950, "10 kB");
	bytes_is(999499, "999 kB");
	bytes_is(999500, "1.0 MB");
	bytes_is(85000000, "85 MB");
	bytes_is(1200000000, "1.2 GB");
	bytes_is(3400000000000ULL, "3.4 TB");
	bytes_is(UINT64_MAX, "18 EB");
	duration_is(0, "0:00:00");
	duration_is(26, "0:00:26");
	duration_is(3661, "1:01:01");
	duration_is(100 * 3600 + 59, "100:00:59");
}

static void
test_line(void)
{
	struct fake	 f;
	struct progress	*p;
	char		 line[256];

	memset(&f, 0, sizeof f);
	p = log_new(&f, 60);
	progress_set_total(p, 3400000000ULL);
	f.now = 14120 * MS;
	progress_update(p, 1200000000ULL, 12345);
	progress_format(p, f.now, line, sizeof line);
	tap_ok(strcmp(line, "1.2 GB of 3.4 GB (35%), 12345 files, 85 MB/s, "
	    "ETA 0:00:26") == 0, "with a total: bytes of total, percentage, "
	    "files, rate, ETA (got '%s')", line);
	progress_update(p, 3400000000ULL, 12346);
	progress_format(p, f.now, line, sizeof line);
	tap_ok(strcmp(line, "3.4 GB of 3.4 GB (100%), 12346 files, 241 MB/s")
	    == 0, "done: 100%%, no ETA (got '%s')", line);
	progress_update(p, 3500000000ULL, 12346);
	progress_format(p, f.now, line, sizeof line);
	tap_ok(strstr(line, "(100%)") != NULL && strstr(line, "ETA") == NULL,
	    "past the total: still 100%%, no ETA (got '%s')", line);
	progress_set_total(p, 0);
	progress_update(p, 1, 1);
	progress_format(p, f.now, line, sizeof line);
	tap_ok(strcmp(line, "1 B, 1 file, 0 B/s") == 0, "without a total: no "
	    "percentage or ETA; one file (got '%s')", line);
	progress_format(p, 50 * MS, line, sizeof line);
	tap_ok(strcmp(line, "1 B, 1 file") == 0, "no rate in the first 0.1 s "
	    "(got '%s')", line);
	progress_format(p, f.now, line, 12);
	tap_ok(strcmp(line, "1 B, 1 file") == 0, "a short buffer cuts the line "
	    "(got '%s')", line);
	progress_free(p);
	tap_ok(progress_new(&(struct progress_config){ .verb = "x" }) == NULL,
	    "neither live nor logging: no reporter");
	progress_update(NULL, 1, 1);
	progress_set_total(NULL, 1);
	progress_free(NULL);
	tap_ok(1, "a NULL reporter is ignored");
}

static void
test_clock_reads(void)
{
	struct fake	 f;
	struct progress	*p;
	unsigned	 i, start;
	FILE		*out = tmpfile();

	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	start = f.reads;
	tap_ok(start == 1, "the start reads the clock once (%u)", start);
	for (i = 1; i < PROGRESS_CHECK_CALLS; i++)
		progress_update(p, i * 100, i);
	tap_ok(f.reads == start, "%u small updates read no clock (%u reads)",
	    PROGRESS_CHECK_CALLS - 1, f.reads - start);
	progress_update(p, i * 100, i);
	tap_ok(f.reads == start + 1, "the %uth reads it (%u reads)",
	    PROGRESS_CHECK_CALLS, f.reads - start);
	progress_update(p, i * 100 + PROGRESS_CHECK_BYTES - 1, i);
	tap_ok(f.reads == start + 1, "less than 1 MiB more: no read");
	progress_update(p, i * 100 + PROGRESS_CHECK_BYTES, i);
	tap_ok(f.reads == start + 2, "1 MiB more: a read");
	progress_free(p);
	fclose(out);
}

/* What the live reporter wrote so far. */
static char *
slurp(FILE *out, size_t *len)
{
	char	*buf;
	long	 n;

	fflush(out);
	n = ftell(out);
	buf = calloc(1, (size_t)n + 1);
	rewind(out);
	*len = fread(buf, 1, (size_t)n, out);
	return buf;
}

static unsigned
count_char(const char *s, size_t len, char c)
{
	unsigned	n = 0;
	size_t		i;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static void
test_live(void)
{
	struct fake	 f;
	struct progress	*p;
	FILE		*out = tmpfile();
	char		*got;
	size_t		 len, i;
	uint64_t	 bytes = 0;
	unsigned	 draws;

	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	f.now = 499 * MS;
	progress_update(p, 1000000, 3);		/* 1 MiB: reads the clock */
	progress_update(p, 2 * 1000000, 3);
	got = slurp(out, &len);
	tap_ok(len == 0, "nothing is drawn in the first 0.5 s");
	free(got);
	f.now = 500 * MS;
	progress_update(p, 4 * 1000000, 3);
	got = slurp(out, &len);
	tap_ok(strcmp(got, "\rtest: 4.0 MB, 3 files, 8.0 MB/s") == 0,
	    "at 0.5 s one line, after \\r (got '%s')", got);
	free(got);
	f.now = 700 * MS;
	progress_update(p, 8 * 1000000, 3);
	got = slurp(out, &len);
	tap_ok(count_char(got, len, '\r') == 1, "0.2 s later: not redrawn");
	free(got);
	/* 10 s of updates, each reading the clock, every 10 ms. */
	for (i = 0; i < 1000; i++) {
		f.now = 750 * MS + i * 10 * MS;
		bytes += PROGRESS_CHECK_BYTES;
		progress_update(p, bytes, 3);
	}
	got = slurp(out, &len);
	draws = count_char(got, len, '\r');
	tap_ok(draws >= 38 && draws <= 42, "10 s later: about 4 draws a second "
	    "(%u in all)", draws);
	free(got);
	progress_free(p);
	fclose(out);
	out = tmpfile();

	/* A shorter line blanks the rest of the longer one. */
	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	progress_set_total(p, 100000000);
	f.now = SEC;
	progress_update(p, 50000000, 10);
	progress_update(p, 50000000, 10);	/* same bytes: counted calls */
	for (i = 0; i < PROGRESS_CHECK_CALLS; i++)
		progress_update(p, 50000000, 10);
	progress_set_total(p, 0);
	f.now = 2 * SEC;
	progress_update(p, 60000000, 11);
	got = slurp(out, &len);
	{
		const char	*a = "test: 50 MB of 100 MB (50%), 10 files, "
				    "50 MB/s, ETA 0:00:01";
		const char	*b = "test: 60 MB, 11 files, 30 MB/s";
		char		 want[256];

		snprintf(want, sizeof want, "\r%s\r%s%*s", a, b,
		    (int)(strlen(a) - strlen(b)), "");
		tap_ok(strcmp(got, want) == 0, "a shorter line is padded over "
		    "the longer one (got '%s')", got);
	}
	free(got);
	progress_free(p);
	fclose(out);
}

static void
test_live_end(void)
{
	struct fake	 f;
	struct progress	*p;
	FILE		*out = tmpfile();
	char		*got, want[128];
	size_t		 len;

	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	f.now = SEC;
	progress_update(p, 2000000, 1);
	progress_free(p);
	got = slurp(out, &len);
	snprintf(want, sizeof want, "\r%s\r%*s\r", "test: 2.0 MB, 1 file, "
	    "2.0 MB/s", (int)strlen("test: 2.0 MB, 1 file, 2.0 MB/s"), "");
	tap_ok(strcmp(got, want) == 0, "the end clears the line with blanks "
	    "(got '%s')", got);
	free(got);
	fclose(out);

	/* Nothing drawn: nothing to clear. */
	out = tmpfile();
	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	progress_update(p, 2000000, 1);
	progress_free(p);
	got = slurp(out, &len);
	tap_ok(len == 0, "a run shorter than 0.5 s leaves no trace");
	free(got);
	fclose(out);

	/* A narrow terminal: the line is cut to its width - 1. */
	out = tmpfile();
	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 20);
	f.now = SEC;
	progress_update(p, 2000000, 1);
	got = slurp(out, &len);
	tap_ok(strcmp(got, "\rtest: 2.0 MB, 1 fil") == 0, "cut to 19 columns on "
	    "a 20-column terminal (got '%s')", got);
	free(got);
	progress_free(p);
	fclose(out);
}

static void
test_hook(void)
{
	struct fake	 f;
	struct progress	*p;
	FILE		*out = tmpfile();
	char		*got;
	size_t		 len;
	int		 saved = dup(STDERR_FILENO);

	/* The message itself goes to stderr: to /dev/null for the test. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		abort();
	memset(&f, 0, sizeof f);
	p = live_new(&f, out, 80);
	f.now = SEC;
	progress_update(p, 2000000, 1);
	log_warn("a message");
	got = slurp(out, &len);
	tap_ok(len > 2 && got[len - 1] == '\r' && got[len - 2] == ' ' &&
	    count_char(got, len, '\r') == 3, "a log message first clears the "
	    "live line");
	free(got);
	f.now = 2 * SEC;
	progress_update(p, 4000000, 2);
	got = slurp(out, &len);
	tap_ok(count_char(got, len, '\r') == 4 && strstr(got, "\rtest: 4.0 MB")
	    != NULL, "the next update draws it again");
	free(got);
	progress_free(p);
	log_warn("after the end");
	got = slurp(out, &len);
	tap_ok(count_char(got, len, '\r') == 6, "after the end, a message "
	    "clears nothing (%u)", count_char(got, len, '\r'));
	free(got);
	fclose(out);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void
test_log(void)
{
	struct fake	 f;
	struct progress	*p;
	unsigned	 i;
	uint64_t	 bytes = 0;

	memset(&f, 0, sizeof f);
	p = log_new(&f, 2);
	/* 10 s of updates every 100 ms, each reading the clock. */
	for (i = 1; i <= 100; i++) {
		f.now = i * 100 * MS;
		bytes += PROGRESS_CHECK_BYTES;
		progress_update(p, bytes, i);
	}
	tap_ok(f.nlines == 5, "a 2 s interval over 10 s: 5 lines (%u)",
	    f.nlines);
	tap_ok(strcmp(f.lines[0], "21 MB, 20 files, 10 MB/s") == 0,
	    "the first at 2 s: '%s'", f.lines[0]);
	tap_ok(strcmp(f.lines[4], "105 MB, 100 files, 10 MB/s") == 0,
	    "the last at 10 s: '%s'", f.lines[4]);
	/* A stall of 7 s: one line when work resumes, the next 2 s later. */
	f.now = 17 * SEC;
	progress_update(p, bytes += PROGRESS_CHECK_BYTES, 101);
	f.now = 18 * SEC;
	progress_update(p, bytes += PROGRESS_CHECK_BYTES, 102);
	f.now = 19 * SEC;
	progress_update(p, bytes += PROGRESS_CHECK_BYTES, 103);
	tap_ok(f.nlines == 7, "after a stall: a line at once, the next one "
	    "interval later (%u lines)", f.nlines);
	progress_free(p);
}

static void
test_start(void)
{
	struct progress	*p;

	unsetenv("TRESOR_PROGRESS_INTERVAL");
	progress_set_log_interval(0);
	tap_ok(progress_start("x", 1) == NULL, "quiet, no interval: none");
	if (!isatty(STDERR_FILENO))
		tap_ok(progress_start("x", 0) == NULL, "stderr not a terminal, "
		    "no interval: none");
	else
		tap_ok(1, "# SKIP stderr is a terminal");
	setenv("TRESOR_PROGRESS_INTERVAL", "5", 1);
	p = progress_start("x", 1);
	tap_ok(p != NULL, "TRESOR_PROGRESS_INTERVAL=5: log mode, even quiet");
	progress_free(p);
	setenv("TRESOR_PROGRESS_INTERVAL", "0", 1);
	tap_ok(progress_start("x", 1) == NULL, "TRESOR_PROGRESS_INTERVAL=0: "
	    "off");
	unsetenv("TRESOR_PROGRESS_INTERVAL");
	progress_set_log_interval(60);
	p = progress_start("x", 1);
	tap_ok(p != NULL, "progress_set_log_interval(60): log mode");
	progress_free(p);
	progress_set_log_interval(0);
	tap_ok(progress_start("x", 1) == NULL, "progress_set_log_interval(0): "
	    "off again");
}

int
main(void)
{
	test_formats();
	test_line();
	test_clock_reads();
	test_live();
	test_live_end();
	test_hook();
	test_log();
	test_start();
	return tap_done();
}
