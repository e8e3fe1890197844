/*
 * propfind.h: the answer to a WebDAV PROPFIND (207 Multi-Status), parsed as
 * it arrives (expat), so a listing of thousands of objects never sits in
 * memory as XML. For webdav.c.
 */
#ifndef TRESOR_PROPFIND_H
#define TRESOR_PROPFIND_H

#include <stddef.h>

#include "transport.h"

/* Which members go to the list (collections never do). */
#define PROPFIND_OBJECTS	0	/* valid object names */
#define PROPFIND_TEMPORARIES	1	/* names starting ".tmp." */
#define PROPFIND_ANY		2	/* any name (stat of one member) */

/* A parser adding the members it finds to l (borrowed). */
struct propfind	*propfind_new(struct name_list *l, int which);
/* A piece of the answer: 0, or -1 once it cannot be parsed. */
int		 propfind_feed(struct propfind *, const char *, size_t);
/* The end of the answer: 0, or -1 with why it is not a listing. */
int		 propfind_finish(struct propfind *, char **cause);
void		 propfind_free(struct propfind *);

#endif
