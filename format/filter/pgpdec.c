/*
 * pgpdec.c: decrypting the symmetric layer of an OpenPGP message in
 * process, for exactly the shape gpg gives tresor's objects, and nothing
 * else.
 *
 * Why: a gpg process per object costs pipes, a 4 KiB write per piece of
 * plaintext and a copy each way; restoring 1.28 GB spent about 3 CPU
 * seconds there. gpg still does everything that involves a secret key or
 * a passphrase (gpgproc.c asks it for the session key of each object);
 * only the bulk AES-CFB, the SHA-1 integrity check and the packet framing
 * are done here, with libgcrypt (AES-NI where the CPU has it). The format
 * does not change: `gpg --decrypt` still reads every object.
 *
 * The shape (gpg --encrypt --compress-algo=none from a pipe, RFC 4880):
 *
 *   PKESK (tag 1) ...              read by gpg, skipped here (pgpdec_head)
 *   SEIPD (tag 18), version 1      new-format header, partial lengths or
 *                                  one definite length
 *     AES-CFB, zero IV, over:      (no resynchronisation in SEIPD)
 *       prefix: 16 random octets, then their last two again (quick check)
 *       literal data (tag 11)      format 'b', a name, a date, the data;
 *                                  partial or definite lengths
 *       MDC (0xD3 0x14)            SHA-1 of everything from the prefix to
 *                                  the 0xD3 0x14 itself
 *
 * Anything else (another packet, a compressed packet, SKESK, AEAD, SEIPD
 * version 2, an indeterminate length, another cipher or literal format) is
 * PGPDEC_NOT_HANDLED, decided before any plaintext goes out, and gpg then
 * decrypts the message as it always did. Once the literal data began,
 * every fault is damage: a bad quick check, a bad or missing MDC, a cut
 * or a tail after the message.
 *
 * Plaintext goes out as it is decrypted, before the MDC is checked at the
 * end, as with gpg itself: callers only trust an object once
 * crypto_decrypt returned 0 (docs/SECURITY.md says what restore checks
 * before a file gets its name).
 *
 * The MDC's SHA-1 is skipped (pgpdec_skip_mdc) when the caller checks the
 * whole ciphertext's SHA-256 against a digest it trusts before it trusts
 * the plaintext (crypto_decrypt_hashed; every volume, signatures object
 * and sealed manifest): a ciphertext with that digest is the one the
 * backup's gpg wrote, MDC included, so the SHA-1 could only say the same
 * again. It cost an eighth of a restore's CPU. The MDC packet must still
 * be there, and nothing may follow it.
 */
#include <gcrypt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "pgpdec.h"

#define PGPDEC_BUF	(1024 * 1024)	/* plaintext decrypted per step */
#define PGPDEC_BS	16		/* AES's block size */
#define PGPDEC_PREFIX	(PGPDEC_BS + 2)
#define PGPDEC_MDC	20		/* SHA-1 */

/* The SEIPD packet, in the ciphertext. */
enum pgpdec_outer {
	OUTER_TAG,	/* its tag octet */
	OUTER_LEN,	/* a length header */
	OUTER_BODY,	/* inside a chunk */
	OUTER_DONE,	/* its last chunk was read: nothing may follow */
};

/* The packets inside it, in the plaintext. */
enum pgpdec_inner {
	INNER_PREFIX,	/* the random prefix and its quick check */
	INNER_TAG,	/* the literal data packet's tag */
	INNER_LEN,	/* a length header of the literal data */
	INNER_LITHDR,	/* the literal's format, name and date */
	INNER_DATA,	/* the data: to out */
	INNER_MDC_TAG,	/* 0xD3 0x14 */
	INNER_MDC,	/* the SHA-1 */
	INNER_END,	/* nothing may follow */
};

/* A new-format length header being read, octet by octet. */
struct pgpdec_len {
	uint8_t	oct[5];
	size_t	n;
};

struct pgpdec {
	char			*what;
	struct sink		*out;
	gcry_cipher_hd_t	 cipher;
	gcry_md_hd_t		 mdc;
	int			 skip_mdc;	/* the caller hashes it all */
	uint8_t			*plain;		/* grows to PGPDEC_BUF */
	size_t			 plain_cap;
	enum crypto_failure	 failure;
	int			 dead;		/* a verdict was given */

