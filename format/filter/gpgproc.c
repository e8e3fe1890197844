/*
 * gpgproc.c: the bytes of the OpenPGP stage (see crypto.h), through gpg
 * itself.
 *
 * Why not gpgme's gpgme_op_encrypt/decrypt: gpgme pumps every byte through
 * its own 4 KiB buffer with a poll, a read and a write per chunk, in both
 * directions. Measured here, that was about 1.8 million system calls per
 * GiB and more CPU than the encryption itself. So gpgme does what it is
 * good at (finding gpg, importing keys, resolving recipients to
 * fingerprints, see gpg.c), and each object's bytes go through one gpg
 * process whose stdin and stdout are our pipes, read and written in 1 MiB
 * pieces. gpg is run without a shell; the passphrase goes through a pipe
 * named by --passphrase-fd, never argv.
 *
 * Encryption: the caller's thread writes plaintext into gpg's stdin; a
 * worker thread reads ciphertext from gpg's stdout into the next stage.
 * Decryption: a worker thread feeds ciphertext from the caller's reader
 * into gpg's stdin; the caller's thread reads plaintext from gpg's stdout.
 * Either way, gpg's exit status and its status lines ([GNUPG:] on stderr)
 * decide success: a decryption counts only with DECRYPTION_OKAY, exit 0
 * and integrity protection (MDC).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/argv.h"
#include "common/child.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"

#define GPGPROC_BUF_SIZE	(1024 * 1024)
#define GPGPROC_PIPE_SIZE	(1024 * 1024)

/* The arguments every run shares. */
static void
gpgproc_common_args(struct crypto *c, struct argv *a, int pass_fd)
{
	argv_add(a, "%s", c->engine);
	argv_add(a, "--batch");
	argv_add(a, "--no-tty");
	/* Not --quiet: it also silences the NO_SECKEY status line. */
	argv_add(a, "--no-greeting");
	argv_add(a, "--no-permission-warning");
	if (c->home != NULL)
		argv_add(a, "--homedir=%s", c->home);
	argv_add(a, "--status-fd=2");
	argv_add(a, "--pinentry-mode=loopback");
	if (pass_fd != -1)
		argv_add(a, "--passphrase-fd=%d", pass_fd);
}

/* A pipe holding the passphrase (or nothing), for --passphrase-fd. */
static int
gpgproc_passphrase_pipe(struct crypto *c, int *fd, char **cause)
{
	int	p[2];

	*fd = -1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return error_sys(cause, "unable to create a pipe for gpg");
	if (c->passphrase != NULL && (io_write_all(p[1], c->passphrase,
	    strlen(c->passphrase)) != 0 || io_write_all(p[1], "\n", 1) != 0)) {
		close(p[0]);
		close(p[1]);
		return error_sys(cause, "unable to pass the passphrase to gpg");
	}
	close(p[1]);
	*fd = p[0];
	return 0;
}

static int
gpgproc_pipe(int p[2], char **cause)
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return error_sys(cause, "unable to create a pipe for gpg");
	(void)fcntl(p[1], F_SETPIPE_SZ, GPGPROC_PIPE_SIZE);
	return 0;
}

/* Start gpg with stdin from in_fd and stdout to out_fd. */
static struct child *
gpgproc_start(struct crypto *c, int decrypt, int in_fd, int out_fd,
    char **cause)
{
	struct argv	 a = { NULL, 0 };
	struct child	*child = NULL;
	size_t		 i;
	int		 pass_fd = -1;

	/* Symmetric mode and decryption may need a passphrase. */
	if ((decrypt || c->nrecipients == 0) &&
	    gpgproc_passphrase_pipe(c, &pass_fd, cause) != 0)
		return NULL;
	gpgproc_common_args(c, &a, pass_fd);
	argv_add(&a, "--output=-");
	if (decrypt)
		argv_add(&a, "--decrypt");
	else {
		/* zstd already compressed the data: gpg must not try again. */
		argv_add(&a, "--compress-algo=none");
		argv_add(&a, "--trust-model=always");
		if (c->nrecipients == 0)
			argv_add(&a, "--symmetric");
		else {
			argv_add(&a, "--encrypt");
			for (i = 0; i < c->nrecipients; i++)
				argv_add(&a, "--recipient=%s",
				    c->recipients[i]->fpr);
		}
	}
	child = child_spawn(a.v, in_fd, out_fd, pass_fd, cause);
	if (pass_fd != -1)
		close(pass_fd);
	argv_free(&a);
	return child;
}

