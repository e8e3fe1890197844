/* argv.h: building an argument vector for a child process. */
#ifndef TRESOR_ARGV_H
#define TRESOR_ARGV_H

#include <stddef.h>

struct argv {
	char	**v;		/* NULL-terminated */
	size_t	  n;
};

void	argv_add(struct argv *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	argv_free(struct argv *);

#endif
