/*
 * pgpdec.h: the symmetric layer of tresor's OpenPGP objects, decrypted in
 * process once gpg has given the session key (see pgpdec.c for the shape
 * it accepts and why). Internal to format/filter/ (gpgproc.c uses it; the
 * unit test and the fuzz target reach it directly).
 */
#ifndef TRESOR_PGPDEC_H
#define TRESOR_PGPDEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/sink.h"
#include "crypto.h"

/* Not the shape pgpdec handles: gpg must decrypt it (nothing went out). */
#define PGPDEC_NOT_HANDLED	1

/* The longest session key (AES-256). */
#define PGPDEC_KEY_MAX		32

/* Where the packets before the encrypted data end (offsets in the head). */
struct pgpdec_head {
	size_t	seipd;		/* the SEIPD packet's first octet */
	size_t	body;		/* its body's first octet (the version) */
	size_t	first;		/* body octets of its first chunk in the head */
};

/*
 * The head of a message (its first len octets): one or more PKESK packets,
 * then a version 1 SEIPD packet. 0 and *h, or PGPDEC_NOT_HANDLED.
 */
int		 pgpdec_head(const uint8_t *buf, size_t len,
		     struct pgpdec_head *h);

struct pgpdec;

/*
 * A decryptor for the message from its SEIPD packet on, with the session
 * key gpg found (OpenPGP algorithm number and key, copied and wiped at
 * free), writing the literal data into out (not owned). NULL if the
 * algorithm is not one it handles (AES-128, -192, -256).
 */
struct pgpdec	*pgpdec_new(const char *what, int algo, const uint8_t *key,
		     size_t keylen, struct sink *out);
/*
 * Do not compute the MDC's SHA-1: the caller checks the whole ciphertext's
 * SHA-256 against a digest it trusts before it trusts the plaintext (see
 * pgpdec.c). The MDC packet must still end the message. Before any write.
 */
void		 pgpdec_skip_mdc(struct pgpdec *);
/*
 * Ciphertext, in pieces of any size. 0; PGPDEC_NOT_HANDLED (only before
 * any plaintext went out); -1 with *cause, classed by pgpdec_failure.
 */
int		 pgpdec_write(struct pgpdec *, const void *, size_t,
		     char **cause);
/* The end of the ciphertext: 0 if the message was whole and its MDC good. */
int		 pgpdec_finish(struct pgpdec *, char **cause);
/* The literal data began: from here on there is no going back to gpg. */
int		 pgpdec_started(const struct pgpdec *);
/* CRYPTO_DAMAGED, or CRYPTO_FAILED when out failed. */
enum crypto_failure pgpdec_failure(const struct pgpdec *);
void		 pgpdec_free(struct pgpdec *);

/*
 * Objects decrypted in process by crypto_decrypt so far (the verdict was
 * ours, good or bad), for tests that must know no fallback happened.
 */
unsigned long	 pgpdec_objects(void);
/* crypto_decrypt counts one. */
void		 pgpdec_count_object(void);

#endif