/*
 * gpg's last human-readable line ("gpg: decryption failed: ..."), without
 * the status lines around it; NULL if it printed none.
 */
static char *
gpgproc_last_message(const char *status)
{
	const char	*p, *line = NULL;
	char		*copy, *q;

	for (p = status; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "gpg: ", 5) == 0)
			line = p;
	}
	if (line == NULL)
		return NULL;
	copy = xstrdup(line);
	copy[strcspn(copy, "\n")] = '\0';
	q = log_quote(copy);
	free(copy);
	return q;
}

/* gpg's own account of a failure, from its status lines. */
static void
gpgproc_explain(const char *what, int decrypt, const char *status,
    char *child_cause, char **cause)
{
	const char	*p;
	char		 keyid[17] = "unknown", *msg;

	if (!decrypt) {
		if ((p = strstr(status, "[GNUPG:] INV_RECP ")) != NULL)
			error_set(cause, "unable to encrypt %s: a recipient "
			    "key is not usable (revoked, expired or not "
			    "trusted)", what);
		else
			error_set(cause, "unable to encrypt %s: %s", what,
			    child_cause);
		return;
	}
	if (strstr(status, "[GNUPG:] BAD_PASSPHRASE") != NULL ||
	    (strstr(status, "[GNUPG:] NEED_PASSPHRASE") != NULL &&
	    strstr(status, "[GNUPG:] DECRYPTION_OKAY") == NULL &&
	    strstr(status, "[GNUPG:] NO_SECKEY") == NULL))
		error_set(cause, "unable to decrypt %s: passphrase missing "
		    "or wrong (--passphrase-file)", what);
	else if ((p = strstr(status, "[GNUPG:] NO_SECKEY ")) != NULL) {
		sscanf(p + strlen("[GNUPG:] NO_SECKEY "), "%16[0-9A-Fa-f]",
		    keyid);
		error_set(cause, "unable to decrypt %s: no secret key for "
		    "key ID %s (wrong --key-file or keyring)", what, keyid);
	} else if (strstr(status, "[GNUPG:] NODATA") != NULL)
		error_set(cause, "unable to decrypt %s: not an OpenPGP "
		    "message (corrupt or truncated)", what);
	else {
		msg = gpgproc_last_message(status);
		error_set(cause, "unable to decrypt %s: %s (wrong key, wrong "
		    "passphrase or corrupt data)", what, msg != NULL ? msg :
		    child_cause != NULL ? child_cause : "gpg failed");
		free(msg);
	}
}

/*
 * Wait for gpg and decide. Decryption also needs DECRYPTION_OKAY and an
 * MDC (DECRYPTION_INFO's first field not 0): gpg 2.2 may still print the
 * plaintext of a legacy message without one.
 */
static int
gpgproc_finish(struct child *child, const char *what, int decrypt,
    char **cause)
{
	char		*status = NULL, *child_cause = NULL;
	const char	*info;
	int		 rc, mdc, aead;

	rc = child_finish(child, &status, &child_cause);
	if (rc == 0 && decrypt) {
		info = strstr(status, "[GNUPG:] DECRYPTION_INFO ");
		mdc = aead = 0;
		if (info != NULL)
			sscanf(info + strlen("[GNUPG:] DECRYPTION_INFO "),
			    "%d %*d %d", &mdc, &aead);
		if (strstr(status, "[GNUPG:] DECRYPTION_OKAY") == NULL ||
		    strstr(status, "[GNUPG:] DECRYPTION_FAILED") != NULL)
			rc = -1;
		else if (info == NULL || (mdc == 0 && aead == 0)) {
			error_set(cause, "unable to decrypt %s: not integrity "
			    "protected (no MDC); refusing it", what);
			rc = -1;
			goto out;
		}
	}
	if (rc != 0)
		gpgproc_explain(what, decrypt, status != NULL ? status : "",
		    child_cause, cause);
out:
	free(status);
	free(child_cause);
	return rc;
}

