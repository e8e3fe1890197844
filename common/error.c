/* error.c: building one-line error causes (see error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xmalloc.h"

static char *
error_vformat(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup(fmt);
	return s;
}

int
error_set(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL || *cause != NULL)
		return -1;
	va_start(ap, fmt);
	*cause = error_vformat(fmt, ap);
	va_end(ap);
	return -1;
}

int
error_sys(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	char	*msg;

	if (cause == NULL || *cause != NULL)
		return -1;
	va_start(ap, fmt);
	msg = error_vformat(fmt, ap);
	va_end(ap);
	*cause = xasprintf("%s: %s", msg, strerror(saved));
	free(msg);
	errno = saved;
	return -1;
}

int
error_prefix(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*ctx, *old;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = error_vformat(fmt, ap);
	va_end(ap);
	old = *cause;
	*cause = xasprintf("%s: %s", ctx, old != NULL ? old : "unknown error");
	free(ctx);
	free(old);
	return -1;
}
