/* target.c: a target for the layers above repo/ (see target.h). */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/xmalloc.h"
#include "format/names.h"
#include "repo/target.h"
#include "transports/url.h"

struct transport *
target_open(const char *url, const struct transport_options *o, char **cause)
{
	return transport_open(url, o, cause);
}

void
target_close(struct transport *t)
{
	transport_close(t);
}

int
target_url_check(const char *url, char **cause)
{
	char	*display = url_masked(url), *scheme = url_scheme(url);
	char	*list = transport_schemes();
	int	 rc = -1;

	if (scheme == NULL)
		error_set(cause, "'%s' is not a URL (expected scheme://..., "
		    "with a scheme of: %s)", display, list);
	else if (!transport_scheme_served(scheme))
		error_set(cause, "unknown scheme '%s' in '%s' (supported: %s)",
		    scheme, display, list);
	else if (strstr(url, "://")[3] == '\0')
		error_set(cause, "'%s' names no place", display);
	else
		rc = 0;
	free(list);
	free(scheme);
	free(display);
	return rc;
}

char *
target_url_masked(const char *text)
{
	return url_masked(text);
}

const char *
target_display(struct transport *t)
{
	return transport_display(t);
}

int
target_has(struct transport *t, const char *name)
{
	uint64_t	size;

	return transport_stat(t, name, &size, NULL) == 0;
}

int
target_list(struct transport *t, struct name_list *names, char **cause)
{
	return transport_list(t, names, cause);
}

int
target_remove_set(struct transport *t, const struct name_list *names,
    const char *set_id, char **cause)
{
	char		*prefix = xasprintf("tresor.%s.", set_id);
	char		*manifest = names_manifest(set_id);
	size_t		 i, plen = strlen(prefix);
	int		 rc = -1;

	if (interrupt_check(cause) != 0 ||
	    transport_remove(t, manifest, cause) != 0)
		goto out;
	for (i = 0; i < names->count; i++) {
		if (interrupt_check(cause) != 0)
			goto out;
		if (strncmp(names->entries[i].name, prefix, plen) == 0 &&
		    strcmp(names->entries[i].name, manifest) != 0 &&
		    transport_remove(t, names->entries[i].name, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	free(prefix);
	free(manifest);
	return rc;
}

int
target_list_temporary(struct transport *t, struct name_list *names,
    char **cause)
{
	return transport_list_temporary(t, names, cause);
}

int
target_remove_temporary(struct transport *t, const char *name, char **cause)
{
	return transport_remove_temporary(t, name, cause);
}