/* Encryption: the caller writes into gpg; a worker drains it. */
struct gpg_encrypt {
	struct sink	 sink;
	struct sink	*next;
	char		*what;
	struct child	*child;
	int		 in;		/* gpg's stdin, our end */
	int		 out;		/* gpg's stdout, our end */
	pthread_t	 thread;
	int		 running;
	char		*thread_cause;	/* the next stage's failure */
};

static void *
gpg_encrypt_main(void *arg)
{
	struct gpg_encrypt	*g = arg;
	uint8_t			*buf = xmalloc(GPGPROC_BUF_SIZE);
	ssize_t			 n;

	(void)pthread_setname_np(pthread_self(), "gpg-drain");

	for (;;) {
		n = read(g->out, buf, GPGPROC_BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(&g->thread_cause, "unable to read gpg's "
			    "output for %s", g->what);
			break;
		}
		if (n == 0)
			break;
		if (sink_write(g->next, buf, (size_t)n, &g->thread_cause) != 0)
			break;
	}
	/* Closing our end makes gpg, and then a blocked writer, stop. */
	close(g->out);
	g->out = -1;
	free(buf);
	return NULL;
}

/* Stop feeding gpg, wait for the worker and gpg; gpg's verdict. */
static int
gpg_encrypt_join(struct gpg_encrypt *g, char **cause)
{
	char	*gpg_cause = NULL;
	int	 rc = 0;

	if (g->in != -1) {
		close(g->in);
		g->in = -1;
	}
	if (g->running) {
		pthread_join(g->thread, NULL);
		g->running = 0;
	}
	if (g->child != NULL) {
		rc = gpgproc_finish(g->child, g->what, 0, &gpg_cause);
		g->child = NULL;
	}
	/* The next stage's failure is the reason gpg stopped, if any. */
	if (g->thread_cause != NULL)
		rc = error_set(cause, "%s", g->thread_cause);
	else if (rc != 0)
		error_set(cause, "%s", gpg_cause);
	free(gpg_cause);
	return rc;
}

static int
gpg_encrypt_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;

	if (g->in == -1)
		return error_set(cause, "unable to encrypt %s: gpg has "
		    "stopped", g->what);
	if (io_write_all(g->in, buf, len) != 0) {
		if (errno == EPIPE && gpg_encrypt_join(g, cause) != 0)
			return -1;
		return error_sys(cause, "unable to encrypt %s", g->what);
	}
	return 0;
}

static int
gpg_encrypt_finish(struct sink *s, char **cause)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;

	if (gpg_encrypt_join(g, cause) != 0)
		return -1;
	return sink_finish(g->next, cause);
}

static void
gpg_encrypt_free(struct sink *s)
{
	struct gpg_encrypt	*g = (struct gpg_encrypt *)s;

	if (g->child != NULL && g->in != -1) {
		/* Not finished: stop gpg rather than let it publish. */
		close(g->in);
		g->in = -1;
		if (g->running)
			pthread_join(g->thread, NULL);
		g->running = 0;
		child_abort(g->child);
		g->child = NULL;
	}
	gpg_encrypt_join(g, NULL);
	if (g->out != -1)
		close(g->out);
	sink_free(g->next);
	free(g->thread_cause);
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
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 };

	g->sink.ops = &gpg_encrypt_ops;
	g->next = next;
	g->what = xstrdup(what);
	g->in = g->out = -1;
	if (gpgproc_pipe(in, cause) != 0 || gpgproc_pipe(out, cause) != 0)
		goto fail;
	g->child = gpgproc_start(c, 0, in[0], out[1], cause);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	g->in = in[1];
	g->out = out[0];
	if (g->child == NULL)
		goto fail;
	if (pthread_create(&g->thread, NULL, gpg_encrypt_main, g) != 0) {
		error_set(cause, "unable to encrypt %s: no thread", what);
		goto fail;
	}
	g->running = 1;
	return &g->sink;