	enum pgpdec_outer	 o_state;
	struct pgpdec_len	 o_len;
	uint64_t		 o_left;	/* octets left in this chunk */
	int			 o_partial;	/* another chunk follows */
	int			 o_version;	/* the version octet was read */

	enum pgpdec_inner	 i_state;
	enum pgpdec_inner	 i_body;	/* LITHDR or DATA: after a LEN */
	struct pgpdec_len	 i_len;
	size_t			 i_old;		/* old-format length octets */
	size_t			 i_oldn;
	uint64_t		 i_left;
	int			 i_partial;
	uint8_t			 hold[PGPDEC_PREFIX + PGPDEC_MDC];
	size_t			 held;
	size_t			 lit_pos;	/* literal header octets read */
	size_t			 lit_need;	/* its length, once known */
	uint8_t			 lit_format;
	/*
	 * The literal data began (sticky: the state goes back to
	 * INNER_LEN between chunks): no going back to gpg from here.
	 */
	int			 started;
};

static atomic_ulong	pgpdec_count;

unsigned long
pgpdec_objects(void)
{
	return atomic_load(&pgpdec_count);
}

void
pgpdec_count_object(void)
{
	atomic_fetch_add(&pgpdec_count, 1);
}

/*
 * One more octet of a new-format length header: 0 while more are needed,
 * 1 with *len and *partial once it is whole.
 */
static int
pgpdec_len_add(struct pgpdec_len *l, uint8_t o, uint64_t *len, int *partial)
{
	uint8_t	a;

	l->oct[l->n++] = o;
	a = l->oct[0];
	*partial = 0;
	if (a < 192)
		*len = a;
	else if (a < 224) {
		if (l->n < 2)
			return 0;
		*len = ((uint64_t)(a - 192) << 8) + l->oct[1] + 192;
	} else if (a < 255) {
		*len = (uint64_t)1 << (a & 0x1f);
		*partial = 1;
	} else {
		if (l->n < 5)
			return 0;
		*len = (uint64_t)l->oct[1] << 24 | (uint64_t)l->oct[2] << 16 |
		    (uint64_t)l->oct[3] << 8 | l->oct[4];
	}
	l->n = 0;
	return 1;
}

/*
 * A whole header in buf (len octets) at *off: its tag, whether its length
 * is partial, the body's length (or first chunk's) and offset. -1 if the
 * header is cut or of a kind not handled (old-format indeterminate).
 */
static int
pgpdec_header(const uint8_t *buf, size_t len, size_t *off, int *tag,
    int *partial, uint64_t *blen)
{
	struct pgpdec_len	l = { { 0 }, 0 };
	size_t			p = *off, n, i;
	uint8_t			o;

	if (p >= len || !(buf[p] & 0x80))
		return -1;
	o = buf[p++];
	if (o & 0x40) {
		*tag = o & 0x3f;
		while (p < len)
			if (pgpdec_len_add(&l, buf[p++], blen, partial) == 1) {
				*off = p;
				return 0;
			}
		return -1;
	}
	/* Old format: the length type says 1, 2 or 4 octets (3: none). */
	*tag = (o >> 2) & 0xf;
	*partial = 0;
	if ((o & 3) == 3)
		return -1;
	n = (size_t)1 << (o & 3);
	if (len - p < n)
		return -1;
	*blen = 0;
	for (i = 0; i < n; i++)
		*blen = *blen << 8 | buf[p++];
	*off = p;
	return 0;
}

int
pgpdec_head(const uint8_t *buf, size_t len, struct pgpdec_head *h)
{
	size_t		off = 0, start;
	uint64_t	blen;
	int		tag, partial, npkesk = 0;

	for (;;) {
		start = off;
		if (pgpdec_header(buf, len, &off, &tag, &partial, &blen) != 0)
			return PGPDEC_NOT_HANDLED;
		if (tag == 18)
			break;
		/* A whole version 3 PKESK; gpg reads what is in it. */
		if (tag != 1 || partial || blen > len - off || blen < 1 ||
		    buf[off] != 3)
			return PGPDEC_NOT_HANDLED;
		off += blen;
		npkesk++;
	}
	/* Enough of the first chunk for gpg to find the session key. */
	if (npkesk == 0 || !(buf[start] & 0x40) || off >= len ||
	    buf[off] != 1 || blen < 1 + PGPDEC_PREFIX)
		return PGPDEC_NOT_HANDLED;
	h->seipd = start;
	h->body = off;
	h->first = blen < len - off ? blen : len - off;
	return 0;
}

