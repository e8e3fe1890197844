/*
 * sign.c: cleartext signatures with gpgme (see sign.h). Seals are a few
 * hundred bytes, so gpgme's own data pump is fine here (gpgproc.c exists
 * for volumes, not for this).
 */
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"
#include "sign.h"

extern char **environ;

/*
 * One gpgme context per home, kept for every operation: each new context
 * costs a `gpg --version` run (gpgme checks the engine when the home is
 * set), as much as the operation itself.
 */
struct sigcheck {
	struct crypto	*c;		/* the private home */
	gpgme_ctx_t	 ctx;
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
	if (crypto_make_home(s->c, cause) != 0)
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
/*
 * The home's gpg-agent, started by us while gpgme runs its `gpg --version`
 * for the home: gpg would start it only once the import needs it, and
 * then poll its socket at growing intervals. `gpg-agent --daemon` returns
 * once its socket is listening. It keeps no descriptor but /dev/null: a
 * pipe of a gpg run that another thread started meanwhile would otherwise
 * stay open in the daemon. -1 if it could not be started (then gpg starts
 * it as usual).
 */
/*
 * gpg-agent is run from gpg's own directory (the gpg gpgme runs), never
 * looked up in PATH: the agent holds the signing key, and a PATH search
 * would also try every directory before it.
 */
static char *
signer_agent_program(void)
{
	gpgme_engine_info_t	 info;
	const char		*slash;

	if (gpgme_get_engine_info(&info) != 0)
		return NULL;
	for (; info != NULL; info = info->next) {
		if (info->protocol != GPGME_PROTOCOL_OpenPGP ||
		    info->file_name == NULL ||
		    (slash = strrchr(info->file_name, '/')) == NULL)
			continue;
		return xasprintf("%.*s/gpg-agent",
		    (int)(slash - info->file_name), info->file_name);
	}
	return NULL;
}

static pid_t
signer_spawn_agent(struct signer *s)
{
	char				*argv[] = { "gpg-agent", "--homedir",
					    s->c->home, "--daemon", NULL };
	char				*program;
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid;
	int				 ok;

	if ((program = signer_agent_program()) == NULL)
		return -1;
	if (access(program, X_OK) != 0 ||
	    posix_spawn_file_actions_init(&fa) != 0) {
		free(program);
		return -1;
	}
	ok = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
	    0) == 0 && posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
	    O_WRONLY, 0) == 0 && posix_spawn_file_actions_addopen(&fa, 2,
	    "/dev/null", O_WRONLY, 0) == 0 &&
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0 &&
	    posix_spawn(&pid, program, &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	free(program);
	return ok ? pid : -1;
}

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
	int			 status, rc = -1;

	agent = signer_spawn_agent(s);
	rc = crypto_context(s->c, &s->ctx, cause);
	/* Its socket is up once it returns (a failure: gpg's own way). */
	if (agent != -1)
		while (waitpid(agent, &status, 0) == -1 && errno == EINTR)
			continue;
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

/*
 * One Assuan line to the agent and its answer ("OK..." or "ERR..."):
 * KILLAGENT, which is all gpg-connect-agent would send. Said on the
 * socket itself: gpgme's assuan engine is not there once gpgconf is
 * disabled (crypto_library_init), and gpgconf --kill, crypto_free's way,
 * starts three more programs to say the same. 0 once the agent said OK.
 */
static int
signer_agent_say(const char *sock, const char *line)
{
	struct sockaddr_un	 sa;
	char			 buf[1024];
	size_t			 got = 0, len = strlen(line);
	ssize_t			 n;
	int			 fd, answers = 0, rc = -1;
	char			*nl;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, sock, strlen(sock));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	/* Its greeting ("OK Pleased to meet you"), then our line's answer. */
	while (answers < 2) {
		if ((nl = memchr(buf, '\n', got)) == NULL) {
			if (got == sizeof buf || (n = read(fd, buf + got,
			    sizeof buf - got)) <= 0)
				goto out;
			got += (size_t)n;
			continue;
		}
		if (strncmp(buf, "OK", 2) != 0 || (nl - buf > 2 &&
		    buf[2] != ' '))
			goto out;
		answers++;
		got -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, got);
		if (answers == 1 && (send(fd, line, len, MSG_NOSIGNAL) !=
		    (ssize_t)len || send(fd, "\n", 1, MSG_NOSIGNAL) != 1))
			goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Stop the home's gpg-agent by KILLAGENT on its socket. Only where the
 * socket is in the home itself (no /run/user/UID); else crypto_free's way.
 */
