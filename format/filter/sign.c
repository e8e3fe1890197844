/*
 * sign.c: cleartext signatures with gpgme (see sign.h). Seals are a few
 * hundred bytes, so gpgme's own data pump is fine here (gpgproc.c exists
 * for volumes, not for this).
 */
#include <fcntl.h>
#include <gpgme.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"
#include "sign.h"

struct signer {
	struct crypto	*c;		/* the private home, with an agent */
	gpgme_key_t	 key;
	char		*public;
	size_t		 public_len;
};

struct sigcheck {
	struct crypto	*c;		/* the private home, no agent */
	size_t		 nkeys;
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

struct signer *
signer_new(const char *key_file, const char *key_data, size_t key_len,
    char **cause)
{
	struct signer		*s = xcalloc(1, sizeof *s);
	const char		*what = key_file != NULL ? key_file :
				    "(configured signing key)";
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 data = NULL, pub = NULL;
	gpgme_key_t		 key;
	gpgme_error_t		 err;
	char			*file = NULL;
	size_t			 len = key_len;
	int			 listing = 0;

	if (key_file != NULL) {
		if (sign_read_file(key_file, &file, &len, cause) != 0)
			goto fail;
		key_data = file;
	}
	s->c = xcalloc(1, sizeof *s->c);
	if (crypto_make_home(s->c, cause) != 0 ||
	    crypto_context(s->c, &ctx, cause) != 0)
		goto fail;
	if ((err = gpgme_data_new_from_mem(&data, key_data, len, 0)) != 0 ||
	    (err = gpgme_op_import(ctx, data)) != 0) {
		error_set(cause, "unable to import signing key '%s': %s", what,
		    gpgme_strerror(err));
		goto fail;
	}
	/* A secret key that can sign, not revoked or expired. */
	if ((err = gpgme_op_keylist_start(ctx, NULL, 1)) != 0) {
		error_set(cause, "unable to list signing key '%s': %s", what,
		    gpgme_strerror(err));
		goto fail;
	}
	listing = 1;
	while (gpgme_op_keylist_next(ctx, &key) == 0) {
		if (s->key == NULL && key->can_sign && !key->revoked &&
		    !key->expired && !key->disabled && key->fpr != NULL)
			s->key = key;
		else
			gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	listing = 0;
	if (s->key == NULL) {
		error_set(cause, "signing key '%s' holds no usable secret "
		    "signing key (a public key, or revoked or expired)", what);
		goto fail;
	}
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_data_new(&pub)) != 0 ||
	    (err = gpgme_op_export(ctx, s->key->fpr, 0, pub)) != 0) {
		error_set(cause, "unable to export signing key '%s': %s", what,
		    gpgme_strerror(err));
		goto fail;
	}
	s->public = sign_take(pub, &s->public_len);
	pub = NULL;
	gpgme_data_release(data);
	gpgme_release(ctx);
	free(file);
	return s;
fail:
	if (listing)
		gpgme_op_keylist_end(ctx);
	gpgme_data_release(data);
	gpgme_data_release(pub);
	if (ctx != NULL)
		gpgme_release(ctx);
	if (file != NULL) {
		explicit_bzero(file, len);
		free(file);
	}
	signer_free(s);
	return NULL;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->key != NULL)
		gpgme_key_unref(s->key);
	free(s->public);
	crypto_free(s->c);
	free(s);
}

const char *
signer_fpr(const struct signer *s)
{
	return s->key->fpr;
}

const char *
signer_public(const struct signer *s, size_t *len)
{
	*len = s->public_len;
	return s->public;
}

int
signer_sign(struct signer *s, const char *text, char **out, size_t *outlen,
    char **cause)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_data_t	in = NULL, sig = NULL;
	gpgme_error_t	err;
	int		rc = -1;

	if (crypto_context(s->c, &ctx, cause) != 0)
		return -1;
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_signers_add(ctx, s->key)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, text, strlen(text), 0)) != 0 ||
	    (err = gpgme_data_new(&sig)) != 0 ||
	    (err = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_CLEAR)) != 0) {
		error_set(cause, "unable to sign with key %s: %s%s",
		    s->key->fpr, gpgme_strerror(err),
		    gpg_err_code(err) == GPG_ERR_BAD_PASSPHRASE ? " (the "
		    "signing key must have no passphrase)" : "");
		goto out;
	}
	*out = sign_take(sig, outlen);
	sig = NULL;
	rc = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(sig);
	gpgme_release(ctx);
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
	if (crypto_make_home(k->c, cause) != 0 ||
	    crypto_set_no_agent(k->c, 1, cause) != 0) {
		sigcheck_free(k);
		return NULL;
	}
	return k;
}

