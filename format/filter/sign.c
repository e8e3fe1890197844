/*
 * sign.c: cleartext signatures with gpgme (see sign.h). Seals are a few
 * hundred bytes, so gpgme's own data pump is fine here (gpgproc.c exists
 * for volumes, not for this).
 */
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"
#include "gpgrun.h"
#include "sign.h"

extern char **environ;

/* What a gpg or gpgv run here may print: a key block or a seal's text. */
#define SIGN_RUN_MAX	(4 * 1024 * 1024)

/*
 * Importing trusted keys and checking a signature run gpg and gpgv
 * directly (gpgrun.h): a gpgme context for a home costs a `gpg --version`
 * run first, as much as the operation itself. The context is made only
 * for what needs a key listing (export, fingerprints), and kept.
 */
struct sigcheck {
	struct crypto	*c;		/* the private home */
	gpgme_ctx_t	 ctx;		/* NULL until sigcheck_ctx */
	int		 borrowed;	/* the signer's home and context */
	size_t		 nkeys;
	/*
	 * A fingerprint a signature names -> its primary key's: the
	 * imported primaries (from the import result, no listing) and the
	 * signer's subkeys; map_full once a listing added every subkey.
	 */
	char		**sub;
	char		**primary;
	size_t		  nmap;
	int		  map_full;
};

struct signer {
	struct crypto	*c;		/* the private home, with an agent */
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 key;
	struct sigcheck	 check;		/* trusts the signer's own key */
	char		*what;		/* the key file, for messages */
	char		*data;		/* the key, until signer_load */
	size_t		 len;
};

/* The whole of a gpgme data object as a NUL-terminated allocation. */
static char *
sign_take(gpgme_data_t d, size_t *len)
{
	char	*buf, *out;
	size_t	 n;

	buf = gpgme_data_release_and_get_mem(d, &n);
	out = xmalloc(n + 1);
	if (n > 0)
		memcpy(out, buf, n);
	out[n] = '\0';
	gpgme_free(buf);
	if (len != NULL)
		*len = n;
	return out;
}

