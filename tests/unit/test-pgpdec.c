/*
 * test-pgpdec.c: crypto_decrypt's in-process path (format/filter/pgpdec.c)
 * against real gpg output. Messages gpg encrypts from a pipe (partial
 * lengths) and from a file (definite lengths), with AES-256 and AES-128,
 * of sizes around the block, chunk and read boundaries, decrypt in
 * process (pgpdec_objects counts it, so a silent fallback to gpg fails the
 * test) to the same bytes. A flipped byte, cuts, a tail, an altered or
 * missing MDC and a bad quick check are damage, found in process. A
 * compressed or symmetric message falls back to gpg and still decrypts; a
 * wrong key and a wrong passphrase get gpg's own messages, word for word.
 * No cause ever holds the session key. pgpdec itself makes no decryptor
 * for an unknown cipher or a short key, leaves shapes it does not handle
 * untouched, and once failed says so on every later call. Packets made
 * here (a head cut short, a literal packet cut in its header, of
 * indeterminate length or in text mode, a compressed packet, data after
 * the MDC) are left to gpg or called damage.
 */
#include <ctype.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/pgpdec.h"
#include "tests/mem_sink.h"
#include "tests/tap.h"

static char	tmpdir[] = "/tmp/tresor-test-pgpdec.XXXXXX";
static char	*home;		/* the GnuPG home the messages are made in */
static char	*causes;	/* every cause seen, for the secrets check */

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* A reader over a buffer, in pieces of at most `step` octets. */
struct mem_in {
	const uint8_t	*p;
	size_t		 len, off, step;
};

