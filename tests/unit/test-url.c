/*
 * test-url.c: passwords in target URLs (transports/url.c) never reach a
 * message, the argv or the cache, whatever characters they hold; the cache
 * key is one per target whatever the spelling (url_normalised,
 * repo/cache.c); an unknown scheme is named (transports/transport.c).
 *
 * Every password below holds "EKRET": no output may.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/cache.h"
#include "common/hash.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "transports/transport.h"
#include "transports/url.h"

#define NEEDLE	"EKRET"

/* user and password as written in a URL, and what they decode to. */
static const struct {
	const char	*user, *password, *user_dec, *password_dec;
} creds[] = {
	{ "backup", "p@ssw0rd-s" NEEDLE, "backup", "p@ssw0rd-s" NEEDLE },
	{ "backup", "pa/ss-S" NEEDLE, "backup", "pa/ss-S" NEEDLE },
	{ "backup", "a:b;c@d/S" NEEDLE "%25", "backup", "a:b;c@d/S" NEEDLE "%" },
	{ "back@up", "S" NEEDLE "@x", "back@up", "S" NEEDLE "@x" },
	{ "us/er;1", "S" NEEDLE "/", "us/er;1", "S" NEEDLE "/" },
	{ "u%3Ax", "%53" NEEDLE "%2F%40%3A", "u:x", "S" NEEDLE "/@:" },
	{ "\xc3\xbcser", "s\xc3\xa9" NEEDLE "\xe2\x82\xac", "\xc3\xbcser",
	    "s\xc3\xa9" NEEDLE "\xe2\x82\xac" },
	{ "_x", "//" NEEDLE "//", "_x", "//" NEEDLE "//" },
};

static int
clean(const char *s)
{
	return s != NULL && strstr(s, NEEDLE) == NULL && strstr(s, "ssw0rd") ==
	    NULL;
}

/*
 * Whether parsing `text` (opening it, with `open`) fails with a message
 * that shows no password and holds `want` (unless NULL); *cause: that
 * message, for the caller to free.
 */
static int
fails_clean(const char *text, int open, const char *want, char **cause)
{
	struct url	u;
	int		failed;

	*cause = NULL;
	if (open)
		failed = transport_open(text, NULL, cause) == NULL;
	else
		failed = url_parse(text, &u, cause) != 0;
	return failed && clean(*cause) && (want == NULL ||
	    strstr(*cause, want) != NULL);
}

/* Broken URLs around a user and password: scheme, user:password@rest. */
static const struct {
	const char	*scheme, *rest, *want, *what;
	int		 open;
} bad[] = {
	{ "ftp://", "host:99999/x", "bad port", "bad port error", 0 },
	{ "sftp://", "/x", "no host", "no host error", 0 },
	{ "fiel://", "host/x", NULL, "unknown scheme error", 1 },
	{ "", "host/x", NULL, "no scheme, error", 0 },
};