static int
sign_read_file(const char *path, char **out, size_t *len, char **cause)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) != 0) {
		error_sys(cause, "unable to read key file '%s'", path);
		goto out;
	}
	if (sb.st_size > 1024 * 1024) {
		error_set(cause, "key file '%s' is too large for a key", path);
		goto out;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size &&
	    (n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)sb.st_size) {
		error_sys(cause, "unable to read key file '%s'", path);
		goto out;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

static void
sigcheck_map_add(struct sigcheck *k, const char *sub, const char *primary)
{
	size_t	i;

	for (i = 0; i < k->nmap; i++) {
		if (strcmp(k->sub[i], sub) == 0)
			return;
	}
	k->sub = xrealloc(k->sub, (k->nmap + 1) * sizeof *k->sub);
	k->primary = xrealloc(k->primary, (k->nmap + 1) * sizeof *k->primary);
	k->sub[k->nmap] = xstrdup(sub);
	k->primary[k->nmap] = xstrdup(primary);
	k->nmap++;
}

struct signer *
signer_prepare(const char *key_file, const char *key_data, size_t key_len,
    char **cause)
{
	struct signer	*s = xcalloc(1, sizeof *s);
	char		*file = NULL;
	size_t		 len = key_len;

	s->what = xstrdup(key_file != NULL ? key_file :
	    "(configured signing key)");
	if (key_file != NULL) {
		if (sign_read_file(key_file, &file, &len, cause) != 0)
			goto fail;
		key_data = file;
	}
	s->data = xmalloc(len + 1);
	memcpy(s->data, key_data, len);
	s->data[len] = '\0';
	s->len = len;
	s->c = xcalloc(1, sizeof *s->c);
	/* The home here (homes are tracked globally); its context in load. */
	if (crypto_find_engine(s->c, cause) != 0 ||
	    crypto_make_home(s->c, cause) != 0)
		goto fail;
	if (file != NULL) {
		explicit_bzero(file, len);
		free(file);
	}
	return s;
fail:
	if (file != NULL) {
		explicit_bzero(file, len);
		free(file);
	}
	signer_free(s);
	return NULL;
}

/*
 * The import starts the home's gpg-agent (a secret key needs one), the
 * slowest step of signing: the fingerprint comes from the import result
 * and the key from a public listing, which ask the agent nothing.
 */
int
signer_load(struct signer *s, char **cause)
{
	gpgme_data_t		 data = NULL;
	gpgme_import_result_t	 res;
	gpgme_import_status_t	 st;
	gpgme_key_t		 key = NULL;
	gpgme_subkey_t		 sk;
	gpgme_error_t		 err;
	pid_t			 agent;
	int			 rc = -1;

	agent = crypto_spawn_agent(s->c);
	rc = crypto_context(s->c, &s->ctx, cause);
	crypto_wait_agent(agent);
	if (rc != 0)
		goto out;
	rc = -1;
	if ((err = gpgme_data_new_from_mem(&data, s->data, s->len, 0)) != 0 ||
	    (err = gpgme_op_import(s->ctx, data)) != 0) {
		error_set(cause, "unable to import signing key '%s': %s",
		    s->what, gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_import_result(s->ctx);
	for (st = res != NULL ? res->imports : NULL; st != NULL;
	    st = st->next) {
		if (st->result == 0 && st->fpr != NULL &&
		    (st->status & GPGME_IMPORT_SECRET) != 0)
			break;
	}
	if (st == NULL || gpgme_get_key(s->ctx, st->fpr, &key, 0) != 0 ||
	    key == NULL || !key->can_sign || key->revoked || key->expired ||
	    key->disabled || key->fpr == NULL) {
		error_set(cause, "signing key '%s' holds no usable secret "
		    "signing key (a public key, or revoked or expired)",
		    s->what);
		goto out;
	}
	s->key = key;
	key = NULL;
	/* Its own trust list lives in the same home (the key is in it). */
	for (sk = s->key->subkeys; sk != NULL; sk = sk->next) {
		if (sk->fpr != NULL)
			sigcheck_map_add(&s->check, sk->fpr, s->key->fpr);
	}
	s->check.c = s->c;
	s->check.ctx = s->ctx;
	s->check.borrowed = 1;
	s->check.nkeys = 1;
	rc = 0;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_data_release(data);
	explicit_bzero(s->data, s->len);
	return rc;
}

struct signer *
signer_new(const char *key_file, const char *key_data, size_t key_len,
    char **cause)
{
	struct signer	*s;

	if ((s = signer_prepare(key_file, key_data, key_len, cause)) != NULL &&
	    signer_load(s, cause) != 0) {
		signer_free(s);
		s = NULL;
	}
	return s;
}

static void	sigcheck_clear_map(struct sigcheck *);

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->key != NULL)
		gpgme_key_unref(s->key);
	if (s->data != NULL) {
		explicit_bzero(s->data, s->len);
		free(s->data);
	}
	free(s->what);
	sigcheck_clear_map(&s->check);
	if (s->ctx != NULL)
		gpgme_release(s->ctx);
	crypto_free(s->c);
	free(s);
}

const char *
signer_fpr(const struct signer *s)
{
	return s->key->fpr;
}

struct sigcheck *
signer_sigcheck(struct signer *s)
{
	return &s->check;
}

int
signer_sign(struct signer *s, const char *text, char **out, size_t *outlen,
    char **cause)
{
	gpgme_data_t	in = NULL, sig = NULL;
	gpgme_error_t	err;
	int		rc = -1;

	gpgme_set_armor(s->ctx, 1);
	gpgme_signers_clear(s->ctx);
	if ((err = gpgme_signers_add(s->ctx, s->key)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, text, strlen(text), 0)) != 0 ||
	    (err = gpgme_data_new(&sig)) != 0 ||
	    (err = gpgme_op_sign(s->ctx, in, sig, GPGME_SIG_MODE_CLEAR)) != 0) {
		error_set(cause, "gpg was unable to sign with key %s: %s%s",
		    s->key->fpr, gpgme_strerror(err),
		    gpg_err_code(err) == GPG_ERR_BAD_PASSPHRASE ? " (the "
		    "signing key must have no passphrase)" : "");
		goto out;
	}
	*out = sign_take(sig, outlen);
	sig = NULL;
	rc = 0;
out:
	gpgme_signers_clear(s->ctx);
	gpgme_data_release(in);
	gpgme_data_release(sig);
	return rc;
}