static ssize_t
mem_in_read(void *arg, void *buf, size_t len, char **cause)
{
	struct mem_in	*m = arg;
	size_t		 n = m->len - m->off;

	(void)cause;
	if (m->step != 0 && len > m->step)
		len = m->step;
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

struct result {
	int			 rc;
	enum crypto_failure	 failure;
	char			*cause;
	int			 inproc;	/* pgpdec decided */
	struct mem_sink		 out;
};

static void
result_free(struct result *r)
{
	free(r->cause);
	recbuf_free(&r->out.buf);
}

/* crypto_decrypt_hashed instead: the caller checks a digest, no SHA-1. */
static int	hashed;

static void
decrypt(struct crypto *c, const uint8_t *p, size_t len, size_t step,
    size_t limit, struct result *r)
{
	struct mem_in	in = { p, len, 0, step };
	unsigned long	before = pgpdec_objects();
	char		*all;

	memset(r, 0, sizeof *r);
	mem_init(&r->out, limit);
	if (hashed)
		r->rc = crypto_decrypt_hashed(c, "object 't'", mem_in_read, &in,
		    &r->out.sink, &r->failure, &r->cause);
	else
		r->rc = crypto_decrypt(c, "object 't'", mem_in_read, &in,
		    &r->out.sink, &r->failure, &r->cause);
	r->inproc = pgpdec_objects() == before + 1;
	if (r->cause != NULL) {
		all = xasprintf("%s%s\n", causes != NULL ? causes : "",
		    r->cause);
		free(causes);
		causes = all;
	}
}

static uint8_t *
random_data(size_t len, uint32_t seed)
{
	uint8_t	*p = xmalloc(len + 1);
	size_t	 i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

/*
 * gpg encrypts in to out for the test key: from a pipe (partial lengths,
 * as tresor's gpg writes) or from the file (definite lengths).
 */
static uint8_t *
gpg_encrypt(const uint8_t *data, size_t len, const char *args, int pipe,
    size_t *outlen)
{
	char	*in = tmp_path("plain"), *enc = tmp_path("enc.gpg"), *cmd;
	uint8_t	*p;

	write_file(in, data, len);
	if (pipe)
		cmd = xasprintf("rm -f '%s'; cat '%s' | gpg --homedir '%s' "
		    "--batch --quiet --trust-model always %s -r "
		    "pgpdec@tresor.invalid -o '%s' -e 2>/dev/null", enc, in,
		    home, args, enc);
	else
		cmd = xasprintf("rm -f '%s'; gpg --homedir '%s' --batch "
		    "--quiet --trust-model always %s -r pgpdec@tresor.invalid "
		    "-o '%s' -e '%s' 2>/dev/null", enc, home, args, enc, in);
	p = run(cmd) ? read_file(enc, outlen) : NULL;
	free(cmd);
	free(in);
	free(enc);
	return p;
}

static struct crypto *
crypto_with(const char *key, const char *pass)
{
	struct crypto_options	 co = { 0 };
	struct crypto		*c;
	char			*k = tmp_path(key), *pf = NULL, *cause = NULL;

	co.key_file = k;
	if (pass != NULL) {
		pf = tmp_path("pass");
		write_file(pf, pass, strlen(pass));
		co.passphrase_file = pf;
	}
	c = crypto_new(&co, 1, &cause);
	if (c == NULL)
		printf("# crypto_new: %s\n", cause);
	free(cause);
	free(k);
	free(pf);
	return c;
}

/* Round trips of every size for one cipher and one framing. */
static void
test_sizes(struct crypto *c, const char *args, int pipe)
{
	static const size_t	 sizes[] = { 0, 1, 15, 16, 17, 511, 512, 513,
				     8191, 8192, 8193, 1048575, 1048576,
				     1048577, 5 * 1048576 + 12345 };
	struct result		 r;
	size_t			 i, clen;
	uint8_t			*data, *cipher;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		data = random_data(sizes[i], (uint32_t)i + 1);
		cipher = gpg_encrypt(data, sizes[i], args, pipe, &clen);
		if (cipher == NULL) {
			tap_ok(0, "gpg %s encrypts %zu bytes", args, sizes[i]);
			free(data);
			continue;
		}
		decrypt(c, cipher, clen, 0, 0, &r);
		tap_ok(r.rc == 0 && r.failure == CRYPTO_OK && r.inproc &&
		    r.out.buf.len == sizes[i] && (sizes[i] == 0 ||
		    memcmp(r.out.buf.data, data, sizes[i]) == 0),
		    "%s, %s: %zu bytes decrypt in process to the same bytes%s%s",
		    args, pipe ? "from a pipe" : "from a file", sizes[i],
		    r.cause != NULL ? ": " : "", r.cause != NULL ? r.cause : "");
		result_free(&r);
		free(cipher);
		free(data);
	}
}

/* The SEIPD packet's body, without its framing; *pre: octets before it. */
static uint8_t *
seipd_body(const uint8_t *p, size_t len, size_t *pre, size_t *blen)
{
	struct pgpdec_head	 h;
	uint8_t			*b = xmalloc(len);
	size_t			 off, chunk;
	uint8_t			 a;

	if (pgpdec_head(p, len, &h) != 0) {
		free(b);
		return NULL;
	}
	*pre = h.seipd;
	*blen = 0;
	off = h.seipd + 1;
	for (;;) {
		a = p[off++];
		if (a < 192)
			chunk = a;
		else if (a < 224) {
			chunk = ((size_t)(a - 192) << 8) + p[off++] + 192;
		} else if (a < 255)
			chunk = (size_t)1 << (a & 0x1f);
		else {
			chunk = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
			    (size_t)p[off + 2] << 8 | p[off + 3];
			off += 4;
		}
		memcpy(b + *blen, p + off, chunk);
		*blen += chunk;
		off += chunk;
		if (a < 224 || a == 255)
			break;
	}
	return b;
}

/* The message with its SEIPD body replaced, under one 5-octet length. */
static uint8_t *
reframe(const uint8_t *p, size_t pre, const uint8_t *body, size_t blen,
    size_t *outlen)
{
	uint8_t	*m = xmalloc(pre + 6 + blen);

	memcpy(m, p, pre);
	m[pre] = 0xd2;
	m[pre + 1] = 0xff;
	m[pre + 2] = (uint8_t)(blen >> 24);
	m[pre + 3] = (uint8_t)(blen >> 16);
	m[pre + 4] = (uint8_t)(blen >> 8);
	m[pre + 5] = (uint8_t)blen;
	memcpy(m + pre + 6, body, blen);
	*outlen = pre + 6 + blen;
	return m;
}

static void
expect_damage(struct crypto *c, const uint8_t *p, size_t len, const char *what,
    const char *want)
{
	struct result	r;

	decrypt(c, p, len, 0, 0, &r);
	tap_ok(r.rc != 0 && r.failure == CRYPTO_DAMAGED && r.inproc &&
	    r.cause != NULL && strstr(r.cause, "object 't' is corrupt: ") ==
	    r.cause && strstr(r.cause, want) != NULL && strchr(r.cause, '\n') ==
	    NULL, "%s is damage, found in process: %s", what,
	    r.cause != NULL ? r.cause : "(no cause)");
	result_free(&r);
}

static void
test_damage(struct crypto *c)
{
	size_t	 len = 300000, clen, pre, blen, mlen, i;
	size_t	 cuts[5];
	uint8_t	*data = random_data(len, 99), *cipher, *bad, *body, *m;
	struct result r;

	cipher = gpg_encrypt(data, len, "--compress-algo none", 1, &clen);
	body = cipher != NULL ? seipd_body(cipher, clen, &pre, &blen) : NULL;
	if (body == NULL) {
		tap_ok(0, "a message to damage");
		free(cipher);
		free(data);
		return;
	}
	bad = xmemdup(cipher, clen);
	bad[clen / 2] ^= 0x01;
	expect_damage(c, bad, clen, "a flipped byte in the middle",
	    "(MDC) failed");
	free(bad);

	cuts[0] = clen - 1;
	cuts[1] = clen - 21;
	cuts[2] = clen - 23;
	cuts[3] = clen / 2;
	cuts[4] = pre + 2000;
	for (i = 0; i < 5; i++) {
		char	*what = xasprintf("a cut at %zu of %zu octets", cuts[i],
			    clen);

		expect_damage(c, cipher, cuts[i], what, "truncated");
		free(what);
	}

	bad = xmalloc(clen + 7);
	memcpy(bad, cipher, clen);
	memcpy(bad + clen, "garbage", 7);
	expect_damage(c, bad, clen + 7, "a tail after the message",
	    "data follows the end of its OpenPGP message");
	free(bad);

	/* The reframed body decrypts: the 5-octet length is read right. */
	m = reframe(cipher, pre, body, blen, &mlen);
	decrypt(c, m, mlen, 0, 0, &r);
	tap_ok(r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "one definite 5-octet "
	    "length decrypts in process");
	result_free(&r);
	free(m);

	/* The SHA-1 altered (the last octet flips alone in CFB). */
	body[blen - 1] ^= 0x80;
	m = reframe(cipher, pre, body, blen, &mlen);
	expect_damage(c, m, mlen, "an altered MDC", "(MDC) failed");
	free(m);
	body[blen - 1] ^= 0x80;

	/* 0xD3 altered: another packet where the MDC should be. */
	body[blen - 22] ^= 0x01;
	m = reframe(cipher, pre, body, blen, &mlen);
	expect_damage(c, m, mlen, "an altered MDC packet tag",
	    "other than its integrity check (MDC)");
	free(m);
	body[blen - 22] ^= 0x01;

	/* The MDC packet removed, the framing kept whole. */
	m = reframe(cipher, pre, body, blen - 22, &mlen);
	expect_damage(c, m, mlen, "a removed MDC packet",
	    "not integrity protected (no MDC)");
	free(m);

	/*
	 * crypto_decrypt_hashed (the caller hashes the ciphertext against a
	 * digest it trusts): the SHA-1 is not computed, so an altered one
	 * passes here (the caller's digest refuses that object), but the
	 * MDC packet must still be there, and be the last.
	 */
	hashed = 1;
	body[blen - 1] ^= 0x80;
	m = reframe(cipher, pre, body, blen, &mlen);
	decrypt(c, m, mlen, 0, 0, &r);
	tap_ok(r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "hashed: the MDC's SHA-1 "
	    "is not computed (an altered one is not seen: the digest is the "
	    "check)");
	result_free(&r);
	free(m);
	body[blen - 1] ^= 0x80;
	m = reframe(cipher, pre, body, blen, &mlen);
	decrypt(c, m, mlen, 7, 0, &r);
	tap_ok(r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "hashed: a good message "
	    "decrypts the same, in 7-octet pieces");
	result_free(&r);
	free(m);
	m = reframe(cipher, pre, body, blen - 22, &mlen);
	expect_damage(c, m, mlen, "hashed: a removed MDC packet",
	    "not integrity protected (no MDC)");
	free(m);
	body[blen - 22] ^= 0x01;
	m = reframe(cipher, pre, body, blen, &mlen);
	expect_damage(c, m, mlen, "hashed: an altered MDC packet tag",
	    "other than its integrity check (MDC)");
	free(m);
	body[blen - 22] ^= 0x01;
	bad = xmalloc(clen + 7);
	memcpy(bad, cipher, clen);
	memcpy(bad + clen, "garbage", 7);
	expect_damage(c, bad, clen + 7, "hashed: a tail after the message",
	    "data follows the end of its OpenPGP message");
	free(bad);
	expect_damage(c, cipher, clen - 1, "hashed: a cut", "truncated");
	hashed = 0;

	/* The repeated prefix octets (body[0] is the version). */
	body[1 + 15] ^= 0x01;
	m = reframe(cipher, pre, body, blen, &mlen);
	expect_damage(c, m, mlen, "a bad quick check", "quick check failed");
	free(m);
	body[1 + 15] ^= 0x01;

	/* A next stage that fails: its cause, and no damage. */
	decrypt(c, cipher, clen, 0, 100000, &r);
	tap_ok(r.rc != 0 && r.inproc && r.failure == CRYPTO_FAILED &&
	    r.cause != NULL && strcmp(r.cause, "disk full writing test "
	    "output") == 0, "a failing next stage stops it with its cause: %s",
	    r.cause != NULL ? r.cause : "(none)");
	result_free(&r);

	/* Pieces of 1000 octets: the head is read in many pieces. */
	decrypt(c, cipher, clen, 1000, 0, &r);
	tap_ok(r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "reads of 1000 octets "
	    "decrypt in process");
	result_free(&r);

	free(body);
	free(cipher);
	free(data);
}

/* A compressed message and a symmetric one are gpg's. */
static void
test_fallback(struct crypto *c)
{
	size_t	 len = 200000, clen, i;
	uint8_t	*data = xmalloc(len), *cipher;
	char	*pass = tmp_path("sympass"), *in = tmp_path("sym.in"),
		*enc = tmp_path("sym.gpg"), *cmd;
	struct crypto_options co = { 0 };
	struct crypto	*sym;
	struct result	 r;
	char		*cause = NULL;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)("compressible text "[i % 18]);
	cipher = gpg_encrypt(data, len, "--compress-algo zlib", 1, &clen);
	decrypt(c, cipher != NULL ? cipher : (const uint8_t *)"", cipher !=
	    NULL ? clen : 0, 0, 0, &r);
	tap_ok(cipher != NULL && r.rc == 0 && !r.inproc && r.out.buf.len ==
	    len && memcmp(r.out.buf.data, data, len) == 0, "a compressed "
	    "message goes to gpg and decrypts: %s", r.cause != NULL ? r.cause :
	    "ok");
	result_free(&r);
	free(cipher);

	write_file(pass, "sym pass\n", 9);
	write_file(in, data, len);
	cmd = xasprintf("cat '%s' | gpg --homedir '%s' --batch --quiet "
	    "--pinentry-mode loopback --passphrase-file '%s' --compress-algo "
	    "none -o '%s' --symmetric 2>/dev/null", in, home, pass, enc);
	cipher = run(cmd) ? read_file(enc, &clen) : NULL;
	free(cmd);
	co.passphrase_file = pass;
	sym = crypto_new(&co, 1, &cause);
	if (sym != NULL && cipher != NULL)
		decrypt(sym, cipher, clen, 0, 0, &r);
	tap_ok(sym != NULL && cipher != NULL && r.rc == 0 && !r.inproc &&
	    r.out.buf.len == len && memcmp(r.out.buf.data, data, len) == 0,
	    "a symmetric message (SKESK) goes to gpg and decrypts");
	if (sym != NULL && cipher != NULL)
		result_free(&r);
	crypto_free(sym);
	free(cause);
	free(cipher);
	free(pass);
	free(in);
	free(enc);
	free(data);
}

