/*
 * progress.c: the progress reporter (see progress.h).
 *
 * The counting thread owns the counters and the times; only the live line
 * on the terminal is shared, with log.c's hook, which any thread may run
 * to clear it before a message. That line (which reporter drew it, how
 * long it is) is guarded by one process-wide mutex: there is one terminal.
 * No lock is taken on an update that does not draw.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"
#include "xmalloc.h"

#define PROGRESS_LINE_MAX	256

struct progress {
	char		*verb;
	int		 live;
	uint64_t	 log_nsec;	/* 0: no log lines */
	uint64_t	(*clock)(void *);
	void		(*log)(void *, const char *);
	FILE		*live_out;
	int		 width;
	void		*arg;

	uint64_t	 total;
	uint64_t	 bytes;
	uint64_t	 files;
	unsigned	 calls;		/* updates since the clock was read */
	uint64_t	 checked;	/* bytes when it was read */
	uint64_t	 start;
	uint64_t	 next_draw;
	uint64_t	 next_log;

	size_t		 drawn;		/* under progress_lock: columns shown */
};

static pthread_mutex_t	 progress_lock = PTHREAD_MUTEX_INITIALIZER;
static struct progress	*progress_shown;	/* under progress_lock */
static int		 progress_interval;	/* progress_set_log_interval */

static uint64_t
progress_monotonic(void *arg)
{
	struct timespec	ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
progress_log_notice(void *arg, const char *line)
{
	(void)arg;
	log_notice("progress: %s", line);
}

/* Take the live line away; progress_lock is held. */
static void
progress_clear_locked(struct progress *p)
{
	char	blank[PROGRESS_LINE_MAX + 2];

	if (p->drawn == 0)
		return;
	blank[0] = '\r';
	memset(blank + 1, ' ', p->drawn);
	blank[p->drawn + 1] = '\r';
	fwrite(blank, 1, p->drawn + 2, p->live_out);
	fflush(p->live_out);
	p->drawn = 0;
}

/* log.c's hook: no live line while a message is written. */
static void
progress_log_hook(int before)
{
	if (before) {
		pthread_mutex_lock(&progress_lock);
		if (progress_shown != NULL)
			progress_clear_locked(progress_shown);
	} else
		pthread_mutex_unlock(&progress_lock);
}

void
progress_set_log_interval(int seconds)
{
	progress_interval = seconds > 0 ? seconds : 0;
}

/* TRESOR_PROGRESS_INTERVAL: seconds, 0 if unset; -1 if malformed. */
static int
progress_env_interval(void)
{
	const char	*s = getenv("TRESOR_PROGRESS_INTERVAL");
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < 0 || n > 86400 * 7)
		return -1;
	return (int)n;
}

struct progress *
progress_start(const char *verb, int quiet)
{
	static int		warned;
	struct progress_config	cfg;
	int			env = progress_env_interval();

	if (env == -1 && !warned) {
		log_warn("ignoring TRESOR_PROGRESS_INTERVAL='%s': not a number "
		    "of seconds", getenv("TRESOR_PROGRESS_INTERVAL"));
		warned = 1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.verb = verb;
	cfg.log_interval = env > 0 ? env : progress_interval;
	cfg.live = cfg.log_interval == 0 && !quiet && isatty(STDERR_FILENO);
	return progress_new(&cfg);
}

struct progress *
progress_new(const struct progress_config *cfg)
{
	struct progress	*p;
	struct winsize	 ws;

	if (!cfg->live && cfg->log_interval <= 0)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->verb = xstrdup(cfg->verb != NULL ? cfg->verb : "progress");
	p->live = cfg->live && cfg->log_interval <= 0;
	if (cfg->log_interval > 0)
		p->log_nsec = (uint64_t)cfg->log_interval * 1000000000ULL;
	p->clock = cfg->clock != NULL ? cfg->clock : progress_monotonic;
	p->log = cfg->log != NULL ? cfg->log : progress_log_notice;
	p->live_out = cfg->live_out != NULL ? cfg->live_out : stderr;
	p->arg = cfg->arg;
	p->width = cfg->width;
	if (p->width <= 0 && p->live && ioctl(fileno(p->live_out), TIOCGWINSZ,
	    &ws) == 0 && ws.ws_col > 0)
		p->width = ws.ws_col;
	if (p->width <= 0)
		p->width = 80;
	if (p->width > PROGRESS_LINE_MAX)
		p->width = PROGRESS_LINE_MAX;
	p->start = p->clock(p->arg);
	p->next_draw = p->start + PROGRESS_FIRST_NSEC;
	p->next_log = p->start + p->log_nsec;
	if (p->live)
		log_set_hook(progress_log_hook);
	return p;
}

void
progress_set_total(struct progress *p, uint64_t bytes)
{
	if (p != NULL)
		p->total = bytes;
}

void
progress_format_bytes(char *buf, size_t len, uint64_t n)
{
	static const char	*units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double			 v;
	size_t			 u;

	if (n < 1000) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return;
	}
	v = (double)n / 1000.0;
	/* Past 999.5 it would print as 1000: the next unit's 1.0. */
	for (u = 0; u + 1 < sizeof units / sizeof *units && v >= 999.5; u++)
		v /= 1000.0;
	if (v < 9.95)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
}