int
signer_generate(const char *uid, char **secret, size_t *len, char **fpr,
    char **cause)
{
	struct crypto		*c = xcalloc(1, sizeof *c);
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 d = NULL;
	gpgme_genkey_result_t	 res;
	gpgme_error_t		 err;
	int			 rc = -1;

	*secret = NULL;
	*fpr = NULL;
	if (crypto_make_home(c, cause) != 0 ||
	    crypto_context(c, &ctx, cause) != 0)
		goto out;
	err = gpgme_op_createkey(ctx, uid, "ed25519", 0, 0, NULL,
	    GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD |
	    GPGME_CREATE_NOEXPIRE | GPGME_CREATE_FORCE);
	if (err != 0 || (res = gpgme_op_genkey_result(ctx)) == NULL ||
	    res->fpr == NULL) {
		error_set(cause, "unable to make a signing key: %s",
		    err != 0 ? gpgme_strerror(err) : "no key made");
		goto out;
	}
	*fpr = xstrdup(res->fpr);
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_data_new(&d)) != 0 ||
	    (err = gpgme_op_export(ctx, *fpr, GPGME_EXPORT_MODE_SECRET,
	    d)) != 0) {
		error_set(cause, "unable to export the new signing key: %s",
		    gpgme_strerror(err));
		goto out;
	}
	*secret = sign_take(d, len);
	d = NULL;
	if (*len == 0) {
		error_set(cause, "unable to export the new signing key");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*fpr);
		*fpr = NULL;
		free(*secret);
		*secret = NULL;
	}
	gpgme_data_release(d);
	if (ctx != NULL)
		gpgme_release(ctx);
	crypto_free(c);
	return rc;
}

struct sigcheck *
sigcheck_new(char **cause)
{
	struct sigcheck	*k = xcalloc(1, sizeof *k);

	k->c = xcalloc(1, sizeof *k->c);
	if (crypto_find_engine(k->c, cause) != 0 ||
	    crypto_make_home(k->c, cause) != 0 ||
	    crypto_set_no_agent(k->c, 1, cause) != 0) {
		sigcheck_free(k);
		return NULL;
	}
	return k;
}

/* The home's gpgme context, made the first time a listing needs it. */
static int
sigcheck_ctx(struct sigcheck *k, char **cause)
{
	if (k->ctx != NULL)
		return 0;
	return crypto_context(k->c, &k->ctx, cause);
}

static void
sigcheck_clear_map(struct sigcheck *k)
{
	size_t	i;

	for (i = 0; i < k->nmap; i++) {
		free(k->sub[i]);
		free(k->primary[i]);
	}
	free(k->sub);
	free(k->primary);
	k->sub = k->primary = NULL;
	k->nmap = 0;
	k->map_full = 0;
}

void
sigcheck_free(struct sigcheck *k)
{
	if (k == NULL || k->borrowed)
		return;
	sigcheck_clear_map(k);
	if (k->ctx != NULL)
		gpgme_release(k->ctx);
	crypto_free(k->c);
	free(k);
}

size_t
sigcheck_count(const struct sigcheck *k)
{
	return k->nkeys;
}

/*
 * Every key's subkeys too (one listing): for a signature by a subkey,
 * which the import result does not name.
 */
