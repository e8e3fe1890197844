/*
 * crypto.h: OpenPGP encryption. gpgme finds gpg, imports keys and resolves
 * recipients (gpg.c); the bytes go through a gpg process on our own pipes
 * (gpgproc.c explains why).
 *
 * Two modes, as with duplicity: public key (--encrypt-key FPR from the
 * user's keyring, or --key-file KEY.asc imported into a private, temporary
 * GnuPG home that is removed afterwards) and symmetric (--passphrase-file).
 * The passphrase reaches gpg through a pipe (--passphrase-fd with loopback
 * pinentry), never argv.
 */
#ifndef TRESOR_CRYPTO_H
#define TRESOR_CRYPTO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/sink.h"

struct crypto_options {
	const char	*encrypt_key;		/* fingerprint or key ID */
	const char	*key_file;		/* armored public or secret key */
	const char	*passphrase_file;	/* first line is the passphrase */
	/* Instead of key_file: the armoured key in memory (backupd's). */
	const char	*key_data;
	size_t		 key_data_len;
};

struct crypto;

/*
 * Set up for encryption (for_decrypt = 0: a recipient or a passphrase is
 * required) or decryption (secret keys come from the key file or the user's
 * keyring).
 */
struct crypto	*crypto_new(const struct crypto_options *, int for_decrypt,
		     char **cause);
void		 crypto_free(struct crypto *);
/*
 * crypto_new in a thread of its own (inline if none can start), for a
 * caller with other work to do meanwhile: importing a secret key starts
 * its gpg-agent, 40-90 ms. crypto_new_end waits for it and gives what
 * crypto_new would have; the options must live until then.
 */
struct crypto_pending;
struct crypto_pending *crypto_new_begin(const struct crypto_options *,
		     int for_decrypt);
struct crypto	*crypto_new_end(struct crypto_pending *, char **cause);

/*
 * The keys objects are encrypted to, as the manifest records them: the
 * recipients' fingerprints, sorted, comma-separated, or "symmetric".
 * Allocated.
 */
char		*crypto_key_list(const struct crypto *);

/* A stage encrypting everything written to it into `next` (owned). */
struct sink	*crypto_encrypt_sink_new(struct crypto *, const char *what,
		     struct sink *next, char **cause);

/*
 * Why a decryption failed, so that callers word it right: only
 * CRYPTO_DAMAGED says the data is bad (its cause then reads "WHAT is
 * corrupt: ..."); a key or passphrase we lack is never called damage.
 */
enum crypto_failure {
	CRYPTO_OK,
	CRYPTO_FAILED,		/* gpg, the reader or the next stage failed */
	CRYPTO_NO_KEY,		/* no secret key for any recipient */
	CRYPTO_BAD_PASSPHRASE,	/* wrong or missing passphrase */
	CRYPTO_DAMAGED,		/* not OpenPGP, bad MDC, cut off, no MDC */
};

/*
 * Pulls ciphertext from read(), pushes plaintext into out (not owned).
 * *failure (if not NULL) gets the class of a failure, CRYPTO_OK if none.
 * gpg unwraps the session key and tresor decrypts the data in process
 * (pgpdec.c) if the message has the shape tresor writes; otherwise, or
 * with TRESOR_DECRYPT=gpg in the environment, gpg decrypts it all.
 */
typedef ssize_t (*crypto_read_fn)(void *, void *, size_t, char **);
int		 crypto_decrypt(struct crypto *, const char *what,
		     crypto_read_fn, void *, struct sink *out,
		     enum crypto_failure *failure, char **cause);
/*
 * The same for a caller that hashes every ciphertext octet read() gives
 * and compares the SHA-256 with a digest it trusts before it trusts the
 * plaintext (repo/object.c, when the manifest or seal gives the digest):
 * the in-process path then skips the OpenPGP MDC's SHA-1, which could
 * only confirm what that digest already proves (format/filter/pgpdec.c).
 */
int		 crypto_decrypt_hashed(struct crypto *, const char *what,
		     crypto_read_fn, void *, struct sink *out,
		     enum crypto_failure *failure, char **cause);

/*
 * The public part of an armoured key (public, or a pair), armoured, in
 * *out (allocated, NUL-terminated); *secret says whether the input held
 * a secret key. Nothing of it is left on disk.
 */
int		 crypto_export_public(const char *armor, size_t len,
		     char **out, size_t *outlen, int *secret, char **cause);
/*
 * What an armoured key block holds, judged by gpg from its packets (not by
 * its armour header): *secret is 1 if it carries secret key material (a
 * key pair), and *fpr gets the primary key's fingerprint (several keys:
 * their fingerprints, sorted and comma-separated). gpg reads the block in
 * a private GnuPG home, without importing it or starting an agent, and the
 * home is removed before returning. -1 with *cause ("not an OpenPGP key:
 * ...") for anything else. Needs crypto_library_init.
 */
int		 crypto_inspect_key(const char *armor, size_t len, int *secret,
		     char **fpr, char **cause);
/* Initialise gpgme; call once before threads start. */
int		 crypto_library_init(char **cause);

#endif
