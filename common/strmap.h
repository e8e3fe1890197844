/*
 * strmap.h: a string-keyed hash map (open addressing). Keys are copied;
 * values are borrowed pointers the caller owns.
 */
#ifndef TRESOR_STRMAP_H
#define TRESOR_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap	*strmap_new(void);
void		 strmap_free(struct strmap *);
/* Free the map and pass every value to free_value. */
void		 strmap_free_values(struct strmap *, void (*)(void *));
/* Insert or replace. */
void		 strmap_put(struct strmap *, const char *, void *);
void		*strmap_get(const struct strmap *, const char *);
size_t		 strmap_count(const struct strmap *);
/* Call fn for every key and value (in no particular order). */
void		 strmap_foreach(const struct strmap *,
		     void (*)(const char *, void *, void *), void *);

#endif
