/*
 * test-text.c: the small text codecs: percent-encoding of raw paths
 * (common/pathenc.c), target URLs (transports/url.c), times
 * (common/clock.c), the string map (common/strmap.c) and SHA-256 wiring
 * (common/hash.c) against published test vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/pathenc.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "transports/transport.h"
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
	unsetenv("TRESOR_NOW");
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
	test_strmap();
	test_hash();
	return tap_done();
}
