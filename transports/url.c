/*
 * url.c: parsing target URLs (see url.h). Percent-escapes in the user,
 * password and path are decoded, as duplicity did for the appliance's URLs.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/pathenc.h"
#include "common/xmalloc.h"
#include "url.h"

static char *
url_decode_part(const char *start, size_t len)
{
	char	*raw = xmalloc(len + 1), *out;

	memcpy(raw, start, len);
	raw[len] = '\0';
	out = pathenc_decode(raw);
	free(raw);
	return out;
}

static char *
url_safe_display(const char *url)
{
	const char	*scheme_end = strstr(url, "://"), *at, *colon, *auth;
	size_t		 slash;

	if (scheme_end == NULL)
		return xstrdup(url);
	auth = scheme_end + 3;
	slash = strcspn(auth, "/");
	at = memchr(auth, '@', slash);
	if (at == NULL)
		return xstrdup(url);
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon == NULL)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(colon - url), url, at);
}

int
url_parse(const char *text, struct url *u, char **cause)
{
	const char	*p, *auth, *host_end, *at, *colon, *path;
	char		*end, *display = url_safe_display(text);
	long		 port;
	int		 rc = -1;

	memset(u, 0, sizeof *u);
	p = strstr(text, "://");
	if (p == NULL || p == text) {
		error_set(cause, "invalid URL '%s': expected scheme://location, "
		    "for example file:///srv/backup", display);
		goto out;
	}
	u->scheme = xmalloc((size_t)(p - text) + 1);
	memcpy(u->scheme, text, (size_t)(p - text));
	u->scheme[p - text] = '\0';
	for (end = u->scheme; *end != '\0'; end++) {
		if (!((*end >= 'a' && *end <= 'z') || (*end >= '0' &&
		    *end <= '9') || *end == '+' || *end == '-')) {
			error_set(cause, "invalid URL '%s': bad scheme", display);
			goto out;
		}
	}
	auth = p + 3;

	if (strcmp(u->scheme, "file") == 0) {
		if (*auth == '\0') {
			error_set(cause, "invalid URL '%s': no path", display);
			goto out;
		}
		u->path = url_decode_part(auth, strlen(auth));
		if (u->path == NULL) {
			error_set(cause, "invalid URL '%s': bad %%-escape in "
			    "path", display);
			goto out;
		}
		rc = 0;
		goto out;
	}

	path = auth + strcspn(auth, "/");
	at = memchr(auth, '@', (size_t)(path - auth));
	if (at != NULL) {
		/* user[:password] before the last '@' of the authority. */
		while (memchr(at + 1, '@', (size_t)(path - at - 1)) != NULL)
			at = memchr(at + 1, '@', (size_t)(path - at - 1));
		colon = memchr(auth, ':', (size_t)(at - auth));
		u->user = url_decode_part(auth, (size_t)((colon != NULL ? colon :
		    at) - auth));
		if (colon != NULL)
			u->password = url_decode_part(colon + 1,
			    (size_t)(at - colon - 1));
		if (u->user == NULL || (colon != NULL && u->password == NULL)) {
			error_set(cause, "invalid URL '%s': bad %%-escape in "
			    "user or password", display);
			goto out;
		}
		auth = at + 1;
	}
	host_end = auth;
	if (*auth == '[') {
		host_end = memchr(auth, ']', (size_t)(path - auth));
		if (host_end == NULL) {
			error_set(cause, "invalid URL '%s': unterminated IPv6 "
			    "address", display);
			goto out;
		}
		u->host = xmalloc((size_t)(host_end - auth));
		memcpy(u->host, auth + 1, (size_t)(host_end - auth - 1));
		u->host[host_end - auth - 1] = '\0';
		host_end++;
	} else {
		while (host_end < path && *host_end != ':')
			host_end++;
		u->host = xmalloc((size_t)(host_end - auth) + 1);
		memcpy(u->host, auth, (size_t)(host_end - auth));
		u->host[host_end - auth] = '\0';
	}
	if (*u->host == '\0') {
		error_set(cause, "invalid URL '%s': no host", display);
		goto out;
	}
	if (host_end < path && *host_end == ':') {
		port = strtol(host_end + 1, &end, 10);
		if (end != path || port <= 0 || port > 65535) {
			error_set(cause, "invalid URL '%s': bad port", display);
			goto out;
		}
		u->port = (int)port;
	} else if (host_end != path) {
		error_set(cause, "invalid URL '%s': bad host", display);
		goto out;
	}
	u->path = url_decode_part(*path == '\0' ? "/" : path,
	    *path == '\0' ? 1 : strlen(path));
	if (u->path == NULL) {
		error_set(cause, "invalid URL '%s': bad %%-escape in path",
		    display);
		goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		u->display = display;
		display = NULL;
	} else
		url_clear(u);
	free(display);
	return rc;
}

void
url_clear(struct url *u)
{
	free(u->scheme);
	free(u->user);
	if (u->password != NULL) {
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	free(u->host);
	free(u->path);
	free(u->display);
	memset(u, 0, sizeof *u);
}
