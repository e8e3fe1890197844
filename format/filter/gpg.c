/*
 * gpg.c: the OpenPGP stage (see crypto.h).
 *
 * gpgme has no "push some bytes" call: an operation runs to completion,
 * pulling input and pushing output through gpgme_data_t objects. Encryption
 * therefore runs gpgme_op_encrypt in a worker thread that reads the chain's
 * bytes from a pipe and writes ciphertext into the next stage; the pipe is
 * the bounded buffer between the two. This also lets compression (caller's
 * thread) and encryption (gpg process) run at the same time. Decryption has
 * its input already as a pull (the transport reader), so it runs in the
 * caller's thread with callback data objects on both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "crypto.h"

extern char **environ;

/*
 * Private GnuPG homes may hold a copy of a secret key: they must not
 * outlive an interrupted run. A signal handler removes them with only
 * async-signal-safe calls (fork, execve, waitpid), then re-raises.
 */
#define CRYPTO_HOMES_MAX	4
static char *volatile crypto_homes[CRYPTO_HOMES_MAX];

static void	crypto_signal_cleanup(int);

struct crypto {
	char	 *home;		/* private GnuPG home, or NULL for the user's */
	/*
	 * Recipient keys, looked up once: each object then costs one gpg
	 * process, not a key listing as well. NULL-terminated; NULL in
	 * symmetric mode.
	 */
	gpgme_key_t	*recipients;
	size_t		 nrecipients;
	char	 *passphrase;	/* NULL if none given */
	char	 *description;
};

struct gpg_encrypt {
	struct sink	 sink;
	struct sink	*next;
	struct crypto	*crypto;
	char		*what;
	int		 fds[2];	/* [1] written by the chain, [0] by gpg */
	pthread_t	 thread;
	int		 running;
	char		*thread_cause;	/* set by the worker */
	char		*next_cause;	/* set by the next stage, via the worker */
	int		 finished;
};

struct gpg_decrypt_io {
	crypto_read_fn	 read;
	void		*read_arg;
	char		*read_cause;
	struct sink	*out;
	char		*out_cause;
};

int
crypto_library_init(char **cause)
{
	gpgme_error_t		err;

	struct sigaction	sa;

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = crypto_signal_cleanup;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (gpgme_check_version("1.18.0") == NULL)
		return error_set(cause, "gpgme 1.18 or later is required");
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err != 0)
		return error_set(cause, "gpg is not usable: %s (install the "
		    "Debian package gnupg)", gpgme_strerror(err));
	return 0;
}

