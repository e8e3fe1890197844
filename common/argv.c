/* argv.c: building an argument vector for a child process. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "argv.h"
#include "xmalloc.h"

void
argv_add(struct argv *a, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void
argv_free(struct argv *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