/*
 * A wrong key and a wrong passphrase: gpg's verdict, word for word what
 * TRESOR_DECRYPT=gpg says, and never damage.
 */
static void
test_keys(void)
{
	size_t		 len = 100000, clen;
	uint8_t		*data = random_data(len, 7), *cipher;
	struct crypto	*c;
	struct result	 r, g;

	cipher = gpg_encrypt(data, len, "--compress-algo none -r "
	    "locked@tresor.invalid", 1, &clen);
	if (cipher == NULL) {
		tap_ok(0, "gpg encrypts to two keys");
		free(data);
		return;
	}
	c = crypto_with("other.asc", NULL);
	decrypt(c, cipher, clen, 0, 0, &r);
	setenv("TRESOR_DECRYPT", "gpg", 1);
	decrypt(c, cipher, clen, 0, 0, &g);
	unsetenv("TRESOR_DECRYPT");
	tap_ok(c != NULL && r.rc != 0 && r.failure == CRYPTO_NO_KEY &&
	    !r.inproc && g.cause != NULL && r.cause != NULL &&
	    strcmp(r.cause, g.cause) == 0, "a wrong key is CRYPTO_NO_KEY, "
	    "named as before: %s", r.cause != NULL ? r.cause : "(none)");
	result_free(&r);
	result_free(&g);
	crypto_free(c);

	c = crypto_with("locked.asc", "not it\n");
	decrypt(c, cipher, clen, 0, 0, &r);
	setenv("TRESOR_DECRYPT", "gpg", 1);
	decrypt(c, cipher, clen, 0, 0, &g);
	unsetenv("TRESOR_DECRYPT");
	tap_ok(c != NULL && r.rc != 0 && r.failure == CRYPTO_BAD_PASSPHRASE &&
	    !r.inproc && g.cause != NULL && r.cause != NULL &&
	    strcmp(r.cause, g.cause) == 0, "a wrong passphrase is "
	    "CRYPTO_BAD_PASSPHRASE, named as before: %s", r.cause != NULL ?
	    r.cause : "(none)");
	result_free(&r);
	result_free(&g);
	crypto_free(c);

	c = crypto_with("locked.asc", "locked pass\n");
	decrypt(c, cipher, clen, 0, 0, &r);
	tap_ok(c != NULL && r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "the right passphrase "
	    "decrypts in process: %s", r.cause != NULL ? r.cause : "ok");
	result_free(&r);
	crypto_free(c);

	/* TRESOR_DECRYPT=gpg: gpg decrypts, the same bytes. */
	c = crypto_with("sec.asc", NULL);
	setenv("TRESOR_DECRYPT", "gpg", 1);
	decrypt(c, cipher, clen, 0, 0, &r);
	unsetenv("TRESOR_DECRYPT");
	tap_ok(c != NULL && r.rc == 0 && !r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "TRESOR_DECRYPT=gpg "
	    "decrypts through gpg");
	result_free(&r);
	crypto_free(c);
	free(cipher);
	free(data);
}