static void
test_secrets(void)
{
	struct url	 u;
	char		*text, *shown, *cause, *copy;
	size_t		 i, j;
	int		 ok;

	for (i = 0; i < sizeof creds / sizeof *creds; i++) {
		text = xasprintf("ftp://%s:%s@Host.Example:2121//srv/x",
		    creds[i].user, creds[i].password);
		ok = url_parse(text, &u, &cause) == 0;
		tap_ok(ok && strcmp(u.user, creds[i].user_dec) == 0 &&
		    strcmp(u.password, creds[i].password_dec) == 0 &&
		    strcmp(u.host, "Host.Example") == 0 && u.port == 2121 &&
		    strcmp(u.path, "//srv/x") == 0, "credentials %zu: user, "
		    "password, host, port and path parsed", i);
		tap_ok(ok && clean(u.display) && strstr(u.display,
		    "@Host.Example:2121//srv/x") != NULL, "credentials %zu: "
		    "display without the password: %s", i, ok ? u.display : "");
		if (ok)
			url_clear(&u);
		else
			free(cause);

		shown = url_display(text);
		tap_ok(clean(shown), "credentials %zu: url_display masks it: %s",
		    i, shown);
		free(shown);
		shown = url_masked(text);
		tap_ok(clean(shown) && strstr(shown, ":***@Host.Example:2121"
		    "//srv/x") != NULL, "credentials %zu: url_masked shows "
		    "*** for it: %s", i, shown);
		free(shown);
		copy = xstrdup(text);
		url_hide_password(copy);
		tap_ok(clean(copy) && strlen(copy) == strlen(text),
		    "credentials %zu: argv masked in place: %s", i, copy);
		free(copy);
		free(text);

		/* Every error path of the parser shows the display form. */
		for (j = 0; j < sizeof bad / sizeof *bad; j++) {
			text = xasprintf("%s%s:%s@%s", bad[j].scheme,
			    creds[i].user, creds[i].password, bad[j].rest);
			ok = fails_clean(text, bad[j].open, bad[j].want,
			    &cause);
			tap_ok(ok, "credentials %zu: %s without the password: "
			    "%s", i, bad[j].what, cause ? cause : "");
			free(cause);
			free(text);
		}
	}
	ok = fails_clean("sftp://u:S" NEEDLE "%zz@host/x", 0, "bad %-escape",
	    &cause);
	tap_ok(ok, "bad escape in the password: %s", cause ? cause : "");
	free(cause);
	ok = fails_clean("Ftp!://u:S" NEEDLE "@host/x", 0, NULL, &cause);
	tap_ok(ok, "bad scheme: %s", cause ? cause : "");
	free(cause);
}

static void
test_scheme(void)
{
	struct url	 u;
	char		*cause = NULL;
	int		 failed;

	failed = transport_open("fiel://x", NULL, &cause) == NULL;
	tap_ok(failed && cause !=
	    NULL && strstr(cause, "'fiel'") != NULL && strstr(cause,
	    "file, sftp, scp, ftp, ftps") != NULL, "an unknown scheme is named "
	    "with the supported ones: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	failed = transport_open("fiel:///x", NULL, &cause) == NULL;
	tap_ok(failed && cause !=
	    NULL && strstr(cause, "no host") == NULL && strstr(cause,
	    "'fiel'") != NULL, "... also without a host: %s", cause ? cause :
	    "");
	free(cause);
	cause = NULL;
	tap_ok(url_parse("SFTP://h/p", &u, &cause) == 0 &&
	    strcmp(u.scheme, "sftp") == 0, "the scheme is case-insensitive");
	url_clear(&u);
}

/* The normalised form of text, or "" if it does not parse. */
static char *
normal(const char *text)
{
	struct url	 u;
	char		*cause = NULL, *out;

	if (url_parse(text, &u, &cause) != 0) {
		tap_diag("%s", cause);
		free(cause);
		return xstrdup("");
	}
	out = url_normalised(&u);
	url_clear(&u);
	return out;
}

static void
test_normalised(void)
{
	static const char *same[][2] = {
		{ "sftp://h//p", "sftp://h///p" },
		{ "sftp://h//p", "SFTP://H//p/" },
		{ "sftp://h//p", "sftp://h:22//p//" },
		{ "sftp://u@h/p/q", "sftp://u:S" NEEDLE "@h/p//q/" },
		{ "sftp://u@h/p", "sftp://%75@h/%70" },
		{ "ftp://h/", "ftp://h" },
		{ "ftps://h:21/x", "ftps://h/x" },
		{ "file:///srv/b", "file:///srv//b/" },
		{ "file:///srv/b", "file:////srv/b" },
		{ "sftp://[::1]//p", "sftp://[::1]:22//p" },
	};
	static const char *differ[][2] = {
		{ "sftp://h/p", "sftp://h//p" },	/* relative, absolute */
		{ "sftp://h//p", "sftp://h:2222//p" },
		{ "sftp://h//p", "sftp://u@h//p" },
		{ "sftp://h//p", "scp://h//p" },
		{ "sftp://h//p", "sftp://h//P" },
		{ "ftp://h/", "ftp://h//" },
		{ "file://srv/b", "file:///srv/b" },
	};
	char	*a, *b;
	size_t	 i;

	for (i = 0; i < sizeof same / sizeof *same; i++) {
		a = normal(same[i][0]);
		b = normal(same[i][1]);
		tap_ok(*a != '\0' && strcmp(a, b) == 0 && clean(b),
		    "%s and %s: one target (%s, %s)", same[i][0], same[i][1],
		    a, b);
		free(a);
		free(b);
	}
	for (i = 0; i < sizeof differ / sizeof *differ; i++) {
		a = normal(differ[i][0]);
		b = normal(differ[i][1]);
		tap_ok(*a != '\0' && *b != '\0' && strcmp(a, b) != 0,
		    "%s and %s: two targets (%s, %s)", differ[i][0],
		    differ[i][1], a, b);
		free(a);
		free(b);
	}
	a = normal("SFTP://b%40ck:S" NEEDLE "@Host:2222///srv//x/");
	tap_ok(strcmp(a, "sftp://b%40ck@host:2222//srv/x") == 0,
	    "normalised: %s", a);
	free(a);
	a = normal("sftp://h/caf%C3%A9%20x%40y");
	b = normal(a);
	tap_ok(strcmp(a, b) == 0, "the normalised form parses to itself: %s",
	    a);
	free(a);
	free(b);
}

/* The contents of a file, or NULL. */
static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	 buf[4096];
	size_t	 n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return xstrdup(buf);
}

