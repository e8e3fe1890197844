/*
 * crypto.intern.h: what gpg.c (keys, through gpgme) and gpgproc.c (the
 * bytes, through gpg itself) share. Internal to format/filter/.
 */
#ifndef TRESOR_CRYPTO_INTERN_H
#define TRESOR_CRYPTO_INTERN_H

#include <gpgme.h>
#include <stddef.h>
#include <sys/types.h>

struct crypto {
	char	 *engine;	/* the gpg program gpgme found */
	char	 *home;		/* private GnuPG home, or NULL for the user's */
	/*
	 * The home's gpg.conf says no-autostart: it holds public keys only,
	 * which need no gpg-agent, so none is started (and none stopped).
	 */
	int	  no_agent;
	/*
	 * Recipient keys, looked up once: each object then costs one gpg
	 * process, not a key listing as well. NULL-terminated; NULL in
	 * symmetric mode.
	 */
	gpgme_key_t	*recipients;
	size_t		 nrecipients;
	char	 *passphrase;	/* NULL if none given */
};

/* A gpgme context for the crypto's home, loopback pinentry. */
int	crypto_context(struct crypto *, gpgme_ctx_t *, char **cause);
/* A private GnuPG home (removed by crypto_free), and its agent switch. */
int	crypto_make_home(struct crypto *, char **cause);
int	crypto_set_no_agent(struct crypto *, int on, char **cause);
/*
 * c->engine: the gpg gpgme found when the library started (no new run of
 * `gpg --version`).
 */
int	crypto_find_engine(struct crypto *, char **cause);
/*
 * Start the home's gpg-agent now (gpg.c says why): its pid, to pass to
 * crypto_wait_agent once the work done meanwhile is over, or -1.
 */
pid_t	crypto_spawn_agent(struct crypto *);
void	crypto_wait_agent(pid_t);

#endif