/* tresor's own writer (crypto_encrypt_sink_new) to its own reader. */
static void
test_tresor_writer(struct crypto *dec)
{
	struct crypto_options	 co = { 0 };
	struct crypto		*enc;
	struct mem_sink		 m;
	struct sink		*s;
	struct result		 r;
	size_t			 len = 3 * 1048576 + 5;
	uint8_t			*data = random_data(len, 3);
	char			*pub = tmp_path("pub.asc"), *cause = NULL;

	co.key_file = pub;
	enc = crypto_new(&co, 0, &cause);
	mem_init(&m, 0);
	s = enc != NULL ? crypto_encrypt_sink_new(enc, "object 'w'", &m.sink,
	    &cause) : NULL;
	tap_ok(s != NULL && push(s, data, len, 1048576, &cause) == 0,
	    "tresor's writer encrypts 3 MiB: %s", cause != NULL ? cause : "ok");
	sink_free(s);
	decrypt(dec, m.buf.data, m.buf.len, 0, 0, &r);
	tap_ok(r.rc == 0 && r.inproc && r.out.buf.len == len &&
	    memcmp(r.out.buf.data, data, len) == 0, "and its object decrypts "
	    "in process");
	result_free(&r);
	recbuf_free(&m.buf);
	crypto_free(enc);
	free(cause);
	free(pub);
	free(data);
}