/* How many entries a directory has (. and .. not counted). */
static int
count_entries(const char *path)
{
	DIR		*d = opendir(path);
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0;
	closedir(d);
	return n;
}

static void
test_cache(void)
{
	char		 tmpl[] = "/tmp/tresor-test-url.XXXXXX", *top, *path;
	char		*text, *cause = NULL, *legacy = NULL;
	struct cache	*c, *d;
	int		 ok;
	struct hash	*h;
	uint8_t		 digest[HASH_LEN];
	char		 hex[HASH_HEX_LEN + 1];

	if ((top = mkdtemp(tmpl)) == NULL) {
		tap_ok(0, "mkdtemp");
		return;
	}
	c = cache_open(top, "sftp://backup:p@ssw0rd-S" NEEDLE "@Host///srv//b/",
	    &cause);
	ok = c != NULL;
	tap_ok(ok, "cache opens: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	path = c != NULL ? xasprintf("%s/url", cache_dir(c)) : xstrdup("");
	text = slurp(path);
	tap_ok(text != NULL && clean(text) && strcmp(text,
	    "sftp://backup@host//srv/b\n") == 0, "the url file holds the "
	    "normalised URL, no password: %s", text ? text : "(none)");
	free(text);
	free(path);
	d = cache_open(top, "sftp://backup@host//srv/b", &cause);
	tap_ok(c != NULL && d != NULL && strcmp(cache_dir(c), cache_dir(d)) ==
	    0 && count_entries(top) == 1, "another spelling: the same cache "
	    "directory");
	free(cause);
	cause = NULL;
	cache_close(c);
	cache_close(d);

	/* A directory keyed by the display form (before normalising). */
	h = hash_new();
	hash_update(h, "file:///srv/old/", strlen("file:///srv/old/"));
	hash_final(h, digest);
	hash_free(h);
	hash_to_hex(digest, hex);
	hex[32] = '\0';
	legacy = xasprintf("%s/%s", top, hex);
	mkdir(legacy, 0700);
	path = xasprintf("%s/url", legacy);
	text = xasprintf("file:///srv/old/\n");
	{
		FILE	*f = fopen(path, "w");

		fputs(text, f);
		fclose(f);
	}
	free(text);
	free(path);
	path = xasprintf("%s/manifest.X", legacy);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	free(path);
	c = cache_open(top, "file:///srv/old/", &cause);
	path = c != NULL ? xasprintf("%s/manifest.X", cache_dir(c)) :
	    xstrdup("");
	ok = c != NULL && access(path, F_OK) == 0 && access(legacy, F_OK) != 0;
	tap_ok(ok, "a cache keyed the old way is moved, with its copies: %s",
	    cause ? cause : "");
	free(path);
	free(cause);
	cache_close(c);
	free(legacy);

	path = xasprintf("rm -rf '%s'", top);
	if (system(path) != 0)
		tap_diag("could not remove %s", top);
	free(path);
}

int
main(void)
{
	hash_library_init();
	test_secrets();
	test_scheme();
	test_normalised();
	test_cache();
	return tap_done();
}