struct pgpdec *
pgpdec_new(const char *what, int algo, const uint8_t *key, size_t keylen,
    struct sink *out)
{
	static const uint8_t	 zero[PGPDEC_BS];
	struct pgpdec		*d;
	int			 galgo;
	size_t			 want;

	switch (algo) {
	case 7:
		galgo = GCRY_CIPHER_AES128;
		want = 16;
		break;
	case 8:
		galgo = GCRY_CIPHER_AES192;
		want = 24;
		break;
	case 9:
		galgo = GCRY_CIPHER_AES256;
		want = 32;
		break;
	default:
		return NULL;
	}
	if (keylen != want)
		return NULL;
	d = xcalloc(1, sizeof *d);
	if (gcry_cipher_open(&d->cipher, galgo, GCRY_CIPHER_MODE_CFB, 0) != 0) {
		d->cipher = NULL;
		goto fail;
	}
	if (gcry_cipher_setkey(d->cipher, key, keylen) != 0 ||
	    gcry_cipher_setiv(d->cipher, zero, sizeof zero) != 0)
		goto fail;
	if (gcry_md_open(&d->mdc, GCRY_MD_SHA1, 0) != 0) {
		d->mdc = NULL;
		goto fail;
	}
	d->what = xstrdup(what);
	d->out = out;
	d->failure = CRYPTO_OK;
	d->o_state = OUTER_TAG;
	d->i_state = INNER_PREFIX;
	return d;
fail:
	pgpdec_free(d);
	return NULL;
}

void
pgpdec_skip_mdc(struct pgpdec *d)
{
	d->skip_mdc = 1;
}

void
pgpdec_free(struct pgpdec *d)
{
	if (d == NULL)
		return;
	/* libgcrypt wipes the key schedule when the handle is closed. */
	if (d->cipher != NULL)
		gcry_cipher_close(d->cipher);
	if (d->mdc != NULL)
		gcry_md_close(d->mdc);
	free(d->plain);	/* plaintext, as the next stage has it */
	explicit_bzero(d->hold, sizeof d->hold);
	free(d->what);
	free(d);
}

int
pgpdec_started(const struct pgpdec *d)
{
	return d->started;
}

enum crypto_failure
pgpdec_failure(const struct pgpdec *d)
{
	return d->failure;
}

/* A verdict of damage: the message is not what its writer made. */
static int
pgpdec_damaged(struct pgpdec *d, char **cause, const char *why)
{
	d->dead = 1;
	d->failure = CRYPTO_DAMAGED;
	return error_set(cause, "%s is corrupt: %s", d->what, why);
}

/* Not our shape: only possible before the first plaintext went out. */
static int
pgpdec_not_handled(struct pgpdec *d, char **cause)
{
	if (pgpdec_started(d))
		return pgpdec_damaged(d, cause, "decryption failed after it "
		    "began (an unexpected OpenPGP packet)");
	d->dead = 1;
	return PGPDEC_NOT_HANDLED;
}

/* The end of a literal data chunk: another length, or the MDC. */
static int
pgpdec_inner_chunk_end(struct pgpdec *d, char **cause)
{
	if (d->i_left != 0)
		return 0;
	if (d->i_partial) {
		d->i_body = d->i_state;
		d->i_state = INNER_LEN;
		return 0;
	}
	if (d->i_state == INNER_LITHDR)	/* cut inside its own header */
		return pgpdec_not_handled(d, cause);
	d->i_state = INNER_MDC_TAG;
	d->held = 0;
	return 0;
}

/* The literal data packet's tag octet: nothing else is handled. */
static int
pgpdec_inner_tag(struct pgpdec *d, uint8_t o, char **cause)
{
	int	tag;

	d->i_old = d->i_oldn = 0;
	d->i_left = 0;
	if (o & 0x40)
		tag = o & 0x3f;
	else {
		tag = (o >> 2) & 0xf;
		if ((o & 3) == 3)	/* indeterminate: where is the MDC? */
			return pgpdec_not_handled(d, cause);
		d->i_old = (size_t)1 << (o & 3);
	}
	/* Tag 8 (compressed) among others: gpg decompresses it. */
	if (!(o & 0x80) || tag != 11)
		return pgpdec_not_handled(d, cause);
	d->i_state = INNER_LEN;
	d->i_body = INNER_LITHDR;
	d->lit_pos = d->lit_need = 0;
	return 0;
}

