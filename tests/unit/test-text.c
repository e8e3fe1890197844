/*
 * test-text.c: the small text codecs: percent-encoding of raw paths
 * (common/pathenc.c), target URLs (transports/url.c), times
 * (common/clock.c), the string map (common/strmap.c) and SHA-256 wiring
 * (common/hash.c) against published test vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/pathenc.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "transports/propfind.h"
#include "transports/transport.h"
#include "transports/transport.intern.h"
#include "transports/url.h"

static void
test_pathenc(void)
{
	char	all[256], *enc, *dec;
	int	i, plain = 1;

	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	enc = pathenc_encode(all);
	for (i = 0; enc[i] != '\0'; i++) {
		if ((unsigned char)enc[i] <= 0x20 ||
		    (unsigned char)enc[i] >= 0x7f || enc[i] == '=')
			plain = 0;
	}
	tap_ok(plain, "encoded paths hold no space, '=', control or 8-bit byte");
	dec = pathenc_decode(enc);
	tap_ok(dec != NULL && strcmp(dec, all) == 0,
	    "every byte 0x01-0xff round-trips");
	free(enc);
	free(dec);
	enc = pathenc_encode("a b\n%=c");
	tap_ok(strcmp(enc, "a%20b%0A%25%3Dc") == 0, "known encoding: %s", enc);
	free(enc);
	tap_ok(pathenc_decode("bad%2") == NULL, "a cut escape is refused");
	tap_ok(pathenc_decode("nul%00") == NULL, "an escaped NUL is refused");
	tap_ok(pathenc_decode("x%zz") == NULL, "a non-hex escape is refused");
}

static void
test_url(void)
{
	struct url	 u;
	char		*cause = NULL;

	tap_ok(url_parse("file:///srv/backup", &u, &cause) == 0 &&
	    strcmp(u.scheme, "file") == 0 && strcmp(u.path, "/srv/backup") == 0,
	    "file URL with an absolute path");
	url_clear(&u);
	tap_ok(url_parse("file://rel/dir", &u, &cause) == 0 &&
	    strcmp(u.path, "rel/dir") == 0, "file URL with a relative path");
	url_clear(&u);
	tap_ok(url_parse("sftp://backup:s%40cret@host.example:2222/srv/x", &u,
	    &cause) == 0 && strcmp(u.user, "backup") == 0 &&
	    strcmp(u.password, "s@cret") == 0 && strcmp(u.host,
	    "host.example") == 0 && u.port == 2222 && strcmp(u.path,
	    "/srv/x") == 0, "user, %%-escaped password, host, port, path");
	tap_ok(strstr(u.display, "cret") == NULL && strstr(u.display,
	    "backup@host.example") != NULL, "the display form drops the "
	    "password: %s", u.display);
	url_clear(&u);
	tap_ok(url_parse("webdavs://[::1]:8443/dav", &u, &cause) == 0 &&
	    strcmp(u.host, "::1") == 0 && u.port == 8443, "IPv6 host");
	url_clear(&u);
	tap_ok(url_parse("no-scheme", &u, &cause) != 0 && cause != NULL &&
	    strstr(cause, "no-scheme") != NULL, "a URL without scheme is "
	    "named: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	tap_ok(url_parse("ftp://u:topsecret@host:99999/", &u, &cause) != 0 &&
	    strstr(cause, "bad port") != NULL && strstr(cause, "topsecret") ==
	    NULL, "a bad port is refused without showing the password: %s",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	tap_ok(url_parse("ftp:///path", &u, &cause) != 0, "a URL without "
	    "host is refused");
	free(cause);
	tap_ok(transport_name_valid("tresor.20260101T000000Z.full.vol000001.gpg")
	    && !transport_name_valid("../etc/passwd") &&
	    !transport_name_valid(".tmp.x") && !transport_name_valid("a/b"),
	    "object names are checked before any driver sees them");
}

/*
 * Times outside the years 0000-9999 (a file's mtime, a manifest's time):
 * strftime's %Y wrote "583" or six digits past the 21-byte buffers and
 * left them unterminated (found by fuzz/fuzz-timespec and fuzz-manifest).
 */