static void
signer_stop_agent(struct signer *s)
{
	struct stat	 sb;
	char		*sock;

	if (s->c == NULL || s->c->home == NULL || s->c->no_agent)
		return;
	sock = xasprintf("%s/S.gpg-agent", s->c->home);
	if (stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    signer_agent_say(sock, "KILLAGENT") == 0)
		s->c->no_agent = 1;	/* stopped: nothing for gpgconf */
	free(sock);
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	signer_stop_agent(s);
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
	if (crypto_make_home(k->c, cause) != 0 ||
	    crypto_set_no_agent(k->c, 1, cause) != 0 ||
	    crypto_context(k->c, &k->ctx, cause) != 0) {
		sigcheck_free(k);
		return NULL;
	}
	return k;
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

static int
sigcheck_import(struct sigcheck *k, const char *armor, size_t len,
    gpgme_import_result_t *res)
{
	gpgme_data_t	data = NULL;
	gpgme_error_t	err;

	if ((err = gpgme_data_new_from_mem(&data, armor, len, 0)) == 0)
		err = gpgme_op_import(k->ctx, data);
	gpgme_data_release(data);
	*res = err == 0 ? gpgme_op_import_result(k->ctx) : NULL;
	return err == 0 ? 0 : (int)err;
}

int
sigcheck_add(struct sigcheck *k, const char *armor, size_t len,
    const char *what, char **cause)
{
	gpgme_import_result_t	 res;
	gpgme_import_status_t	 st;
	char			*pub = NULL;
	size_t			 publen;
	int			 secret, err, rc = -1;

	k->map_full = 0;
	err = sigcheck_import(k, armor, len, &res);
	/*
	 * A home with no agent takes no key pair, not even its public part:
	 * then the public part alone (crypto_export_public, in a throwaway
	 * home; an agent for a moment there).
	 */
	if (err == 0 && res != NULL && res->secret_read > 0 &&
	    k->c->no_agent) {
		if (crypto_export_public(armor, len, &pub, &publen, &secret,
		    cause) != 0) {
			error_prefix(cause, "%s", what);
			goto out;
		}
		err = sigcheck_import(k, pub, publen, &res);
	}
	if (err != 0 || res == NULL || res->imported + res->unchanged == 0) {
		error_set(cause, "%s: %s", what, err != 0 ?
		    gpgme_strerror((gpgme_error_t)err) : "no OpenPGP key in it");
		goto out;
	}
	k->nkeys += (size_t)(res->imported + res->unchanged);
	for (st = res->imports; st != NULL; st = st->next) {
		if (st->result == 0 && st->fpr != NULL)
			sigcheck_map_add(k, st->fpr, st->fpr);
	}
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
	char		*list = xstrdup(""), *next;

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

int
sigcheck_verify(struct sigcheck *k, const char *signed_text, size_t len,
    char **plain, size_t *plainlen, char **fpr, char **cause)
{
	gpgme_data_t		 sig = NULL, out = NULL;
	gpgme_verify_result_t	 res;
	gpgme_signature_t	 s;
	gpgme_error_t		 err;
	const char		*primary;
	char			*signer = NULL;
	gpgme_sigsum_t		 summary;
	int			 rc = -1;

	*plain = NULL;
	*fpr = NULL;
	gpgme_set_armor(k->ctx, 0);
	if ((err = gpgme_data_new_from_mem(&sig, signed_text, len, 0)) != 0 ||
	    (err = gpgme_data_new(&out)) != 0) {
		error_set(cause, "gpgme: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_verify(k->ctx, sig, NULL, out);
	res = gpgme_op_verify_result(k->ctx);
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
	/*
	 * The primary key's fingerprint, also when a subkey signed. The
	 * lookup may list the keys on this context, which frees the verify
	 * result: what is still needed of it is copied first.
	 */
	if (s->fpr == NULL) {
		error_set(cause, "signed by a key not trusted here");
		goto out;
	}
	signer = xstrdup(s->fpr);
	summary = s->summary;
	s = NULL;
	res = NULL;
	if ((primary = sigcheck_lookup(k, signer)) == NULL) {
		error_set(cause, "signed by a key not trusted here");
		goto out;
	}
	if (summary & (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_SIG_EXPIRED)) {
		error_set(cause, "signed by key %s, which is revoked or "
		    "expired", primary);
		goto out;
	}
	*fpr = xstrdup(primary);
	*plain = sign_take(out, plainlen);
	out = NULL;
	rc = 0;
out:
	free(signer);
	gpgme_data_release(sig);
	gpgme_data_release(out);
	return rc;
}
