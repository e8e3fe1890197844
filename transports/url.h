/*
 * url.h: target URLs, scheme://[user[:password]@]host[:port]/path or
 * file:///absolute/path. The password is kept apart so it never reaches a
 * message: url->display is the URL with the password removed.
 *
 * The parsing rule, shared by every function here (so what is masked is
 * what is parsed as the password):
 *
 *   - the scheme is what precedes the first "://" (case-insensitive): a
 *     letter, then letters, digits, '+', '-' or '.'; text without one is
 *     masked as if all of it followed "://";
 *   - file://: everything after "://" is the path (no user, no host);
 *   - otherwise the userinfo ends at the LAST '@' after "://", and the
 *     password is what follows the first ':' of the userinfo. A user or
 *     password may so hold raw '@', '/', ';' or non-ASCII bytes; a ':' in
 *     the user must be written %3A. An '@' in the path must be written %40;
 *   - host[:port] follows that '@' (or "://") up to the next '/', where the
 *     path starts; "[v6addr]" for IPv6;
 *   - user, password and path are %-decoded (%40 is '@', %2F is '/').
 */
#ifndef TRESOR_URL_H
#define TRESOR_URL_H

struct url {
	char	*scheme;	/* lowercase */
	char	*user;		/* NULL if absent */
	char	*password;	/* NULL if absent; never printed */
	char	*host;		/* NULL for file:// */
	int	 port;		/* 0 if absent */
	char	*path;		/* decoded; for file:// absolute or relative */
	char	*display;	/* the URL without its password, for messages */
};

/* Parse; on error *cause names the URL (without its password). */
int	url_parse(const char *, struct url *, char **cause);
void	url_clear(struct url *);
/*
 * Any text, URL or not, without the password it may hold: the only form of
 * a URL argument a message may show, even when it does not parse.
 */
char	*url_display(const char *);
/* The same with the password shown as "***" (so a reader sees one is set). */
char	*url_masked(const char *);
/*
 * The host as a URL spells it, allocated: an IPv6 address in brackets
 * ("[::1]"), any other host as it is.
 */
char	*url_host_literal(const struct url *);
/* Overwrite the password a URL's text may hold with '*', in place. */
void	url_hide_password(char *);
/* The scheme in lowercase, or NULL if the text has no "scheme://". */
char	*url_scheme(const char *);
/*
 * One spelling per target, without password, for the cache key: scheme and
 * host in lowercase, no default port, user and path %-escaped one way,
 * repeated slashes collapsed (keeping sftp/ftp's "//" for the root) and no
 * trailing slash.
 */
char	*url_normalised(const struct url *);

#endif
