/*
 * fuzz-pgpdec.c: the in-process OpenPGP decryptor (format/filter/
 * pgpdec.c): the packets before the encrypted data (pgpdec_head), the
 * SEIPD framing, AES-CFB, the literal data packet and the MDC, with a
 * fixed session key (AES-256) instead of one from gpg.
 *
 * Input: one mode byte, then the rest.
 *   mode & 1 = 0: the rest is a whole message (PKESK..., SEIPD), as read
 *     from a target; real objects fail the quick check with our key, so
 *     this mostly reaches the framing.
 *   mode & 1 = 1: the rest is the plaintext after the random prefix (the
 *     literal data packet and what follows); the target adds a prefix,
 *     with mode & 2 a good MDC packet after it, encrypts it with the fixed
 *     key and frames it behind a PKESK, with mode & 4 in 512-octet partial
 *     chunks, else under one definite length. This reaches the literal
 *     and MDC parsers with packets the fuzzer chose.
 *   mode >> 3 seeds the cut of the ciphertext into pieces (fuzz.h).
 *
 * Properties: a failure always has a cause; PGPDEC_NOT_HANDLED comes with
 * no plaintext gone out; the verdict and the plaintext are the same
 * whether the ciphertext comes in one piece or in many; what comes out is
 * never longer than what went in.
 */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "format/filter/pgpdec.h"
#include "fuzz.h"

static const uint8_t	key[32] = "tresor's fuzzing session key 32";

/* Collects the plaintext (inputs are small). */
struct fuzz_out {
	struct sink	 sink;
	uint8_t		*p;
	size_t		 len;
};

static int
fuzz_out_write(struct sink *s, const void *p, size_t len, char **cause)
{
	struct fuzz_out	*o = (struct fuzz_out *)s;

	(void)cause;
	o->p = xrealloc(o->p, o->len + len + 1);
	memcpy(o->p + o->len, p, len);
	o->len += len;
	return 0;
}

static int
fuzz_out_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
fuzz_out_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops fuzz_out_ops = { "fuzz", fuzz_out_write,
	fuzz_out_finish, fuzz_out_free };

/* One decryption of msg, cut by seed; the verdict, the plaintext in o. */
static int
run(const uint8_t *msg, size_t len, uint8_t seed, struct fuzz_out *o)
{
	struct pgpdec_head	 h;
	struct pgpdec		*d;
	struct fuzz_chunks	 c;
	const uint8_t		*piece;
	size_t			 n;
	char			*cause = NULL;
	int			 rc;

	memset(o, 0, sizeof *o);
	o->sink.ops = &fuzz_out_ops;
	if (pgpdec_head(msg, len, &h) != 0)
		return PGPDEC_NOT_HANDLED;
	if (h.seipd >= h.body || h.body > len || h.first > len - h.body)
		abort();
	d = pgpdec_new("object 'fuzz'", 9, key, sizeof key, &o->sink);
	if (d == NULL)
		abort();
	fuzz_chunks_init(&c, msg + h.seipd, len - h.seipd, seed);
	rc = 0;
	while (rc == 0 && (n = fuzz_chunks_next(&c, &piece)) > 0)
		rc = pgpdec_write(d, piece, n, &cause);
	if (rc == 0)
		rc = pgpdec_finish(d, &cause);
	if ((rc == -1) != (cause != NULL))
		abort();	/* a failure has a cause, nothing else has */
	if (rc == PGPDEC_NOT_HANDLED && o->len != 0)
		abort();	/* gpg would write it a second time */
	if (rc == -1 && pgpdec_failure(d) != CRYPTO_DAMAGED)
		abort();	/* the sink never fails here */
	if (o->len > len)
		abort();
	free(cause);
	pgpdec_free(d);
	return rc;
}

/*
 * The message for mode 1: a one-octet PKESK, then the SEIPD of prefix +
 * plain (+ MDC), encrypted with the fixed key.
 */
static uint8_t *
build(const uint8_t *plain, size_t plen, uint8_t mode, size_t *outlen)
{
	static const uint8_t	 iv[16];
	uint8_t			*in, *ct, *m, *sum;
	size_t			 ilen = 1 + 18 + plen + 22, off, n, k;
	gcry_cipher_hd_t	 h;
	gcry_md_hd_t		 md;

	in = xmalloc(ilen);
	in[0] = 1;			/* SEIPD version */
	memcpy(in + 1, "0123456789abcdef", 16);
	in[17] = 'e';			/* the quick check: repeated */
	in[18] = 'f';
	memcpy(in + 19, plain, plen);
	ilen = 19 + plen;
	if (mode & 2) {
		in[ilen++] = 0xd3;
		in[ilen++] = 0x14;
		if (gcry_md_open(&md, GCRY_MD_SHA1, 0) != 0)
			abort();
		gcry_md_write(md, in + 1, ilen - 1);
		sum = gcry_md_read(md, GCRY_MD_SHA1);
		memcpy(in + ilen, sum, 20);
		ilen += 20;
		gcry_md_close(md);
	}
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CFB, 0)
	    != 0 || gcry_cipher_setkey(h, key, sizeof key) != 0 ||
	    gcry_cipher_setiv(h, iv, sizeof iv) != 0)
		abort();
	ct = xmemdup(in, ilen);
	if (gcry_cipher_encrypt(h, ct + 1, ilen - 1, NULL, 0) != 0)
		abort();
	gcry_cipher_close(h);

	/* PKESK: old format, tag 1, one octet: its version (3). */
	m = xmalloc(3 + 1 + ilen + (ilen / 512 + 1) * 5 + 5);
	memcpy(m, "\x84\x01\x03\xd2", 4);
	off = 4;
	if (mode & 4) {
		for (n = 0; ilen - n > 512; n += 512) {
			m[off++] = 0xe9;	/* partial: 2^9 */
			memcpy(m + off, ct + n, 512);
			off += 512;
		}
	} else
		n = 0;
	k = ilen - n;
	m[off++] = 0xff;
	m[off++] = (uint8_t)(k >> 24);
	m[off++] = (uint8_t)(k >> 16);
	m[off++] = (uint8_t)(k >> 8);
	m[off++] = (uint8_t)k;
	memcpy(m + off, ct + n, k);
	*outlen = off + k;
	free(ct);
	free(in);
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_out	 one, many;
	uint8_t		*msg = NULL;
	const uint8_t	*m;
	size_t		 len;
	uint8_t		 mode, seed;
	int		 rc1, rc2;

	static int	 ready;

	if (!ready) {
		hash_library_init();	/* libgcrypt's, once */
		ready = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	seed = (uint8_t)(mode >> 3);
	if (mode & 1) {
		msg = build(data + 1, size - 1, mode, &len);
		m = msg;
	} else {
		m = data + 1;
		len = size - 1;
	}
	rc1 = run(m, len, 0, &one);
	rc2 = run(m, len, seed != 0 ? seed : 1, &many);
	if (rc1 != rc2 || one.len != many.len || (one.len != 0 &&
	    memcmp(one.p, many.p, one.len) != 0))
		abort();
	free(one.p);
	free(many.p);
	free(msg);
	return 0;
}
