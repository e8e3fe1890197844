/* strmap.c: open-addressing string hash map with FNV-1a (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

struct strmap_slot {
	char	*key;
	void	*value;
};

struct strmap {
	struct strmap_slot	*slots;
	size_t			 size;	/* power of two */
	size_t			 count;
};

static uint64_t
strmap_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap	*m = xcalloc(1, sizeof *m);

	m->size = 64;
	m->slots = xcalloc(m->size, sizeof *m->slots);
	return m;
}

void
strmap_free(struct strmap *m)
{
	strmap_free_values(m, NULL);
}

void
strmap_free_values(struct strmap *m, void (*free_value)(void *))
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->size; i++) {
		if (m->slots[i].key != NULL && free_value != NULL)
			free_value(m->slots[i].value);
		free(m->slots[i].key);
	}
	free(m->slots);
	free(m);
}

static struct strmap_slot *
strmap_find(const struct strmap *m, const char *key)
{
	size_t	i = strmap_hash(key) & (m->size - 1);

	while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->size - 1);
	return &m->slots[i];
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap_slot	*old = m->slots, *slot;
	size_t			 old_size = m->size, i;

	m->size *= 2;
	m->slots = xcalloc(m->size, sizeof *m->slots);
	for (i = 0; i < old_size; i++) {
		if (old[i].key == NULL)
			continue;
		slot = strmap_find(m, old[i].key);
		*slot = old[i];
	}
	free(old);
}

void
strmap_put(struct strmap *m, const char *key, void *value)
{
	struct strmap_slot	*slot;

	if ((m->count + 1) * 4 > m->size * 3)
		strmap_grow(m);
	slot = strmap_find(m, key);
	if (slot->key == NULL) {
		slot->key = xstrdup(key);
		m->count++;
	}
	slot->value = value;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	return strmap_find(m, key)->value;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

void
strmap_foreach(const struct strmap *m, void (*fn)(const char *, void *,
    void *), void *arg)
{
	size_t	i;

	for (i = 0; i < m->size; i++) {
		if (m->slots[i].key != NULL)
			fn(m->slots[i].key, m->slots[i].value, arg);
	}
}