static void
test_clock_range(void)
{
	struct tm	tm;
	time_t		t;
	char		compact[17], iso[21], *cause = NULL;
	int		rc;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = 583 - 1900;
	tm.tm_mday = 2;
	t = timegm(&tm);
	clock_format_iso(t, iso);
	clock_format_compact(t, compact);
	tap_ok(strcmp(iso, "0583-01-02T00:00:00Z") == 0 &&
	    strcmp(compact, "05830102T000000Z") == 0,
	    "a year before 1000 has four digits (%s, %s)", iso, compact);
	clock_format_iso(253402300799LL, iso);
	tap_ok(strcmp(iso, "9999-12-31T23:59:59Z") == 0,
	    "the last second of 9999 formats (%s)", iso);
	memset(iso, 'x', sizeof iso);
	memset(compact, 'x', sizeof compact);
	clock_format_iso(300000000000LL, iso);
	clock_format_compact(300000000000LL, compact);
	tap_ok(strcmp(iso, "300000000000") == 0 &&
	    strcmp(compact, "300000000000") == 0,
	    "a time past 9999 is given in seconds (%s, %s)", iso, compact);
	memset(iso, 'x', sizeof iso);
	memset(compact, 'x', sizeof compact);
	clock_format_iso((time_t)INT64_MIN, iso);
	clock_format_compact((time_t)INT64_MAX, compact);
	tap_ok(strcmp(iso, "-9223372036854775808") == 0 &&
	    memchr(compact, '\0', sizeof compact) != NULL,
	    "the extremes fit their buffers (%s, %s)", iso, compact);
	setenv("TRESOR_NOW", "253402300800", 1);
	rc = clock_now(&t, &cause);
	tap_ok(rc != 0 && cause != NULL && strstr(cause, "9999") != NULL,
	    "TRESOR_NOW past 9999 is refused: %s", cause ? cause : "");
	free(cause);
	unsetenv("TRESOR_NOW");
}

/* Feed a PROPFIND answer with one member of size `len`; its verdict. */
static int
propfind_one(const char *len, uint64_t *size, char **cause)
{
	struct name_list	 l = { NULL, 0 };
	struct propfind		*pf = propfind_new(&l, PROPFIND_OBJECTS);
	char			*xml;
	int			 rc;

	xml = xasprintf("<?xml version=\"1.0\"?><D:multistatus xmlns:D="
	    "\"DAV:\"><D:response><D:href>/d/tresor.x.full.vol000001.gpg"
	    "</D:href><D:propstat><D:prop><D:resourcetype/>"
	    "<D:getcontentlength>%s</D:getcontentlength></D:prop>"
	    "</D:propstat></D:response></D:multistatus>", len);
	rc = propfind_feed(pf, xml, strlen(xml));
	if (propfind_finish(pf, cause) != 0)
		rc = -1;
	if (rc == 0 && l.count != 1)
		rc = error_set(cause, "%zu members listed", l.count);
	if (rc == 0)
		*size = l.entries[0].size;
	propfind_free(pf);
	name_list_clear(&l);
	free(xml);
	return rc;
}

/*
 * A PROPFIND size is decimal digits up to INT64_MAX: strtoull took "-17"
 * as 2^64 - 17 (found by fuzz/fuzz-propfind), and a size too long for its
 * buffer dropped the member from the listing without a word.
 */
static void
test_propfind_size(void)
{
	static const char	*bad[] = { "-17", "+5", "1 2", "0x10", "",
				    "9223372036854775808",
				    "99999999999999999999999",
				    "000000000000000000000000000000000000000"
				    "0000000000000000000000000000001" };
	uint64_t		 size = 0;
	char			*cause = NULL;
	size_t			 i;
	int			 ok = 1, rc;

	rc = propfind_one(" 42\n", &size, &cause);
	tap_ok(rc == 0 && size == 42, "a PROPFIND size with blanks around it "
	    "reads (%llu)", (unsigned long long)size);
	free(cause);
	cause = NULL;
	rc = propfind_one("9223372036854775807", &size, &cause);
	tap_ok(rc == 0 && size == INT64_MAX, "INT64_MAX is a size");
	free(cause);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (propfind_one(bad[i], &size, &cause) == 0 ||
		    cause == NULL || strstr(cause, "size for "
		    "'tresor.x.full.vol000001.gpg'") == NULL) {
			tap_ok(0, "size '%s': %s", bad[i], cause ? cause :
			    "accepted");
			ok = 0;
		}
		free(cause);
	}
	tap_ok(ok, "%zu malformed PROPFIND sizes fail, naming the object",
	    sizeof bad / sizeof bad[0]);
}

