/*
 * url.h: target URLs, scheme://[user[:password]@]host[:port]/path or
 * file:///absolute/path. The password is kept apart so it never reaches a
 * message: url->display is the URL with the password removed.
 */
#ifndef TRESOR_URL_H
#define TRESOR_URL_H

struct url {
	char	*scheme;
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

#endif