/* The session keys of the test's messages are in no cause. */
static void
test_secrets(struct crypto *c)
{
	size_t	 len = 50000, clen, i, n = 0;
	uint8_t	*data = random_data(len, 5), *cipher;
	char	*enc = tmp_path("sk.gpg"), *out = tmp_path("sk.txt"), *cmd;
	char	*text, *hex, *lower;
	struct result r;

	cipher = gpg_encrypt(data, len, "--compress-algo none", 1, &clen);
	if (cipher != NULL)
		write_file(enc, cipher, clen);
	cmd = xasprintf("gpg --homedir '%s' --batch --status-fd 1 "
	    "--show-session-key -o /dev/null -d '%s' 2>/dev/null | sed -n "
	    "'s/^\\[GNUPG:\\] SESSION_KEY [0-9]*://p' > '%s'", home, enc, out);
	text = cipher != NULL && run(cmd) ? (char *)read_file(out, &n) : NULL;
	free(cmd);
	if (text != NULL) {
		hex = xmalloc(n + 1);
		memcpy(hex, text, n);
		hex[strcspn(text, "\n") < n ? strcspn(text, "\n") : n] = '\0';
	} else
		hex = NULL;
	/* A damaged copy of this message: its cause goes to the list too. */
	if (cipher != NULL) {
		cipher[clen - 100] ^= 1;
		decrypt(c, cipher, clen, 0, 0, &r);
		result_free(&r);
	}
	lower = hex != NULL ? xstrdup(hex) : NULL;
	for (i = 0; lower != NULL && lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'F')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	tap_ok(hex != NULL && strlen(hex) >= 32 && causes != NULL &&
	    strstr(causes, hex) == NULL && strstr(causes, lower) == NULL &&
	    strstr(causes, hex + 16) == NULL, "no cause holds a session key "
	    "(%zu octets of causes)", causes != NULL ? strlen(causes) : 0);
	free(lower);
	free(hex);
	free(text);
	free(cipher);
	free(enc);
	free(out);
	free(data);
}

/* The session key gpg shows for a message: algo and key, or 0. */
static size_t
session_key(const uint8_t *cipher, size_t clen, int *algo, uint8_t *key)
{
	char	*enc = tmp_path("skx.gpg"), *out = tmp_path("skx.txt"), *cmd;
	char	*text = NULL, *hex;
	size_t	 n = 0, klen = 0;
	unsigned int b;

	write_file(enc, cipher, clen);
	cmd = xasprintf("gpg --homedir '%s' --batch --status-fd 1 "
	    "--show-session-key -o /dev/null -d '%s' 2>/dev/null | sed -n "
	    "'s/^\\[GNUPG:\\] SESSION_KEY //p' > '%s'", home, enc, out);
	if (run(cmd))
		text = (char *)read_file(out, &n);
	hex = text != NULL ? memchr(text, ':', n) : NULL;
	if (hex != NULL && sscanf(text, "%d:", algo) == 1) {
		for (hex++; klen < PGPDEC_KEY_MAX && hex + 1 < text + n &&
		    isxdigit((unsigned char)hex[0]) &&
		    isxdigit((unsigned char)hex[1]); hex += 2) {
			if (sscanf(hex, "%2x", &b) != 1)
				break;
			key[klen++] = (uint8_t)b;
		}
	}
	free(text);
	free(cmd);
	free(enc);
	free(out);
	return klen;
}

/*
 * pgpdec itself, one octet at a time: once the literal data began it
 * stays begun, also between the literal's chunks (where the parser reads
 * a length again), or crypto_decrypt would hand a half-written object
 * to gpg when its 64 KiB head ended there.
 */