fail:
	if (in[0] != -1)
		close(in[0]);
	if (out[1] != -1)
		close(out[1]);
	if (g->child != NULL) {
		close(g->in);
		g->in = -1;
		child_abort(g->child);
		g->child = NULL;
	}
	error_prefix(cause, "unable to encrypt %s", what);
	gpg_encrypt_free(&g->sink);
	return NULL;
}

/* Decryption: a worker feeds gpg; the caller reads what it decrypts. */
struct gpg_decrypt_feed {
	crypto_read_fn	 read;
	void		*arg;
	int		 fd;		/* gpg's stdin, our end */
	char		*cause;		/* the reader's failure */
};

static void *
gpg_decrypt_feed_main(void *arg)
{
	struct gpg_decrypt_feed	*f = arg;
	uint8_t			*buf = xmalloc(GPGPROC_BUF_SIZE);
	ssize_t			 n;

	(void)pthread_setname_np(pthread_self(), "gpg-feed");

	for (;;) {
		n = f->read(f->arg, buf, GPGPROC_BUF_SIZE, &f->cause);
		if (n <= 0)
			break;
		/* EPIPE: gpg stopped reading; its verdict comes later. */
		if (io_write_all(f->fd, buf, (size_t)n) != 0)
			break;
	}
	close(f->fd);
	f->fd = -1;
	free(buf);
	return NULL;
}

int
crypto_decrypt(struct crypto *c, const char *what, crypto_read_fn read_fn,
    void *read_arg, struct sink *out, char **cause)
{
	struct gpg_decrypt_feed	 feed = { read_fn, read_arg, -1, NULL };
	struct child		*child = NULL;
	uint8_t			*buf = NULL;
	char			*out_cause = NULL;
	pthread_t		 thread;
	int			 in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	int			 running = 0, rc = -1, gpg_rc;
	ssize_t			 n;

	if (gpgproc_pipe(in, cause) != 0 || gpgproc_pipe(outp, cause) != 0)
		goto out;
	child = gpgproc_start(c, 1, in[0], outp[1], cause);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (child == NULL)
		goto out;
	feed.fd = in[1];
	in[1] = -1;
	if (pthread_create(&thread, NULL, gpg_decrypt_feed_main, &feed) != 0) {
		close(feed.fd);
		error_set(cause, "unable to decrypt %s: no thread", what);
		goto out;
	}
	running = 1;
	buf = xmalloc(GPGPROC_BUF_SIZE);
	for (;;) {
		n = read(outp[0], buf, GPGPROC_BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(&out_cause, "unable to read gpg's output for "
			    "%s", what);
			break;
		}
		if (n == 0 || sink_write(out, buf, (size_t)n, &out_cause) != 0)
			break;
	}
	/* Stop gpg if we stopped early: the feeder then sees EPIPE. */
	close(outp[0]);
	outp[0] = -1;
	pthread_join(thread, NULL);
	running = 0;
	gpg_rc = gpgproc_finish(child, what, 1, cause);
	child = NULL;
	/* The first failure explains the others. */
	if (feed.cause != NULL) {
		free(*cause);
		*cause = NULL;
		error_set(cause, "%s", feed.cause);
	} else if (out_cause != NULL) {
		free(*cause);
		*cause = NULL;
		error_set(cause, "%s", out_cause);
	} else if (gpg_rc == 0)
		rc = 0;
out:
	if (running)
		pthread_join(thread, NULL);
	if (child != NULL)
		child_abort(child);
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	free(feed.cause);
	free(out_cause);
	free(buf);
	return rc;
}
