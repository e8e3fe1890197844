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
#include <string.h>

#include "log.h"
#include "xmalloc.h"

int log_verbose;

static void	(*log_hook)(int);

void
log_set_hook(void (*hook)(int))
{
	__atomic_store_n(&log_hook, hook, __ATOMIC_RELEASE);
}

static void
log_vprint(const char *level, const char *fmt, va_list ap)
{
	void	(*hook)(int) = __atomic_load_n(&log_hook, __ATOMIC_ACQUIRE);

	if (hook != NULL)
		hook(1);
	fprintf(stderr, "tresor: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (hook != NULL)
		hook(0);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap);
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