static void
test_started_sticky(void)
{
	size_t			 len = 40000, clen, i, klen;
	uint8_t			*data = random_data(len, 11), *cipher;
	uint8_t			 key[PGPDEC_KEY_MAX];
	struct pgpdec_head	 h = { 0, 0, 0 };
	struct pgpdec		*d = NULL;
	struct mem_sink		 m;
	char			*cause = NULL;
	int			 algo = 0, ok = 1, was = 0, rc = 0;

	mem_init(&m, 0);
	cipher = gpg_encrypt(data, len, "--compress-algo none", 1, &clen);
	klen = cipher != NULL ? session_key(cipher, clen, &algo, key) : 0;
	if (klen != 0 && pgpdec_head(cipher, clen, &h) == 0)
		d = pgpdec_new("object 's'", algo, key, klen, &m.sink);
	for (i = h.seipd; d != NULL && i < clen && rc == 0; i++) {
		rc = pgpdec_write(d, cipher + i, 1, &cause);
		if (was && !pgpdec_started(d))
			ok = 0;
		was = pgpdec_started(d);
	}
	if (d != NULL && rc == 0)
		rc = pgpdec_finish(d, &cause);
	tap_ok(d != NULL && rc == 0 && ok && m.buf.len == len &&
	    memcmp(m.buf.data, data, len) == 0, "one octet at a time, the "
	    "literal data once begun stays begun across its chunks: %s",
	    cause != NULL ? cause : "ok");
	pgpdec_free(d);
	free(cause);
	recbuf_free(&m.buf);
	free(cipher);
	free(data);
}

/*
 * pgpdec's own contract, with a real message and its session key: an
 * unknown cipher or a key of the wrong length makes no decryptor; a
 * message without a PKESK, a packet other than SEIPD first, or a SEIPD of
 * another version is not handled (nothing written, so gpg can take it);
 * data after the message is damage, and a decryptor that failed says so
 * on every later call instead of going on.
 */
static void
test_contract(void)
{
	size_t			 len = 5000, clen = 0, klen = 0, i;
	uint8_t			*data = random_data(len, 23), *cipher = NULL;
	uint8_t			*bad = NULL, key[PGPDEC_KEY_MAX];
	struct pgpdec_head	 h = { 0, 0, 0 }, h2;
	struct pgpdec		*d = NULL;
	struct mem_sink		 m;
	char			*cause = NULL;
	int			 algo = 0, rc;

	mem_init(&m, 0);
	cipher = gpg_encrypt(data, len, "--compress-algo none", 1, &clen);
	if (cipher != NULL)
		klen = session_key(cipher, clen, &algo, key);
	if (klen == 0 || pgpdec_head(cipher, clen, &h) != 0) {
		tap_ok(0, "pgpdec contract: a message and its session key");
		goto out;
	}

	d = pgpdec_new("object 'c'", 1, key, klen, &m.sink);
	tap_ok(d == NULL, "pgpdec: an unknown cipher (IDEA, 1) makes no "
	    "decryptor");
	pgpdec_free(d);
	d = pgpdec_new("object 'c'", algo, key, klen - 1, &m.sink);
	tap_ok(d == NULL, "pgpdec: a key one octet short makes no decryptor");
	pgpdec_free(d);
	d = NULL;

	tap_ok(pgpdec_head(cipher + h.seipd, clen - h.seipd, &h2) ==
	    PGPDEC_NOT_HANDLED, "pgpdec: a SEIPD with no PKESK before it is "
	    "not handled");

	/* The PKESK fed as if it were the SEIPD: not tag 18. */
	d = pgpdec_new("object 'c'", algo, key, klen, &m.sink);
	rc = pgpdec_write(d, cipher, h.seipd, &cause);
	tap_ok(rc == PGPDEC_NOT_HANDLED && cause == NULL && m.buf.len == 0 &&
	    !pgpdec_started(d), "pgpdec: a packet other than SEIPD is not "
	    "handled, nothing written");
	pgpdec_free(d);

	/* A SEIPD of version 2 (AEAD): gpg's, not handled here. */
	bad = xmalloc(clen);
	memcpy(bad, cipher, clen);
	bad[h.body] = 2;
	d = pgpdec_new("object 'c'", algo, key, klen, &m.sink);
	rc = pgpdec_write(d, bad + h.seipd, clen - h.seipd, &cause);
	tap_ok(rc == PGPDEC_NOT_HANDLED && cause == NULL && m.buf.len == 0,
	    "pgpdec: a SEIPD of version 2 is not handled, nothing written");
	pgpdec_free(d);

	/* The whole message, then one octet more: damage, then sticky. */
	d = pgpdec_new("object 'c'", algo, key, klen, &m.sink);
	rc = pgpdec_write(d, cipher + h.seipd, clen - h.seipd, &cause);
	tap_ok(rc == 0 && m.buf.len == len && memcmp(m.buf.data, data, len)
	    == 0, "pgpdec: the message decrypts (%s)", cause ? cause : "ok");
	free(cause);
	cause = NULL;
	rc = pgpdec_write(d, "x", 1, &cause);
	tap_ok(rc == -1 && cause != NULL && strcmp(cause, "object 'c' is "
	    "corrupt: data follows the end of its OpenPGP message") == 0 &&
	    pgpdec_failure(d) == CRYPTO_DAMAGED, "pgpdec: an octet after the "
	    "message is damage: %s", cause != NULL ? cause : "(taken)");
	free(cause);
	cause = NULL;
	for (i = 0; i < 2; i++) {
		rc = i == 0 ? pgpdec_write(d, "y", 1, &cause) :
		    pgpdec_finish(d, &cause);
		tap_ok(rc == -1 && cause != NULL && strcmp(cause, "unable to "
		    "decrypt object 'c': it already failed") == 0,
		    "pgpdec: %s after the failure says it already failed: %s",
		    i == 0 ? "a write" : "the finish",
		    cause != NULL ? cause : "(taken)");
		free(cause);
		cause = NULL;
	}
	tap_ok(m.buf.len == len, "pgpdec: ... and nothing more is written");
out:
	pgpdec_free(d);
	recbuf_free(&m.buf);
	free(bad);
	free(cipher);
	free(data);
}