/* A length octet of the literal data packet. */
static int
pgpdec_inner_len(struct pgpdec *d, uint8_t o, char **cause)
{
	if (d->i_old != 0) {
		d->i_left = d->i_left << 8 | o;
		d->i_partial = 0;
		if (++d->i_oldn < d->i_old)
			return 0;
		d->i_old = 0;	/* only the first header is old-format */
	} else if (pgpdec_len_add(&d->i_len, o, &d->i_left, &d->i_partial)
	    == 0)
		return 0;
	d->i_state = d->i_body;
	return pgpdec_inner_chunk_end(d, cause);
}

/* Literal header octets: format, name length, name, date. */
static int
pgpdec_inner_lithdr(struct pgpdec *d, const uint8_t *p, size_t n,
    char **cause)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (d->lit_pos == 0)
			d->lit_format = p[i];
		else if (d->lit_pos == 1)
			d->lit_need = 2 + (size_t)p[i] + 4;
		d->lit_pos++;
	}
	d->i_left -= n;
	if (d->lit_need != 0 && d->lit_pos == d->lit_need) {
		/* gpg writes 'b' from a pipe; 't' or 'u' may need care. */
		if (d->lit_format != 'b')
			return pgpdec_not_handled(d, cause);
		d->i_state = INNER_DATA;
		d->started = 1;
	}
	return pgpdec_inner_chunk_end(d, cause);
}

/* How many octets of n the current inner state takes at once. */
static size_t
pgpdec_inner_take(const struct pgpdec *d, size_t n)
{
	uint64_t	want;

	switch (d->i_state) {
	case INNER_PREFIX:
		want = PGPDEC_PREFIX - d->held;
		break;
	case INNER_LITHDR:
		want = d->lit_need != 0 ? d->lit_need - d->lit_pos :
		    2 - d->lit_pos;
		if (want > d->i_left)
			want = d->i_left;
		break;
	case INNER_DATA:
		want = d->i_left;
		break;
	case INNER_MDC_TAG:
		want = 2 - d->held;
		break;
	case INNER_MDC:
		want = PGPDEC_MDC - d->held;
		break;
	default:
		want = 1;
		break;
	}
	return want < n ? (size_t)want : n;
}

/* The 20 octets after 0xD3 0x14 are read: compare with our SHA-1. */
static int
pgpdec_inner_mdc(struct pgpdec *d, char **cause)
{
	const uint8_t	*sum;

	if (d->skip_mdc) {
		d->i_state = INNER_END;
		return 0;
	}
	gcry_md_final(d->mdc);
	sum = gcry_md_read(d->mdc, GCRY_MD_SHA1);
	if (sum == NULL || memcmp(sum, d->hold, PGPDEC_MDC) != 0)
		return pgpdec_damaged(d, cause, "its OpenPGP integrity check "
		    "(MDC) failed");
	d->i_state = INNER_END;
	return 0;
}

/* Plaintext octets, through the inner packets; the data goes to out. */
static int
pgpdec_inner(struct pgpdec *d, const uint8_t *p, size_t n, char **cause)
{
	size_t	k;
	int	rc = 0;

	while (n > 0 && rc == 0) {
		k = pgpdec_inner_take(d, n);
		/* Everything up to and including 0xD3 0x14 is in the MDC. */
		if (!d->skip_mdc && d->i_state != INNER_MDC &&
		    d->i_state != INNER_END)
			gcry_md_write(d->mdc, p, k);
		switch (d->i_state) {
		case INNER_PREFIX:
			memcpy(d->hold + d->held, p, k);
			d->held += k;
			if (d->held < PGPDEC_PREFIX)
				break;
			/* The last two random octets, repeated. */
			if (memcmp(d->hold + PGPDEC_BS - 2, d->hold + PGPDEC_BS,
			    2) != 0)
				rc = pgpdec_damaged(d, cause, "decryption "
				    "failed after it began (the OpenPGP quick "
				    "check failed)");
			d->held = 0;
			d->i_state = INNER_TAG;
			break;
		case INNER_TAG:
			rc = pgpdec_inner_tag(d, p[0], cause);
			break;
		case INNER_LEN:
			rc = pgpdec_inner_len(d, p[0], cause);
			break;
		case INNER_LITHDR:
			rc = pgpdec_inner_lithdr(d, p, k, cause);
			break;
		case INNER_DATA:
			if (sink_write(d->out, p, k, cause) != 0) {
				d->dead = 1;
				d->failure = CRYPTO_FAILED;
				return -1;
			}
			d->i_left -= k;
			rc = pgpdec_inner_chunk_end(d, cause);
			break;
		case INNER_MDC_TAG:
			memcpy(d->hold + d->held, p, k);
			d->held += k;
			if (d->held < 2)
				break;
			if (d->hold[0] != 0xd3 || d->hold[1] != 0x14)
				rc = pgpdec_damaged(d, cause, "an OpenPGP "
				    "packet other than its integrity check "
				    "(MDC) follows its data");
			d->held = 0;
			d->i_state = INNER_MDC;
			break;
		case INNER_MDC:
			memcpy(d->hold + d->held, p, k);
			d->held += k;
			if (d->held == PGPDEC_MDC)
				rc = pgpdec_inner_mdc(d, cause);
			break;
		case INNER_END:
			rc = pgpdec_damaged(d, cause, "data follows its "
			    "OpenPGP integrity check (MDC)");
			break;
		}
		p += k;
		n -= k;
	}
	return rc;
}

