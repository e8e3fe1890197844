/*
 * sign.h: OpenPGP signatures for seals (repo/seals.c), through gpgme: a
 * cleartext signature made with the signing key, and checked against a
 * set of trusted public keys. Each lives in a private GnuPG home of its own
 * (crypto.h), removed when freed.
 *
 * The signing key is a key pair kept on the backup host for this alone:
 * separate from the encryption key, so the host can vouch for new sets but
 * still cannot decrypt old ones. It must have no passphrase (the nightly
 * run is unattended).
 */
#ifndef TRESOR_SIGN_H
#define TRESOR_SIGN_H

#include <stddef.h>

struct signer;
struct sigcheck;

/*
 * Import the signing key pair: from key_file, or from memory (key_data,
 * backupd's). `what` names it in messages ("--sign-key FILE").
 */
struct signer	*signer_new(const char *key_file, const char *key_data,
		     size_t key_len, char **cause);
/*
 * The same in two steps: prepare (read the key, make the home; the
 * calling thread) and load (import it, which starts the home's gpg-agent:
 * slow, and safe in another thread, since it uses the signer's own gpgme
 * context only). A prepared signer is freed with signer_free.
 */
struct signer	*signer_prepare(const char *key_file, const char *key_data,
		     size_t key_len, char **cause);
int		 signer_load(struct signer *, char **cause);
void		 signer_free(struct signer *);
/* The signing key's fingerprint (the primary key's, upper-case hex). */
const char	*signer_fpr(const struct signer *);
/*
 * The signer's own trusted keys (its key, and what sigcheck_add adds):
 * the same home, so a writer checks and signs with one gpg-agent and one
 * gpgme context. Borrowed: sigcheck_free does nothing to it.
 */
struct sigcheck	*signer_sigcheck(struct signer *);
/* A cleartext-signed copy of text (allocated, NUL-terminated). */
int		 signer_sign(struct signer *, const char *text, char **out,
		     size_t *outlen, char **cause);

/*
 * Make a new signing key (ed25519, no passphrase, no expiry) for uid, in a
 * throwaway home: the armoured key pair in *secret (allocated; the caller
 * wipes it) and its fingerprint in *fpr (allocated).
 */
int		 signer_generate(const char *uid, char **secret, size_t *len,
		     char **fpr, char **cause);

/* An empty set of trusted keys. */
struct sigcheck	*sigcheck_new(char **cause);
void		 sigcheck_free(struct sigcheck *);
/*
 * Trust the keys of an armoured block (public keys, or a key pair whose
 * public part is taken). `what` names the source in messages.
 */
int		 sigcheck_add(struct sigcheck *, const char *armor, size_t len,
		     const char *what, char **cause);
/* Trusted keys so far. */
size_t		 sigcheck_count(const struct sigcheck *);
/* Their public keys, armoured (allocated), to keep in the cache. */
int		 sigcheck_export(struct sigcheck *, char **out, size_t *len,
		     char **cause);
/* Their primary fingerprints, one a line (allocated). */
int		 sigcheck_fingerprints(struct sigcheck *, char **out,
		     char **cause);
/*
 * Check a cleartext-signed text: 0 if it carries exactly one good
 * signature by a trusted key, with the signed text in *plain (allocated)
 * and that key's primary fingerprint in *fpr (allocated). -1 otherwise,
 * with *cause saying which: "bad signature", "no signature", "signed by
 * key X, which is not trusted here".
 */
int		 sigcheck_verify(struct sigcheck *, const char *signed_text,
		     size_t len, char **plain, size_t *plainlen, char **fpr,
		     char **cause);

#endif