static void
test_clock(void)
{
	time_t	t = 0;
	char	compact[17], iso[21], *cause = NULL;

	tap_ok(clock_parse("2026-11-25T01:23:45Z", &t) == 0 && t == 1795569825,
	    "ISO time parses (%lld)", (long long)t);
	clock_format_compact(t, compact);
	clock_format_iso(t, iso);
	tap_ok(strcmp(compact, "20261125T012345Z") == 0 &&
	    strcmp(iso, "2026-11-25T01:23:45Z") == 0, "times format");
	tap_ok(clock_parse("20261125T012345Z", &t) == 0 && t == 1795569825,
	    "compact time parses");
	tap_ok(clock_parse("1795569825", &t) == 0 && t == 1795569825,
	    "seconds parse");
	tap_ok(clock_parse("next tuesday", &t) != 0, "nonsense is refused");
	setenv("TRESOR_NOW", "2001-01-01T00:00:00Z", 1);
	tap_ok(clock_now(&t, &cause) == 0 && t == 978307200,
	    "TRESOR_NOW overrides the clock");
	setenv("TRESOR_NOW", "soon", 1);
	tap_ok(clock_now(&t, &cause) != 0 && strstr(cause, "'soon'") != NULL,
	    "a bad TRESOR_NOW is named");
	free(cause);
	cause = NULL;
	unsetenv("TRESOR_NOW");
	test_clock_range();
}

static void
test_strmap(void)
{
	struct strmap	*m = strmap_new();
	char		 key[32];
	int		 i, ok = 1;
	static int	 values[5000];

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "path/%d", i);
		values[i] = i;
		strmap_put(m, key, &values[i]);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "path/%d", i);
		if (strmap_get(m, key) != &values[i])
			ok = 0;
	}
	tap_ok(ok && strmap_count(m) == 5000, "5000 keys stored and found "
	    "across growth");
	tap_ok(strmap_get(m, "path/5000") == NULL, "a missing key is NULL");
	strmap_put(m, "path/1", &values[2]);
	tap_ok(strmap_get(m, "path/1") == &values[2] && strmap_count(m) ==
	    5000, "put replaces");
	strmap_free(m);
}

static void
test_hash(void)
{
	struct hash	*h;
	uint8_t		 d[HASH_LEN], back[HASH_LEN];
	char		 hex[HASH_HEX_LEN + 1];
	int		 i;

	h = hash_new();
	hash_update(h, "abc", 3);
	hash_final(h, d);
	hash_free(h);
	hash_to_hex(d, hex);
	tap_ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
	    == 0, "SHA-256(\"abc\") matches FIPS 180-2");
	h = hash_new();
	for (i = 0; i < 1000; i++)
		hash_update(h, "a", 1);
	for (i = 0; i < 999; i++)
		hash_update(h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    1000);
	hash_final(h, d);
	hash_free(h);
	hash_to_hex(d, hex);
	tap_ok(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
	    == 0, "SHA-256 of a million 'a' fed unevenly matches FIPS 180-2");
	tap_ok(hash_from_hex(hex, back) == 0 && memcmp(back, d, HASH_LEN) == 0,
	    "hex round-trips");
	tap_ok(hash_from_hex("xyz", back) != 0, "bad hex is refused");
}

int
main(void)
{
	hash_library_init();
	test_pathenc();
	test_url();
	test_clock();
	test_propfind_size();
	test_strmap();
	test_hash();
	return tap_done();
}