void
sigcheck_free(struct sigcheck *k)
{
	if (k == NULL)
		return;
	crypto_free(k->c);
	free(k);
}

size_t
sigcheck_count(const struct sigcheck *k)
{
	return k->nkeys;
}

/* Count the keys in the home. */
static size_t
sigcheck_recount(struct sigcheck *k, gpgme_ctx_t ctx)
{
	gpgme_key_t	key;
	size_t		n = 0;

	if (gpgme_op_keylist_start(ctx, NULL, 0) != 0)
		return 0;
	while (gpgme_op_keylist_next(ctx, &key) == 0) {
		n++;
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	(void)k;
	return n;
}

int
sigcheck_add(struct sigcheck *k, const char *armor, size_t len,
    const char *what, char **cause)
{
	gpgme_ctx_t	 ctx = NULL;
	gpgme_data_t	 data = NULL;
	gpgme_error_t	 err;
	char		*pub = NULL;
	size_t		 publen;
	int		 secret, rc = -1;

	/*
	 * This home has no agent, so gpg would refuse a key pair whole:
	 * take its public part (crypto_export_public, in a throwaway home).
	 */
	if (crypto_export_public(armor, len, &pub, &publen, &secret,
	    cause) != 0) {
		error_prefix(cause, "%s", what);
		goto out;
	}
	if (crypto_context(k->c, &ctx, cause) != 0)
		goto out;
	if ((err = gpgme_data_new_from_mem(&data, pub, publen, 0)) != 0 ||
	    (err = gpgme_op_import(ctx, data)) != 0) {
		error_set(cause, "%s: unable to import: %s", what,
		    gpgme_strerror(err));
		goto out;
	}
	k->nkeys = sigcheck_recount(k, ctx);
	rc = 0;
out:
	gpgme_data_release(data);
	if (ctx != NULL)
		gpgme_release(ctx);
	free(pub);
	return rc;
}

int
sigcheck_export(struct sigcheck *k, char **out, size_t *len, char **cause)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_data_t	d = NULL;
	gpgme_error_t	err;

	if (crypto_context(k->c, &ctx, cause) != 0)
		return -1;
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_data_new(&d)) != 0 ||
	    (err = gpgme_op_export(ctx, NULL, 0, d)) != 0) {
		gpgme_data_release(d);
		gpgme_release(ctx);
		return error_set(cause, "unable to export the signing keys: %s",
		    gpgme_strerror(err));
	}
	*out = sign_take(d, len);
	gpgme_release(ctx);
	return 0;
}

int
sigcheck_verify(struct sigcheck *k, const char *signed_text, size_t len,
    char **plain, size_t *plainlen, char **fpr, char **cause)
{
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 sig = NULL, out = NULL;
	gpgme_verify_result_t	 res;
	gpgme_signature_t	 s;
	gpgme_key_t		 key = NULL;
	gpgme_error_t		 err;
	int			 rc = -1;

	*plain = NULL;
	*fpr = NULL;
	if (crypto_context(k->c, &ctx, cause) != 0)
		return -1;
	if ((err = gpgme_data_new_from_mem(&sig, signed_text, len, 0)) != 0 ||
	    (err = gpgme_data_new(&out)) != 0) {
		error_set(cause, "gpgme: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_verify(ctx, sig, NULL, out);
	res = gpgme_op_verify_result(ctx);
	if (err != 0 || res == NULL || res->signatures == NULL) {
		error_set(cause, "no valid OpenPGP signature%s%s",
		    err != 0 ? ": " : "", err != 0 ? gpgme_strerror(err) : "");
		goto out;
	}
	s = res->signatures;
	if (s->next != NULL) {
		error_set(cause, "more than one signature");
		goto out;
	}
	if (gpg_err_code(s->status) == GPG_ERR_NO_PUBKEY) {
		error_set(cause, "signed by key %s, which is not trusted here",
		    s->fpr != NULL ? s->fpr : "(unknown)");
		goto out;
	}
	if (s->status != 0) {
		error_set(cause, "bad signature (%s)",
		    gpgme_strerror(s->status));
		goto out;
	}
	/* The primary key's fingerprint, also when a subkey signed. */
	if (s->fpr == NULL || gpgme_get_key(ctx, s->fpr, &key, 0) != 0 ||
	    key == NULL || key->fpr == NULL) {
		error_set(cause, "signed by a key not trusted here");
		goto out;
	}
	if (key->revoked || key->disabled) {
		error_set(cause, "signed by key %s, which is revoked",
		    key->fpr);
		goto out;
	}
	*fpr = xstrdup(key->fpr);
	*plain = sign_take(out, plainlen);
	out = NULL;
	rc = 0;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_data_release(sig);
	gpgme_data_release(out);
	gpgme_release(ctx);
	return rc;
}
