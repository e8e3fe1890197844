/*
 * log.c: operator messages. Errors and warnings go to stderr prefixed with
 * "tresor: " so they are easy to grep out of a cron mail or the journal; info
 * lines only when --verbose. Paths may hold any byte except NUL, so anything
 * that goes to a terminal is escaped by log_quote first. A hook (set once,
 * by progress.c) runs around each line, so that a live progress line on
 * the terminal never runs into a message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xmalloc.h"

int log_verbose;
static const char	*log_prog = "tresor";
static int		 log_json;

void
log_set_program(const char *prog)
{
	log_prog = prog;
}

void
log_set_json(int on)
{
	log_json = on;
}

/* A JSON string's content: quotes, backslashes and control bytes escaped. */
static void
log_json_string(FILE *f, const char *s)
{
	unsigned char	c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void	(*log_hook)(int);

void
log_put_one_line(FILE *f, const char *s)
{
	unsigned char	c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void
log_set_hook(void (*hook)(int))
{
	__atomic_store_n(&log_hook, hook, __ATOMIC_RELEASE);
}

static void
log_vprint(const char *level, const char *fmt, va_list ap)
{
	void		(*hook)(int) = __atomic_load_n(&log_hook,
			    __ATOMIC_ACQUIRE);
	struct timespec	 ts;
	struct tm	 tm;
	char		*msg, when[32];

	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (!log_json) {
		if (hook != NULL)
			hook(1);
		fprintf(stderr, "%s: %s", log_prog,
		    strcmp(level, "warning") == 0 ? "warning: " : "");
		log_put_one_line(stderr, msg);
		fputc('\n', stderr);
		if (hook != NULL)
			hook(0);
		free(msg);
		return;
	}
	/* One object per line, for journald or a log shipper. */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	if (hook != NULL)
		hook(1);
	fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"program\":\"%s\","
	    "\"level\":\"%s\",\"message\":\"", when, ts.tv_nsec / 1000000L,
	    log_prog, level);
	log_json_string(stderr, msg);
	fputs("\"}\n", stderr);
	if (hook != NULL)
		hook(0);
	free(msg);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("info", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vprint("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("warning", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("error", fmt, ap);
	va_end(ap);
}

char *
log_quote(const char *s)
{
	size_t		 len = strlen(s);
	char		*out = xmalloc(len * 4 + 1), *o = out;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
}