void
progress_format_duration(char *buf, size_t len, uint64_t s)
{
	snprintf(buf, len, "%" PRIu64 ":%02u:%02u", s / 3600,
	    (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

/* Append to buf at *off, cutting at its end. */
static void __attribute__((format(printf, 4, 5)))
progress_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

void
progress_format(const struct progress *p, uint64_t now, char *buf,
    size_t len)
{
	char		 done[32], total[32], rate[32], eta[32];
	double		 secs, bps = 0;
	uint64_t	 pct;
	size_t		 off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	progress_format_bytes(done, sizeof done, p->bytes);
	progress_append(buf, len, &off, "%s", done);
	if (p->total > 0) {
		pct = p->bytes >= p->total ? 100 :
		    (uint64_t)((double)p->bytes * 100.0 / (double)p->total);
		progress_format_bytes(total, sizeof total, p->total);
		progress_append(buf, len, &off, " of %s (%" PRIu64 "%%)", total,
		    pct);
	}
	progress_append(buf, len, &off, ", %" PRIu64 " file%s", p->files,
	    p->files == 1 ? "" : "s");
	secs = now > p->start ? (double)(now - p->start) / 1e9 : 0;
	if (secs >= 0.1) {
		bps = (double)p->bytes / secs;
		progress_format_bytes(rate, sizeof rate, (uint64_t)bps);
		progress_append(buf, len, &off, ", %s/s", rate);
	}
	if (p->total > 0 && p->bytes < p->total && bps >= 1) {
		progress_format_duration(eta, sizeof eta, (uint64_t)
		    ((double)(p->total - p->bytes) / bps + 0.5));
		progress_append(buf, len, &off, ", ETA %s", eta);
	}
}

/* Redraw the live line: "\r", the text cut to the width, blanks over the
 * rest of the previous one. */
static void
progress_draw(struct progress *p, uint64_t now)
{
	char	text[PROGRESS_LINE_MAX], line[PROGRESS_LINE_MAX * 2 + 2];
	size_t	len, max = (size_t)p->width - 1, pad;
	int	n;

	n = snprintf(text, sizeof text, "%s: ", p->verb);
	len = n > 0 && (size_t)n < sizeof text ? (size_t)n : 0;
	progress_format(p, now, text + len, sizeof text - len);
	len = strlen(text);
	if (len > max)
		len = max;
	pthread_mutex_lock(&progress_lock);
	pad = p->drawn > len ? p->drawn - len : 0;
	line[0] = '\r';
	memcpy(line + 1, text, len);
	memset(line + 1 + len, ' ', pad);
	fwrite(line, 1, 1 + len + pad, p->live_out);
	fflush(p->live_out);
	p->drawn = len;
	progress_shown = p;
	pthread_mutex_unlock(&progress_lock);
}

/* The clock is due: draw or log if their time has come. */
static void
progress_check(struct progress *p)
{
	char		line[PROGRESS_LINE_MAX];
	uint64_t	now;

	p->calls = 0;
	p->checked = p->bytes;
	now = p->clock(p->arg);
	if (p->live && now >= p->next_draw) {
		progress_draw(p, now);
		p->next_draw = now + PROGRESS_LIVE_NSEC;
	}
	if (p->log_nsec > 0 && now >= p->next_log) {
		progress_format(p, now, line, sizeof line);
		p->log(p->arg, line);
		/* Keep to the grid; after a stall, from now on. */
		p->next_log += p->log_nsec;
		if (p->next_log <= now)
			p->next_log = now + p->log_nsec;
	}
}

void
progress_update(struct progress *p, uint64_t bytes, uint64_t files)
{
	if (p == NULL)
		return;
	p->bytes = bytes;
	p->files = files;
	if (++p->calls < PROGRESS_CHECK_CALLS && bytes >= p->checked &&
	    bytes - p->checked < PROGRESS_CHECK_BYTES)
		return;
	progress_check(p);
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&progress_lock);
	progress_clear_locked(p);
	if (progress_shown == p)
		progress_shown = NULL;
	pthread_mutex_unlock(&progress_lock);
	free(p->verb);
	free(p);
}
