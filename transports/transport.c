/*
 * transport.c: picks the driver for a URL's scheme and checks object names
 * before any driver sees them, so no driver can be asked to write outside
 * its target.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "transport.intern.h"

static const struct transport_ops *transport_drivers[] = {
	&transport_file_ops,
};

int
transport_name_valid(const char *name)
{
	const char	*p;

	if (*name == '\0' || *name == '.' || strlen(name) > 200)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	}
	return 1;
}

struct transport *
transport_open(const char *text, char **cause)
{
	struct transport	*t = xcalloc(1, sizeof *t);
	size_t			 i;

	if (url_parse(text, &t->url, cause) != 0)
		goto fail;
	for (i = 0; i < sizeof transport_drivers / sizeof *transport_drivers;
	    i++) {
		if (strcmp(transport_drivers[i]->scheme, t->url.scheme) == 0)
			t->ops = transport_drivers[i];
	}
	if (t->ops == NULL) {
		error_set(cause, "unsupported transport '%s' in URL '%s'",
		    t->url.scheme, t->url.display);
		goto fail;
	}
	if (t->ops->open(t, cause) != 0)
		goto fail;
	return t;
fail:
	url_clear(&t->url);
	free(t);
	return NULL;
}

void
transport_close(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->ops != NULL && t->driver != NULL)
		t->ops->close(t);
	url_clear(&t->url);
	free(t);
}

int
transport_concurrent(const struct transport *t)
{
	return (t->ops->features & TRANSPORT_CONCURRENT) != 0;
}

int
transport_readback_proves(const struct transport *t)
{
	return (t->ops->features & TRANSPORT_LOCAL_SYNCED) == 0;
}

const char *
transport_display(const struct transport *t)
{
	return t->url.display;
}

static int
transport_check_name(struct transport *t, const char *name, char **cause)
{
	if (transport_name_valid(name))
		return 0;
	return error_set(cause, "invalid object name '%s' for %s", name,
	    t->url.display);
}

void
name_list_add(struct name_list *l, const char *name, uint64_t size)
{
	l->entries = xrealloc(l->entries, (l->count + 1) * sizeof *l->entries);
	l->entries[l->count].name = xstrdup(name);
	l->entries[l->count++].size = size;
}

void
name_list_clear(struct name_list *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++)
		free(l->entries[i].name);
	free(l->entries);
	l->entries = NULL;
	l->count = 0;
}

static int
name_compare(const void *a, const void *b)
{
	return strcmp(((const struct name_entry *)a)->name,
	    ((const struct name_entry *)b)->name);
}

int
transport_list(struct transport *t, struct name_list *l, char **cause)
{
	memset(l, 0, sizeof *l);
	if (t->ops->list(t, l, cause) != 0) {
		name_list_clear(l);
		return -1;
	}
	if (l->count > 0)
		qsort(l->entries, l->count, sizeof *l->entries, name_compare);
	return 0;
}

int
transport_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return -1;
	return t->ops->stat(t, name, size, cause);
}

struct sink *
transport_put(struct transport *t, const char *name, char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return NULL;
	return t->ops->put(t, name, cause);
}

struct transport_reader *
transport_get(struct transport *t, const char *name, char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return NULL;
	return t->ops->get(t, name, cause);
}

ssize_t
transport_reader_read(struct transport_reader *r, void *buf, size_t len,
    char **cause)
{
	return r->ops->read(r, buf, len, cause);
}

void
transport_reader_close(struct transport_reader *r)
{
	if (r != NULL)
		r->ops->close(r);
}

int
transport_remove(struct transport *t, const char *name, char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return -1;
	return t->ops->remove(t, name, cause);
}

int
transport_list_temporary(struct transport *t, struct name_list *l,
    char **cause)
{
	memset(l, 0, sizeof *l);
	if (t->ops->list_temporary == NULL)
		return 0;
	return t->ops->list_temporary(t, l, cause);
}

int
transport_remove_temporary(struct transport *t, const char *name,
    char **cause)
{
	if (strncmp(name, TRANSPORT_TMP_PREFIX, strlen(TRANSPORT_TMP_PREFIX))
	    != 0 || strchr(name, '/') != NULL ||
	    !transport_name_valid(name + strlen(TRANSPORT_TMP_PREFIX)))
		return error_set(cause, "'%s' is not a temporary object name",
		    name);
	if (t->ops->remove_temporary == NULL)
		return 0;
	return t->ops->remove_temporary(t, name, cause);
}
