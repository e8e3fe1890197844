/*
 * xmalloc.c: allocation wrappers. Running out of memory in a backup tool is
 * not something we can recover from sensibly, so it ends the process with a
 * clear message instead of threading NULL checks through every caller.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
xmalloc_fail(size_t size)
{
	fprintf(stderr, "tresor: out of memory allocating %zu bytes\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void	*p = malloc(size ? size : 1);

	if (p == NULL)
		xmalloc_fail(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		xmalloc_fail(n * size);
	return p;
}

void *
xrealloc(void *old, size_t size)
{
	void	*p = realloc(old, size ? size : 1);

	if (p == NULL)
		xmalloc_fail(size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

void *
xmemdup(const void *src, size_t len)
{
	void	*p = xmalloc(len);

	memcpy(p, src, len);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		xmalloc_fail(strlen(fmt));
	va_end(ap);
	return s;
}