static gpgme_error_t
crypto_passphrase_cb(void *arg, const char *uid_hint,
    const char *passphrase_info, int prev_was_bad, int fd)
{
	struct crypto	*c = arg;

	(void)uid_hint;
	(void)passphrase_info;
	if (c->passphrase == NULL || prev_was_bad)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (gpgme_io_writen(fd, c->passphrase, strlen(c->passphrase)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpg_error_from_syserror();
	return 0;
}

static int
crypto_context(struct crypto *c, gpgme_ctx_t *ctx, char **cause)
{
	gpgme_error_t	err;

	err = gpgme_new(ctx);
	if (err != 0)
		return error_set(cause, "unable to start gpgme: %s",
		    gpgme_strerror(err));
	if (c->home != NULL)
		gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL,
		    c->home);
	gpgme_set_armor(*ctx, 0);
	gpgme_set_pinentry_mode(*ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_passphrase_cb(*ctx, crypto_passphrase_cb, c);
	return 0;
}

static int
crypto_read_passphrase(const char *path, char **out, char **cause)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	f = fopen(path, "re");
	if (f == NULL)
		return error_sys(cause, "unable to read passphrase file '%s'",
		    path);
	n = getline(&line, &size, f);
	fclose(f);
	if (n <= 0) {
		free(line);
		return error_set(cause, "passphrase file '%s' is empty", path);
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		free(line);
		return error_set(cause, "passphrase file '%s' is empty", path);
	}
	*out = line;
	return 0;
}

static void
crypto_run_quietly(char *const argv[])
{
	pid_t	pid = fork();
	int	status;

	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static void
crypto_signal_cleanup(int sig)
{
	char	*kill_argv[] = { "/usr/bin/gpgconf", "--homedir", NULL,
		    "--kill", "all", NULL };
	char	*rm_argv[] = { "/bin/rm", "-rf", NULL, NULL };
	int	 i;

	for (i = 0; i < CRYPTO_HOMES_MAX; i++) {
		if (crypto_homes[i] == NULL)
			continue;
		kill_argv[2] = rm_argv[2] = crypto_homes[i];
		crypto_run_quietly(kill_argv);
		crypto_run_quietly(rm_argv);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
crypto_track_home(char *home, int add)
{
	int	i;

	for (i = 0; i < CRYPTO_HOMES_MAX; i++) {
		if (add && crypto_homes[i] == NULL) {
			crypto_homes[i] = home;
			return;
		}
		if (!add && crypto_homes[i] == home)
			crypto_homes[i] = NULL;
	}
}

static int
crypto_make_home(struct crypto *c, char **cause)
{
	const char	*tmp = getenv("TMPDIR");
	char		*path;

	/* Short base path: gpg-agent's socket path must fit sun_path. */
	if (tmp == NULL || strlen(tmp) > 40)
		tmp = "/tmp";
	path = xasprintf("%s/tresor-gpg.XXXXXX", tmp);
	if (mkdtemp(path) == NULL) {
		error_sys(cause, "unable to create a temporary GnuPG home in "
		    "%s", tmp);
		free(path);
		return -1;
	}
	c->home = path;
	crypto_track_home(path, 1);
	return 0;
}

/* Import a key file into the private home; collect encryption keys. */
static int
crypto_import(struct crypto *c, const char *key_file, int for_decrypt,
    char **cause)
{
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 data = NULL;
	gpgme_import_result_t	 res;
	gpgme_key_t		 key;
	gpgme_error_t		 err;
	int			 rc = -1, fd = -1;

	fd = open(key_file, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		error_sys(cause, "unable to read key file '%s'", key_file);
		goto out;
	}
	if (crypto_context(c, &ctx, cause) != 0)
		goto out;
	if ((err = gpgme_data_new_from_fd(&data, fd)) != 0 ||
	    (err = gpgme_op_import(ctx, data)) != 0) {
		error_set(cause, "unable to import key file '%s': %s",
		    key_file, gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_import_result(ctx);
	if (res == NULL || res->considered == 0 ||
	    res->imported + res->unchanged == 0) {
		error_set(cause, "key file '%s' holds no OpenPGP key",
		    key_file);
		goto out;
	}
	if (for_decrypt) {
		rc = 0;
		goto out;
	}
	if ((err = gpgme_op_keylist_start(ctx, NULL, 0)) != 0) {
		error_set(cause, "unable to list keys from '%s': %s", key_file,
		    gpgme_strerror(err));
		goto out;
	}
	while (gpgme_op_keylist_next(ctx, &key) == 0) {
		if (key->can_encrypt && !key->revoked && !key->expired &&
		    !key->disabled && key->fpr != NULL) {
			c->recipients = xrealloc(c->recipients,
			    (c->nrecipients + 2) * sizeof *c->recipients);
			c->recipients[c->nrecipients++] = key;
			c->recipients[c->nrecipients] = NULL;
		} else
			gpgme_key_unref(key);
	}
	if (c->nrecipients == 0) {
		error_set(cause, "key file '%s' holds no usable encryption "
		    "key (revoked, expired or sign-only)", key_file);
		goto out;
	}
	rc = 0;
out:
	gpgme_data_release(data);
	if (ctx != NULL)
		gpgme_release(ctx);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Resolve --encrypt-key in the user's keyring to a full fingerprint. */
static int
crypto_lookup_key(struct crypto *c, const char *name, char **cause)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_key_t	key = NULL;
	gpgme_error_t	err;
	int		rc = -1;

	if (crypto_context(c, &ctx, cause) != 0)
		return -1;
	err = gpgme_get_key(ctx, name, &key, 0);
	if (err != 0 || key == NULL) {
		error_set(cause, "encryption key '%s' is not in the keyring "
		    "(%s)", name, err != 0 ? gpgme_strerror(err) : "not found");
		goto out;
	}
	if (!key->can_encrypt || key->revoked || key->expired) {
		error_set(cause, "key '%s' cannot encrypt (revoked, expired "
		    "or sign-only)", name);
		goto out;
	}
	c->recipients = xcalloc(2, sizeof *c->recipients);
	c->recipients[0] = key;
	c->nrecipients = 1;
	key = NULL;
	rc = 0;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

struct crypto *
crypto_new(const struct crypto_options *o, int for_decrypt, char **cause)
{
	struct crypto	*c = xcalloc(1, sizeof *c);

	if (o->encrypt_key != NULL && o->key_file != NULL) {
		error_set(cause, "give --encrypt-key or --key-file, not both");
		goto fail;
	}
	if (!for_decrypt && o->encrypt_key == NULL && o->key_file == NULL &&
	    o->passphrase_file == NULL) {
		error_set(cause, "no encryption key: give --encrypt-key FPR, "
		    "--key-file KEY.asc or --passphrase-file FILE");
		goto fail;
	}
	if (o->passphrase_file != NULL &&
	    crypto_read_passphrase(o->passphrase_file, &c->passphrase,
	    cause) != 0)
		goto fail;
	if (o->key_file != NULL) {
		if (crypto_make_home(c, cause) != 0 ||
		    crypto_import(c, o->key_file, for_decrypt, cause) != 0)
			goto fail;
	} else if (o->encrypt_key != NULL && !for_decrypt) {
		if (crypto_lookup_key(c, o->encrypt_key, cause) != 0)
			goto fail;
	} else if (o->passphrase_file != NULL && o->encrypt_key == NULL) {
		/*
		 * Symmetric only: a private home keeps gpg-agent from caching
		 * the passphrase in the user's session.
		 */
		if (crypto_make_home(c, cause) != 0)
			goto fail;
	}
	if (c->nrecipients > 0)
		c->description = xasprintf("public key %s%s",
		    c->recipients[0]->fpr,
		    c->nrecipients > 1 ? " (and others)" : "");
	else if (for_decrypt)
		c->description = xstrdup("secret key or passphrase");
	else
		c->description = xstrdup("passphrase (symmetric)");
	return c;
fail:
	crypto_free(c);
	return NULL;
}

/* Stop the agent of a private home and remove the home. */
static void
crypto_remove_home(const char *home)
{
	char	*argv[] = { "gpgconf", "--homedir", (char *)home, "--kill",
		    "all", NULL };
	char	*rm[] = { "rm", "-rf", (char *)home, NULL };
	pid_t	 pid;
	int	 status;

	if (posix_spawnp(&pid, "gpgconf", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	if (posix_spawnp(&pid, "rm", NULL, NULL, rm, environ) == 0)
		waitpid(pid, &status, 0);
}

void
crypto_free(struct crypto *c)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->home != NULL) {
		crypto_track_home(c->home, 0);
		crypto_remove_home(c->home);
	}
	free(c->home);
	for (i = 0; i < c->nrecipients; i++)
		gpgme_key_unref(c->recipients[i]);
	free(c->recipients);
	if (c->passphrase != NULL) {
		explicit_bzero(c->passphrase, strlen(c->passphrase));
		free(c->passphrase);
	}
	free(c->description);
	free(c);
}

const char *
crypto_describe(const struct crypto *c)
{
	return c->description;
}

static ssize_t
gpg_encrypt_output(void *arg, const void *buf, size_t len)
{
	struct gpg_encrypt	*g = arg;

	if (sink_write(g->next, buf, len, &g->next_cause) != 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

static void *
gpg_encrypt_main(void *arg)
{
	struct gpg_encrypt		*g = arg;
	struct gpgme_data_cbs		 cbs = { NULL, gpg_encrypt_output,
					     NULL, NULL };
	gpgme_ctx_t			 ctx = NULL;
	gpgme_data_t			 in = NULL, out = NULL;
	gpgme_encrypt_result_t		 res;
	gpgme_encrypt_flags_t		 flags;
	gpgme_error_t			 err;

	if (crypto_context(g->crypto, &ctx, &g->thread_cause) != 0)
		goto out;
	/* zstd already compressed the data: gpg must not try again. */
	flags = GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS;
	if (g->crypto->nrecipients == 0)
		flags |= GPGME_ENCRYPT_SYMMETRIC;
	if ((err = gpgme_data_new_from_fd(&in, g->fds[0])) != 0 ||
	    (err = gpgme_data_new_from_cbs(&out, &cbs, g)) != 0) {
		error_set(&g->thread_cause, "gpgme: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_encrypt(ctx, g->crypto->recipients, flags, in, out);
	if (err != 0) {
		res = gpgme_op_encrypt_result(ctx);
		if (g->next_cause != NULL)
			g->thread_cause = xstrdup(g->next_cause);
		else if (res != NULL && res->invalid_recipients != NULL)
			error_set(&g->thread_cause, "unable to encrypt '%s': "
			    "key %s is not usable: %s", g->what,
			    res->invalid_recipients->fpr,
			    gpgme_strerror(res->invalid_recipients->reason));
		else
			error_set(&g->thread_cause, "unable to encrypt '%s': %s",
			    g->what, gpgme_strerror(err));
	}
out:
	/* Closing the read end makes a blocked writer see EPIPE. */
	close(g->fds[0]);
	g->fds[0] = -1;
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (ctx != NULL)
		gpgme_release(ctx);
	return NULL;
}

static int
gpg_encrypt_join(struct gpg_encrypt *g, char **cause)
{
	if (g->fds[1] != -1) {
		close(g->fds[1]);
		g->fds[1] = -1;
	}
	if (g->running) {
		pthread_join(g->thread, NULL);
		g->running = 0;
	}
	if (g->thread_cause != NULL)
		return error_set(cause, "%s", g->thread_cause);
	return 0;
}

static int
gpg_encrypt_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;
	const char		*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(g->fds[1], p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE && gpg_encrypt_join(g, cause) != 0)
				return -1;
			return error_sys(cause, "unable to encrypt %s",
			    g->what);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
gpg_encrypt_finish(struct sink *s, char **cause)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;

	if (gpg_encrypt_join(g, cause) != 0)
		return -1;
	g->finished = 1;
	return sink_finish(g->next, cause);
}

static void
gpg_encrypt_free(struct sink *s)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;

	gpg_encrypt_join(g, NULL);
	if (g->fds[0] != -1)
		close(g->fds[0]);
	sink_free(g->next);
	free(g->thread_cause);
	free(g->next_cause);
	free(g->what);
	free(g);
}

static const struct sink_ops gpg_encrypt_ops = {
	.name = "gpg-encrypt",
	.write = gpg_encrypt_write,
	.finish = gpg_encrypt_finish,
	.free = gpg_encrypt_free,
};

struct sink *
crypto_encrypt_sink_new(struct crypto *c, const char *what, struct sink *next,
    char **cause)
{
	struct gpg_encrypt	*g = xcalloc(1, sizeof *g);

	g->sink.ops = &gpg_encrypt_ops;
	g->next = next;
	g->crypto = c;
	g->what = xstrdup(what);
	g->fds[0] = g->fds[1] = -1;
	if (pipe2(g->fds, O_CLOEXEC) != 0) {
		error_sys(cause, "unable to encrypt %s: pipe", what);
		goto fail;
	}
	/* A larger pipe lets compression run ahead of encryption. */
	fcntl(g->fds[1], F_SETPIPE_SZ, 1024 * 1024);
	if (pthread_create(&g->thread, NULL, gpg_encrypt_main, g) != 0) {
		error_set(cause, "unable to encrypt %s: no thread", what);
		goto fail;
	}
	g->running = 1;
	return &g->sink;
fail:
	gpg_encrypt_free(&g->sink);
	return NULL;
}

static ssize_t
gpg_decrypt_input(void *arg, void *buf, size_t len)
{
	struct gpg_decrypt_io	*io = arg;
	ssize_t			 n;

	n = io->read(io->read_arg, buf, len, &io->read_cause);
	if (n < 0)
		errno = EIO;
	return n;
}

static ssize_t
gpg_decrypt_output(void *arg, const void *buf, size_t len)
{
	struct gpg_decrypt_io	*io = arg;

	if (sink_write(io->out, buf, len, &io->out_cause) != 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

static void
gpg_decrypt_explain(gpgme_ctx_t ctx, const char *what, gpgme_error_t err,
    char **cause)
{
	gpgme_decrypt_result_t	 res = gpgme_op_decrypt_result(ctx);
	gpgme_recipient_t	 r;

	switch (gpgme_err_code(err)) {
	case GPG_ERR_NO_SECKEY:
		r = res != NULL ? res->recipients : NULL;
		error_set(cause, "unable to decrypt %s: no secret key for "
		    "key ID %s (wrong --key-file or keyring)", what,
		    r != NULL && r->keyid != NULL ? r->keyid : "unknown");
		break;
	case GPG_ERR_BAD_PASSPHRASE:
		error_set(cause, "unable to decrypt %s: passphrase missing "
		    "or wrong (--passphrase-file)", what);
		break;
	case GPG_ERR_NO_DATA:
		error_set(cause, "unable to decrypt %s: not an OpenPGP "
		    "message (corrupt or truncated)", what);
		break;
	default:
		error_set(cause, "unable to decrypt %s: %s (wrong key, wrong "
		    "passphrase or corrupt data)", what, gpgme_strerror(err));
		break;
	}
}

int
crypto_decrypt(struct crypto *c, const char *what, crypto_read_fn read,
    void *read_arg, struct sink *out, char **cause)
{
	struct gpg_decrypt_io	 io = { read, read_arg, NULL, out, NULL };
	struct gpgme_data_cbs	 in_cbs = { gpg_decrypt_input, NULL, NULL,
				     NULL };
	struct gpgme_data_cbs	 out_cbs = { NULL, gpg_decrypt_output, NULL,
				     NULL };
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 in = NULL, outd = NULL;
	gpgme_decrypt_result_t	 res;
	gpgme_error_t		 err;
	int			 rc = -1;

	if (crypto_context(c, &ctx, cause) != 0)
		goto out;
	if ((err = gpgme_data_new_from_cbs(&in, &in_cbs, &io)) != 0 ||
	    (err = gpgme_data_new_from_cbs(&outd, &out_cbs, &io)) != 0) {
		error_set(cause, "gpgme: %s", gpgme_strerror(err));
		goto out;
	}
	err = gpgme_op_decrypt(ctx, in, outd);
	if (io.read_cause != NULL) {
		error_set(cause, "%s", io.read_cause);
		goto out;
	}
	if (io.out_cause != NULL) {
		error_set(cause, "%s", io.out_cause);
		goto out;
	}
	if (err != 0) {
		gpg_decrypt_explain(ctx, what, err, cause);
		goto out;
	}
	res = gpgme_op_decrypt_result(ctx);
	if (res != NULL && res->legacy_cipher_nomdc) {
		error_set(cause, "unable to decrypt %s: not integrity "
		    "protected (no MDC); refusing it", what);
		goto out;
	}
	rc = 0;
out:
	free(io.read_cause);
	free(io.out_cause);
	gpgme_data_release(in);
	gpgme_data_release(outd);
	if (ctx != NULL)
		gpgme_release(ctx);
	return rc;
}