/* Body octets of the SEIPD packet: the version, then ciphertext. */
static int
pgpdec_outer_body(struct pgpdec *d, const uint8_t *p, size_t k, char **cause)
{
	size_t	step;
	int	rc;

	if (!d->o_version) {
		if (p[0] != 1)	/* version 2 is AEAD: gpg's business */
			return pgpdec_not_handled(d, cause);
		d->o_version = 1;
		p++;
		k--;
	}
	while (k > 0) {
		step = k < PGPDEC_BUF ? k : PGPDEC_BUF;
		/* As large as the pieces the reader gives, up to 1 MiB. */
		if (step > d->plain_cap) {
			d->plain = xrealloc(d->plain, step);
			d->plain_cap = step;
		}
		if (gcry_cipher_decrypt(d->cipher, d->plain, step, p, step)
		    != 0) {
			d->dead = 1;
			d->failure = CRYPTO_FAILED;
			return error_set(cause, "unable to decrypt %s: "
			    "libgcrypt failed", d->what);
		}
		if ((rc = pgpdec_inner(d, d->plain, step, cause)) != 0)
			return rc;
		p += step;
		k -= step;
	}
	return 0;
}

int
pgpdec_write(struct pgpdec *d, const void *buf, size_t len, char **cause)
{
	const uint8_t	*p = buf;
	size_t		 k;
	int		 rc = 0;

	if (d->dead)
		return error_set(cause, "unable to decrypt %s: it already "
		    "failed", d->what);
	while (len > 0 && rc == 0) {
		k = 1;
		switch (d->o_state) {
		case OUTER_TAG:
			/* New-format tag 18: the only packet handled here. */
			if (p[0] != 0xd2)
				rc = pgpdec_not_handled(d, cause);
			d->o_state = OUTER_LEN;
			break;
		case OUTER_LEN:
			if (pgpdec_len_add(&d->o_len, p[0], &d->o_left,
			    &d->o_partial) == 1)
				d->o_state = OUTER_BODY;
			k = 1;
			break;
		case OUTER_BODY:
			k = d->o_left < len ? (size_t)d->o_left : len;
			rc = pgpdec_outer_body(d, p, k, cause);
			d->o_left -= k;
			break;
		case OUTER_DONE:
			rc = pgpdec_damaged(d, cause, "data follows the end of "
			    "its OpenPGP message");
			break;
		}
		if (rc == 0 && d->o_state == OUTER_BODY && d->o_left == 0)
			d->o_state = d->o_partial ? OUTER_LEN : OUTER_DONE;
		p += k;
		len -= k;
	}
	return rc;
}

int
pgpdec_finish(struct pgpdec *d, char **cause)
{
	if (d->dead)
		return error_set(cause, "unable to decrypt %s: it already "
		    "failed", d->what);
	if (d->i_state == INNER_END && d->o_state == OUTER_DONE)
		return 0;
	/* The literal data ended and the message with it: no MDC. */
	if (d->o_state == OUTER_DONE && d->i_state == INNER_MDC_TAG &&
	    d->held == 0)
		return pgpdec_damaged(d, cause, "not integrity protected (no "
		    "MDC); refusing it");
	if (!pgpdec_started(d) && d->o_state == OUTER_DONE)
		return pgpdec_not_handled(d, cause);
	return pgpdec_damaged(d, cause, "decryption failed after it began "
	    "(truncated: the OpenPGP message ends early)");
}