static int
sigcheck_map_all(struct sigcheck *k, char **cause)
{
	gpgme_key_t	key;
	gpgme_subkey_t	sk;
	gpgme_error_t	err;

	if (sigcheck_ctx(k, cause) != 0)
		return -1;
	if ((err = gpgme_op_keylist_start(k->ctx, NULL, 0)) != 0)
		return error_set(cause, "unable to list the signing keys: %s",
		    gpgme_strerror(err));
	while (gpgme_op_keylist_next(k->ctx, &key) == 0) {
		for (sk = key->subkeys; sk != NULL; sk = sk->next) {
			if (sk->fpr != NULL && key->fpr != NULL)
				sigcheck_map_add(k, sk->fpr, key->fpr);
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(k->ctx);
	k->map_full = 1;
	return 0;
}

/* The primary fingerprint of a key the signature names, or NULL. */
static const char *
sigcheck_lookup(struct sigcheck *k, const char *fpr)
{
	size_t	i;
	char	*why = NULL;

	for (i = 0; i < k->nmap; i++) {
		if (strcmp(k->sub[i], fpr) == 0)
			return k->primary[i];
	}
	if (k->map_full || sigcheck_map_all(k, &why) != 0) {
		free(why);
		return NULL;
	}
	for (i = 0; i < k->nmap; i++) {
		if (strcmp(k->sub[i], fpr) == 0)
			return k->primary[i];
	}
	return NULL;
}

/* What one import did, from its IMPORT_RES status line. */
struct sigcheck_imported {
	unsigned long	keys;		/* imported, or there already */
	unsigned long	secret_read;	/* secret keys it was given */
};

/*
 * gpg --import of an armoured block into the home (gpg itself, see the
 * struct): each key it took trusts its primary fingerprint. -1 only when
 * gpg could not be run; what it took is in *imp.
 */
static int
sigcheck_import(struct sigcheck *k, const char *armor, size_t len,
    struct sigcheck_imported *imp, char **cause)
{
	struct gpgrun_result	 r;
	char			*home = xasprintf("--homedir=%s", k->c->home);
	char			*args[] = { "--batch", "--no-tty",
				    "--no-greeting", "--no-permission-warning",
				    home, "--import", NULL };
	char			 fpr[65];
	const char		*p, *arg;
	unsigned long		 f[10];
	size_t			 alen;
	unsigned int		 reason;

	memset(imp, 0, sizeof *imp);
	if (gpgrun_run(k->c->engine, args, armor, len, SIGN_RUN_MAX, &r,
	    cause) != 0) {
		free(home);
		return -1;
	}
	free(home);
	/* "IMPORT_OK <reason> <fingerprint>": one a key it took. */
	p = r.status;
	while ((arg = gpgrun_status(&p, "IMPORT_OK", &alen)) != NULL) {
		if (sscanf(arg, "%u %64[0-9A-F]", &reason, fpr) == 2 &&
		    (strlen(fpr) == 40 || strlen(fpr) == 64))
			sigcheck_map_add(k, fpr, fpr);
	}
	/* "IMPORT_RES count no_user_id imported imported_rsa unchanged
	   n_uids n_subk n_sigs n_revoc sec_read ...". */
	p = r.status;
	if ((arg = gpgrun_status(&p, "IMPORT_RES", &alen)) != NULL &&
	    sscanf(arg, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", &f[0],
	    &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8],
	    &f[9]) == 10) {
		imp->keys = f[2] + f[4];
		imp->secret_read = f[9];
	}
	gpgrun_clear(&r);
	return 0;
}

int
sigcheck_add(struct sigcheck *k, const char *armor, size_t len,
    const char *what, char **cause)
{
	struct sigcheck_imported	 imp;
	char				*pub = NULL;
	size_t				 publen;
	int				 secret, rc = -1;

	k->map_full = 0;
	if (sigcheck_import(k, armor, len, &imp, cause) != 0) {
		error_prefix(cause, "%s", what);
		goto out;
	}
	/*
	 * A home with no agent takes no key pair, not even its public part:
	 * then the public part alone (crypto_export_public, in a throwaway
	 * home; an agent for a moment there).
	 */
	if (imp.secret_read > 0 && k->c->no_agent) {
		if (crypto_export_public(armor, len, &pub, &publen, &secret,
		    cause) != 0) {
			error_prefix(cause, "%s", what);
			goto out;
		}
		if (sigcheck_import(k, pub, publen, &imp, cause) != 0) {
			error_prefix(cause, "%s", what);
			goto out;
		}
	}
	if (imp.keys == 0) {
		error_set(cause, "%s: no OpenPGP key in it", what);
		goto out;
	}
	k->nkeys += (size_t)imp.keys;
	rc = 0;
out:
	free(pub);
	return rc;
}

int
sigcheck_fingerprints(struct sigcheck *k, char **out, char **cause)
{
	gpgme_key_t	key;
	gpgme_error_t	err;
	char		*list, *next;

	if (sigcheck_ctx(k, cause) != 0)
		return -1;
	list = xstrdup("");
	if ((err = gpgme_op_keylist_start(k->ctx, NULL, 0)) != 0) {
		free(list);
		return error_set(cause, "unable to list the signing keys: %s",
		    gpgme_strerror(err));
	}
	while (gpgme_op_keylist_next(k->ctx, &key) == 0) {
		if (key->fpr != NULL) {
			next = xasprintf("%s%s\n", list, key->fpr);
			free(list);
			list = next;
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(k->ctx);
	*out = list;
	return 0;
}

int
sigcheck_export(struct sigcheck *k, char **out, size_t *len, char **cause)
{
	gpgme_data_t	d = NULL;
	gpgme_error_t	err;

	if (sigcheck_ctx(k, cause) != 0)
		return -1;
	gpgme_set_armor(k->ctx, 1);
	if ((err = gpgme_data_new(&d)) != 0 ||
	    (err = gpgme_op_export(k->ctx, NULL, 0, d)) != 0) {
		gpgme_data_release(d);
		return error_set(cause, "unable to export the signing keys: %s",
		    gpgme_strerror(err));
	}
	*out = sign_take(d, len);
	return 0;
}

/*
 * gpgv, from gpg's own directory: it checks a signature against a keyring
 * and nothing else (no agent, no trust database), the fastest check GnuPG
 * has.
 */
static char *
sigcheck_gpgv(const struct crypto *c)
{
	const char	*slash = strrchr(c->engine, '/');

	if (slash == NULL)
		return xstrdup("/usr/bin/gpgv");
	return xasprintf("%.*s/gpgv", (int)(slash - c->engine), c->engine);
}

/* What gpgv said of the one signature, from its status lines. */
struct sigcheck_said {
	int		 nsig;		/* NEWSIG lines */
	const char	*verdict;	/* GOODSIG, BADSIG, EXPKEYSIG, ... */
	char		 keyid[65];	/* the verdict's key (ERRSIG's too) */
	int		 errsig_rc;	/* ERRSIG's reason, or -1 */
	char		 fpr[65];	/* VALIDSIG: the signing (sub)key */
	char		 primary[65];	/* VALIDSIG: its primary key */
	intmax_t	 signed_at;	/* VALIDSIG: the signature's time */
	intmax_t	 expired_at;	/* KEYEXPIRED, or -1 */
};

static void
sigcheck_read_status(const char *status, struct sigcheck_said *w)
{
	static const char	*verdicts[] = { "GOODSIG", "BADSIG",
				    "EXPSIG", "EXPKEYSIG", "REVKEYSIG" };
	const char		*p, *arg;
	size_t			 alen, i;
	intmax_t		 t;
	int			 rc;

	memset(w, 0, sizeof *w);
	w->errsig_rc = -1;
	w->expired_at = -1;
	p = status;
	while (gpgrun_status(&p, "NEWSIG", &alen) != NULL)
		w->nsig++;
	for (i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		p = status;
		if ((arg = gpgrun_status(&p, verdicts[i], &alen)) != NULL) {
			w->verdict = verdicts[i];
			(void)sscanf(arg, "%64[0-9A-F]", w->keyid);
		}
	}
	/* "ERRSIG keyid pkalgo hashalgo class time rc [fpr]" */
	p = status;
	if ((arg = gpgrun_status(&p, "ERRSIG", &alen)) != NULL &&
	    sscanf(arg, "%64[0-9A-F] %*s %*s %*s %*s %d", w->keyid,
	    &rc) == 2) {
		w->errsig_rc = rc;
		(void)sscanf(arg, "%*s %*s %*s %*s %*s %*s %64[0-9A-F]",
		    w->keyid);
	}
	/* "VALIDSIG fpr date sig-time expire version 0 pk hash class
	   primary-fpr" */
	p = status;
	if ((arg = gpgrun_status(&p, "VALIDSIG", &alen)) != NULL &&
	    sscanf(arg, "%64[0-9A-F] %*s %jd", w->fpr, &t) == 2) {
		w->signed_at = t;
		if (sscanf(arg, "%*s %*s %*s %*s %*s %*s %*s %*s %*s "
		    "%64[0-9A-F]", w->primary) != 1)
			memcpy(w->primary, w->fpr, sizeof w->primary);
	}
	p = status;
	if ((arg = gpgrun_status(&p, "KEYEXPIRED", &alen)) != NULL &&
	    sscanf(arg, "%jd", &t) == 1)
		w->expired_at = t;
}

/* A time for messages: "2026-12-03". */
static void
sigcheck_date(intmax_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "@%jd", t);
}

/*
 * Judge one signature from what gpgv said: 0 if it is good and by a
 * trusted key, with that key's primary fingerprint in *primary.
 */
static int
sigcheck_judge(struct sigcheck *k, const struct sigcheck_said *w,
    int exited_ok, const char **primary, char **cause)
{
	char	signed_on[32], expired_on[32];

	if (w->nsig == 0)
		return error_set(cause, "no valid OpenPGP signature");
	if (w->nsig > 1)
		return error_set(cause, "more than one signature");
	if (w->errsig_rc == 9)
		return error_set(cause, "signed by key %s, which is not "
		    "trusted here", w->keyid[0] != '\0' ? w->keyid :
		    "(unknown)");
	if (w->verdict == NULL)
		return error_set(cause, "no valid OpenPGP signature (gpgv "
		    "could not check it: error %d)", w->errsig_rc);
	if (strcmp(w->verdict, "BADSIG") == 0)
		return error_set(cause, "bad signature (it does not match "
		    "the text)");
	if (strcmp(w->verdict, "EXPSIG") == 0)
		return error_set(cause, "bad signature (the signature has "
		    "expired)");
	if (w->fpr[0] == '\0' ||
	    (*primary = sigcheck_lookup(k, w->primary)) == NULL)
		return error_set(cause, "signed by a key not trusted here");
	if (strcmp(w->verdict, "REVKEYSIG") == 0)
		return error_set(cause, "signed by key %s, which is revoked",
		    *primary);
	/*
	 * A key that has expired since: the signature counts if it was
	 * made while the key was valid (old sets stay readable when a
	 * signing key expires), not if it was made after.
	 */
	if (strcmp(w->verdict, "EXPKEYSIG") == 0) {
		if (w->expired_at >= 0 && w->signed_at < w->expired_at)
			return 0;
		sigcheck_date(w->signed_at, signed_on, sizeof signed_on);
		sigcheck_date(w->expired_at, expired_on, sizeof expired_on);
		return error_set(cause, "signed by key %s on %s, after the "
		    "key expired (%s)", *primary, signed_on,
		    w->expired_at >= 0 ? expired_on : "date unknown");
	}
	if (!exited_ok)
		return error_set(cause, "bad signature (gpgv refused it)");
	return 0;
}

int
sigcheck_verify(struct sigcheck *k, const char *signed_text, size_t len,
    char **plain, size_t *plainlen, char **fpr, char **cause)
{
	struct gpgrun_result	 r;
	struct sigcheck_said	 w;
	const char		*primary = NULL;
	char			*gpgv = sigcheck_gpgv(k->c);
	char			*home = xasprintf("--homedir=%s", k->c->home);
	char			*ring = xasprintf("--keyring=%s/pubring.kbx",
				    k->c->home);
	char			*args[] = { home, ring, "--output=-", "-",
				    NULL };
	int			 rc = -1;

	*plain = NULL;
	*fpr = NULL;
	memset(&r, 0, sizeof r);
	if (access(gpgv, X_OK) != 0) {
		error_sys(cause, "%s is not usable (install the Debian package "
		    "gpgv)", gpgv);
		goto out;
	}
	if (gpgrun_run(gpgv, args, signed_text, len, SIGN_RUN_MAX, &r,
	    cause) != 0)
		goto out;
	/*
	 * gpgv says something of any input, if only NODATA: no status line
	 * at all is gpgv failing (killed, broken), not a forged seal.
	 */
	if (r.status == NULL || r.status[0] == '\0') {
		error_set(cause, "%s did not check it (it %s without a status "
		    "line)", gpgv, r.exited_ok ? "exited" : "failed");
		goto out;
	}
	sigcheck_read_status(r.status, &w);
	if (sigcheck_judge(k, &w, r.exited_ok, &primary, cause) != 0)
		goto out;
	*fpr = xstrdup(primary);
	*plain = r.out;
	*plainlen = r.outlen;
	r.out = NULL;
	rc = 0;
out:
	gpgrun_clear(&r);
	free(gpgv);
	free(home);
	free(ring);
	return rc;
}
