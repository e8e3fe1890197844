/*
 * fuzz-url.c: the target URL parser (transports/url.c) and the functions
 * that must agree with it on what the password is, so that no message
 * shows one: url_display, url_masked, url_hide_password, url_scheme,
 * url_normalised, url_host_literal. Input: the URL text (a NUL byte ends it, as in argv).
 *
 * Properties, for a URL that parses: url_display's text parses to the
 * same user, host, port and path with no password, and url_masked's and
 * url_hide_password's to the same with a password of '*' only.
 */
#include <stdlib.h>
#include <string.h>

#include "transports/url.h"
#include "fuzz.h"

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether v parsed as the same target as u. */
static int
same_target(const struct url *u, const struct url *v)
{
	return same(u->scheme, v->scheme) && same(u->user, v->user) &&
	    same(u->host, v->host) && u->port == v->port &&
	    same(u->path, v->path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url	 u, v;
	char		*text = fuzz_string(data, size);
	char		*shown, *hidden, *masked, *scheme, *norm, *host;
	char		*cause = NULL;
	const char	*p;

	memset(&u, 0, sizeof u);
	memset(&v, 0, sizeof v);
	shown = url_display(text);
	hidden = strdup(text);
	if (hidden == NULL)
		abort();
	url_hide_password(hidden);
	masked = url_masked(text);
	scheme = url_scheme(text);
	if (url_parse(text, &u, &cause) != 0) {
		if (cause == NULL)
			abort();
		goto out;
	}
	if (u.display == NULL || strcmp(u.display, shown) != 0 ||
	    scheme == NULL || strcmp(scheme, u.scheme) != 0)
		abort();
	if (url_parse(shown, &v, &cause) != 0 || !same_target(&u, &v) ||
	    v.password != NULL)
		abort();
	url_clear(&v);
	if (url_parse(hidden, &v, &cause) != 0 || !same_target(&u, &v) ||
	    (u.password == NULL) != (v.password == NULL))
		abort();
	for (p = v.password; p != NULL && *p != '\0'; p++) {
		if (*p != '*')
			abort();
	}
	url_clear(&v);
	if (url_parse(masked, &v, &cause) != 0 || !same_target(&u, &v) ||
	    (u.password == NULL) != (v.password == NULL))
		abort();
	for (p = v.password; p != NULL && *p != '\0'; p++) {
		if (*p != '*')
			abort();
	}
	url_clear(&v);
	norm = url_normalised(&u);
	free(norm);
	if (u.host != NULL) {
		host = url_host_literal(&u);
		free(host);
	}
out:
	url_clear(&u);
	free(cause);
	free(scheme);
	free(masked);
	free(hidden);
	free(shown);
	free(text);
	return 0;
}
