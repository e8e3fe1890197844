/* xmalloc.h: allocation that never returns NULL (out of memory is fatal). */
#ifndef TRESOR_XMALLOC_H
#define TRESOR_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
void	*xmemdup(const void *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