/*
 * A SEIPD packet made here (AES-128, OpenPGP CFB), around plaintext that
 * gpg would not write: its prefix and quick check, `inner`, then the MDC
 * packet (if mdc) and `tail`. *len gets its length. Allocated.
 */
static const uint8_t	crafted_key[16] = "0123456789abcdef";

static uint8_t *
crafted(const uint8_t *inner, size_t ilen, int mdc, const uint8_t *tail,
    size_t tlen, size_t *len)
{
	gcry_cipher_hd_t	 h;
	uint8_t			 iv[16] = { 0 }, *plain, *pkt;
	size_t			 plen = 0, body;

	plain = xmalloc(18 + ilen + 22 + tlen);
	memset(plain, 0x5a, 16);
	plain[16] = plain[14];
	plain[17] = plain[15];
	plen = 18;
	memcpy(plain + plen, inner, ilen);
	plen += ilen;
	if (mdc) {
		plain[plen++] = 0xd3;
		plain[plen++] = 0x14;
		gcry_md_hash_buffer(GCRY_MD_SHA1, plain + plen, plain, plen);
		plen += 20;
	}
	if (tlen > 0)
		memcpy(plain + plen, tail, tlen);
	plen += tlen;
	body = 1 + plen;
	pkt = xmalloc(6 + body);
	pkt[0] = 0xd2;		/* new format, tag 18, 5-octet length */
	pkt[1] = 0xff;
	pkt[2] = (uint8_t)(body >> 24);
	pkt[3] = (uint8_t)(body >> 16);
	pkt[4] = (uint8_t)(body >> 8);
	pkt[5] = (uint8_t)body;
	pkt[6] = 1;
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CFB,
	    0) != 0 || gcry_cipher_setkey(h, crafted_key, 16) != 0 ||
	    gcry_cipher_setiv(h, iv, 16) != 0 ||
	    gcry_cipher_encrypt(h, pkt + 7, plen, plain, plen) != 0)
		abort();
	gcry_cipher_close(h);
	free(plain);
	*len = 6 + body;
	return pkt;
}

/* A crafted packet through pgpdec in one write and its finish. */
static int
crafted_run(const uint8_t *inner, size_t ilen, int mdc, const uint8_t *tail,
    size_t tlen, struct mem_sink *m, char **cause)
{
	struct pgpdec	*d;
	uint8_t		*pkt;
	size_t		 len;
	int		 rc;

	pkt = crafted(inner, ilen, mdc, tail, tlen, &len);
	mem_init(m, 0);
	d = pgpdec_new("object 'x'", 7, crafted_key, 16, &m->sink);
	rc = d == NULL ? -2 : pgpdec_write(d, pkt, len, cause);
	if (rc == 0)
		rc = pgpdec_finish(d, cause);
	pgpdec_free(d);
	free(pkt);
	return rc;
}

/*
 * Shapes gpg does not write, and pgpdec leaves to gpg (nothing written)
 * or calls damage: headers cut short, an indeterminate or non-binary
 * literal packet, one cut in its own header, data after the MDC.
 */
