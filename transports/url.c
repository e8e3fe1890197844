/*
 * url.c: parsing target URLs (see url.h). Percent-escapes in the user,
 * password and path are decoded, as duplicity did for the appliance's URLs.
 *
 * One function, url_split, decides where the userinfo, the password, the
 * host and the path are. url_parse, url_display (messages) and
 * url_hide_password (argv) all use it, so what is masked is exactly what is
 * parsed as the password, whatever characters it holds: the userinfo ends
 * at the last '@' after "scheme://", so a raw '@', '/', ':' or ';' in a
 * password is still the password, never a host or path shown in a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/pathenc.h"
#include "common/xmalloc.h"
#include "url.h"

#define URL_NONE	SIZE_MAX

/* Offsets into a URL's text, from url_split. */
struct url_split {
	int	has_scheme;	/* a valid "scheme://" found */
	size_t	scheme_len;	/* length of the scheme (0 if none) */
	int	file;		/* file://: everything after :// is the path */
	size_t	at;		/* the '@' ending the userinfo, or URL_NONE */
	size_t	colon;		/* the ':' before the password, or URL_NONE */
	size_t	host;		/* start of host[:port] */
	size_t	path;		/* start of the path: a '/' or the end */
};

/* A scheme: a letter, then letters, digits, '+', '-' or '.'. */
static int
url_scheme_valid(const char *text, size_t len)
{
	size_t	i;
	char	c;

	for (i = 0; i < len; i++) {
		c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
		    c == '-' || c == '.'))))
			return 0;
	}
	return len > 0;
}

/*
 * The rule (url.h): after "scheme://" (or from the start if there is no
 * valid scheme, so such a text is masked too), the userinfo is everything up
 * to the LAST '@'; the password is what follows the first ':' in it. The
 * host[:port] follows that '@' up to the next '/', where the path starts.
 * file:// URLs have no userinfo: all the rest is the path.
 */
static void
url_split(const char *text, struct url_split *s)
{
	const char	*sep = strstr(text, "://"), *rest, *at, *colon;

	memset(s, 0, sizeof *s);
	s->at = s->colon = URL_NONE;
	rest = text;
	if (sep != NULL && url_scheme_valid(text, (size_t)(sep - text))) {
		s->has_scheme = 1;
		s->scheme_len = (size_t)(sep - text);
		rest = sep + 3;
		s->file = s->scheme_len == 4 && strncasecmp(text, "file", 4) == 0;
	}
	s->host = (size_t)(rest - text);
	if (s->file) {
		s->path = s->host;
		return;
	}
	if ((at = strrchr(rest, '@')) != NULL) {
		s->at = (size_t)(at - text);
		colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon != NULL)
			s->colon = (size_t)(colon - text);
		s->host = s->at + 1;
	}
	s->path = s->host + strcspn(text + s->host, "/");
}

char *
url_display(const char *text)
{
	struct url_split	s;

	url_split(text, &s);
	if (s.colon == URL_NONE)
		return xstrdup(text);
	return xasprintf("%.*s%s", (int)s.colon, text, text + s.at);
}

char *
url_masked(const char *text)
{
	struct url_split	s;

	url_split(text, &s);
	if (s.colon == URL_NONE)
		return xstrdup(text);
	return xasprintf("%.*s***%s", (int)s.colon + 1, text, text + s.at);
}

void
url_hide_password(char *text)
{
	struct url_split	s;

	url_split(text, &s);
	if (s.colon != URL_NONE)
		memset(text + s.colon + 1, '*', s.at - s.colon - 1);
}