static void
test_crafted(void)
{
	static const uint8_t	 cut_new[] = { 0xc1 };	/* no length */
	static const uint8_t	 indet[] = { 0x87, 0x00 };
	static const uint8_t	 cut_old[] = { 0x86, 0x00 };
	static const uint8_t	 lit_cut[] = { 0xcb, 0x03, 'b', 0x05, 'a' };
	static const uint8_t	 lit_open[] = { 0xcb, 0x20, 'b', 0x05, 'a' };
	static const uint8_t	 old_indet[] = { 0xaf, 'b', 0, 0, 0, 0, 0 };
	static const uint8_t	 packed[] = { 0xc8, 0x02, 0x00, 0x00 };
	static const uint8_t	 text[] = { 0xcb, 0x08, 't', 0, 0, 0, 0, 0,
				     'h', 'i' };
	static const uint8_t	 good[] = { 0xcb, 0x08, 'b', 0, 0, 0, 0, 0,
				     'h', 'i' };
	struct pgpdec_head	 h;
	struct mem_sink		 m;
	char			*cause = NULL;
	int			 rc;

	tap_ok(pgpdec_head(cut_new, sizeof cut_new, &h) ==
	    PGPDEC_NOT_HANDLED && pgpdec_head(indet, sizeof indet, &h) ==
	    PGPDEC_NOT_HANDLED && pgpdec_head(cut_old, sizeof cut_old, &h) ==
	    PGPDEC_NOT_HANDLED, "pgpdec: a head with a packet header cut "
	    "short or of indeterminate length is not handled");

	rc = crafted_run(good, sizeof good, 1, NULL, 0, &m, &cause);
	tap_ok(rc == 0 && m.buf.len == 2 && memcmp(m.buf.data, "hi", 2) == 0,
	    "pgpdec: a message made here decrypts (%s)", cause != NULL ?
	    cause : "ok");
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	rc = crafted_run(good, sizeof good, 1, (const uint8_t *)"xyz", 3, &m,
	    &cause);
	tap_ok(rc == -1 && cause != NULL && strcmp(cause, "object 'x' is "
	    "corrupt: data follows its OpenPGP integrity check (MDC)") == 0,
	    "pgpdec: plaintext after the MDC is damage: %s",
	    cause != NULL ? cause : "(none)");
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

#define NOT_HANDLED(inner, what) do {					\
	rc = crafted_run((inner), sizeof (inner), 1, NULL, 0, &m, &cause); \
	tap_ok(rc == PGPDEC_NOT_HANDLED && cause == NULL &&		\
	    m.buf.len == 0, "pgpdec: %s is not handled, nothing written "	\
	    "(%d)", (what), rc);					\
	recbuf_free(&m.buf);						\
	free(cause);							\
	cause = NULL;							\
} while (0)
	NOT_HANDLED(lit_cut, "a literal packet cut in its own header");
	NOT_HANDLED(old_indet, "an old-format literal packet of "
	    "indeterminate length");
	NOT_HANDLED(text, "a text-mode literal packet");
	NOT_HANDLED(packed, "a new-format compressed packet");
#undef NOT_HANDLED
	/* The message ends inside the literal header: no MDC to blame. */
	rc = crafted_run(lit_open, sizeof lit_open, 0, NULL, 0, &m, &cause);
	tap_ok(rc == PGPDEC_NOT_HANDLED && cause == NULL && m.buf.len == 0,
	    "pgpdec: a message ending in the literal header is not handled, "
	    "nothing written (%d)", rc);
	recbuf_free(&m.buf);
	free(cause);
}

static int
make_keys(void)
{
	char	*cmd;
	int	 ok;

	home = tmp_path("gnupg");
	cmd = xasprintf("set -e; exec 2>/dev/null; mkdir -m 700 '%s'; "
	    "export GNUPGHOME='%s'; cd '%s'; "
	    "gpg --batch --quiet --passphrase '' --quick-gen-key "
	    "'pgpdec <pgpdec@tresor.invalid>' future-default default never; "
	    "gpg --batch --quiet --passphrase 'locked pass' --quick-gen-key "
	    "'locked <locked@tresor.invalid>' future-default default never; "
	    "gpg --batch --quiet --passphrase '' --quick-gen-key "
	    "'other <other@tresor.invalid>' future-default default never; "
	    "gpg --armor --export pgpdec@tresor.invalid > pub.asc; "
	    "gpg --batch --armor --export-secret-keys pgpdec@tresor.invalid "
	    "> sec.asc; gpg --batch --pinentry-mode loopback --passphrase "
	    "'locked pass' --armor --export-secret-keys locked@tresor.invalid "
	    "> locked.asc; gpg --batch --armor --export-secret-keys "
	    "other@tresor.invalid > other.asc; "
	    "gpg --batch --yes --delete-secret-and-public-keys $(gpg "
	    "--with-colons --list-keys other@tresor.invalid | awk -F: "
	    "'/^fpr/ { print $10; exit }')", home, home, tmpdir);
	ok = run(cmd);
	free(cmd);
	return ok;
}

int
main(void)
{
	struct crypto	*c;
	char		*cmd;
	int		 rc;

	hash_library_init();
	if (mkdtemp(tmpdir) == NULL || crypto_library_init(NULL) != 0 ||
	    !make_keys()) {
		printf("Bail out! cannot set up keys\n");
		return 1;
	}
	unsetenv("TRESOR_DECRYPT");
	c = crypto_with("sec.asc", NULL);
	if (c == NULL) {
		printf("Bail out! no crypto\n");
		return 1;
	}
	test_sizes(c, "--compress-algo none --cipher-algo AES256", 1);
	test_sizes(c, "--compress-algo none --cipher-algo AES128", 1);
	test_sizes(c, "--compress-algo none --cipher-algo AES192", 0);
	test_damage(c);
	test_fallback(c);
	test_keys();
	test_tresor_writer(c);
	test_started_sticky();
	test_contract();
	test_crafted();
	test_secrets(c);
	crypto_free(c);
	rc = tap_done();
	cmd = xasprintf("gpgconf --homedir '%s' --kill all 2>/dev/null; "
	    "rm -rf '%s'", home, tmpdir);
	run(cmd);
	free(cmd);
	free(home);
	free(causes);
	return rc;
}