char *
url_scheme(const char *text)
{
	struct url_split	 s;
	char			*scheme, *p;

	url_split(text, &s);
	if (!s.has_scheme)
		return NULL;
	scheme = xmalloc(s.scheme_len + 1);
	memcpy(scheme, text, s.scheme_len);
	scheme[s.scheme_len] = '\0';
	for (p = scheme; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return scheme;
}

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

int
url_parse(const char *text, struct url *u, char **cause)
{
	struct url_split	 s;
	const char		*auth, *host_end, *path;
	char			*end, *display = url_display(text);
	long			 port;
	int			 rc = -1;

	memset(u, 0, sizeof *u);
	url_split(text, &s);
	if (!s.has_scheme) {
		error_set(cause, "invalid URL '%s': expected scheme://location, "
		    "for example file:///srv/backup", display);
		goto out;
	}
	u->scheme = url_scheme(text);

	if (s.file) {
		if (text[s.path] == '\0') {
			error_set(cause, "invalid URL '%s': no path", display);
			goto out;
		}
		u->path = url_decode_part(text + s.path, strlen(text + s.path));
		if (u->path == NULL) {
			error_set(cause, "invalid URL '%s': bad %%-escape in "
			    "path", display);
			goto out;
		}
		rc = 0;
		goto out;
	}

	if (s.at != URL_NONE) {
		auth = text + s.scheme_len + 3;
		if (s.colon != URL_NONE) {
			u->user = url_decode_part(auth, s.colon - (size_t)(auth -
			    text));
			u->password = url_decode_part(text + s.colon + 1,
			    s.at - s.colon - 1);
		} else
			u->user = url_decode_part(auth, s.at - (size_t)(auth -
			    text));
		if (u->user == NULL || (s.colon != URL_NONE &&
		    u->password == NULL)) {
			error_set(cause, "invalid URL '%s': bad %%-escape in "
			    "user or password", display);
			goto out;
		}
	}
	auth = text + s.host;
	path = text + s.path;
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

/* The port a scheme's driver uses when the URL names none. */
static int
url_default_port(const char *scheme)
{
	if (strcmp(scheme, "sftp") == 0 || strcmp(scheme, "scp") == 0)
		return 22;
	if (strcmp(scheme, "ftp") == 0 || strcmp(scheme, "ftps") == 0)
		return 21;
	if (strcmp(scheme, "webdav") == 0)
		return 80;
	if (strcmp(scheme, "webdavs") == 0)
		return 443;
	if (strcmp(scheme, "smb") == 0)
		return 445;
	return 0;
}

/*
 * Append s, %-escaping every byte but the unreserved and sub-delimiter
 * characters of RFC 3986 and those in keep.
 */
static void
url_append_escaped(char **out, size_t *len, const char *s, const char *keep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = *len;

	*out = xrealloc(*out, n + 3 * strlen(s) + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~!$&'()*+,;=",
		    *p) != NULL || strchr(keep, *p) != NULL)
			(*out)[n++] = (char)*p;
		else {
			(*out)[n++] = '%';
			(*out)[n++] = hex[*p >> 4];
			(*out)[n++] = hex[*p & 0xf];
		}
	}
	(*out)[n] = '\0';
	*len = n;
}

/*
 * A path with repeated slashes collapsed and no trailing slash. A network
 * URL's path keeps its marker: "/" is the login directory, "//" the root.
 */
static char *
url_normal_path(const char *path, int network)
{
	char		*out = xmalloc(strlen(path) + 3), *o = out;
	const char	*p = path;

	if (network && strncmp(p, "//", 2) == 0) {
		*o++ = '/';
		*o++ = '/';
	} else if (*p == '/')
		*o++ = '/';
	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (*p == '/') {
			while (*p == '/')
				p++;
			if (*p == '\0')
				break;
			*o++ = '/';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	if (*out == '\0')
		strcpy(out, ".");	/* file://./ spelled as an empty path */
	return out;
}

char *
url_host_literal(const struct url *u)
{
	if (strchr(u->host, ':') != NULL)
		return xasprintf("[%s]", u->host);
	return xstrdup(u->host);
}

char *
url_normalised(const struct url *u)
{
	char	*out = NULL, *path, *host, *p, port[16];
	size_t	 len = 0;

	url_append_escaped(&out, &len, u->scheme, "");
	url_append_escaped(&out, &len, "://", ":/");
	path = url_normal_path(u->path, u->host != NULL);
	if (u->host != NULL) {
		if (u->user != NULL) {
			url_append_escaped(&out, &len, u->user, "");
			url_append_escaped(&out, &len, "@", "@");
		}
		host = xstrdup(u->host);
		for (p = host; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		}
		if (strchr(host, ':') != NULL) {
			url_append_escaped(&out, &len, "[", "[");
			url_append_escaped(&out, &len, host, ":");
			url_append_escaped(&out, &len, "]", "]");
		} else
			url_append_escaped(&out, &len, host, "");
		free(host);
		if (u->port != 0 && u->port != url_default_port(u->scheme)) {
			snprintf(port, sizeof port, ":%d", u->port);
			url_append_escaped(&out, &len, port, ":");
		}
	}
	url_append_escaped(&out, &len, path, "/:");
	free(path);
	return out;
}
