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
 * Either way, gpg's exit status and its status lines (--status-fd, on a
 * pipe of their own, read whole by the thread that reads gpg's output)
 * decide success: a decryption counts only with DECRYPTION_OKAY, exit 0
 * and integrity protection (MDC). stderr is only context for a message.
 *
 * Decryption is done in process where it can be (crypto_decrypt, at the
 * end): a short gpg run gives the object's session key, pgpdec.c decrypts
 * the rest in the caller's thread, and anything else falls back to the
 * gpg process above, the octets read so far replayed first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/argv.h"
#include "common/child.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/io.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"
#include "pgpdec.h"

#define GPGPROC_BUF_SIZE	(1024 * 1024)
#define GPGPROC_PIPE_SIZE	(1024 * 1024)

/*
 * gpg's status lines (--status-fd), read from their own pipe as gpg writes
 * them, one line at a time: only what decides the verdict is kept, so a
 * long stream (a message to many recipients) costs no memory and cannot
 * push the verdict out of sight. gpg's stderr is human text, for context.
 */
#define GPGPROC_STATUS_LINE	1024
#define GPGPROC_KEYIDS		4

struct gpg_status {
	int	 fd;		/* our end; -1 once gpg closed it */
	char	 line[GPGPROC_STATUS_LINE];
	size_t	 len;
	int	 overlong;	/* the rest of this line is dropped */

	int	 okay;		/* DECRYPTION_OKAY */
	int	 failed;	/* DECRYPTION_FAILED */
	int	 begin;		/* BEGIN_DECRYPTION */
	int	 have_key;	/* DECRYPTION_KEY: a secret key of ours worked */
	int	 symmetric;	/* NEED_PASSPHRASE_SYM */
	int	 plaintext;	/* PLAINTEXT: the literal data began */
	int	 badmdc;	/* BADMDC */
	int	 goodmdc;	/* GOODMDC */
	int	 info, mdc, aead; /* DECRYPTION_INFO mdc_method algo aead */
	int	 nodata;	/* NODATA: no OpenPGP data found */
	int	 bad_passphrase; /* BAD_PASSPHRASE, or ERROR ... 11 */
	int	 no_passphrase;	/* MISSING_PASSPHRASE, or ERROR ... 177 */
	int	 inv_recp;	/* INV_RECP */
	int	 encrypted;	/* END_ENCRYPTION */
	char	 nokey[GPGPROC_KEYIDS * 18]; /* NO_SECKEY key IDs, ", " */
	size_t	 n_nokey;

	/*
	 * SESSION_KEY goes into sk (PGPDEC_KEY_MAX octets) when it is not
	 * NULL; the buffers that held the line are wiped then.
	 */
	uint8_t	*sk;
	size_t	 sk_len;
	int	 sk_algo;
};

/* If line is "[GNUPG:] KEYWORD" or "[GNUPG:] KEYWORD ARGS": ARGS, else NULL. */
static const char *
gpg_status_is(const char *line, const char *keyword)
{
	size_t	len = strlen(keyword);

	if (strncmp(line, "[GNUPG:] ", 9) != 0)
		return NULL;
	line += 9;
	if (strncmp(line, keyword, len) != 0)
		return NULL;
	if (line[len] == '\0')
		return line + len;
	if (line[len] == ' ')
		return line + len + 1;
	return NULL;
}


/* "ERROR location code": the code's gpg-error number, e.g. 11_BAD_... */
static void
gpg_status_error(struct gpg_status *st, const char *args)
{
	const char	*code = strchr(args, ' ');
	unsigned long	 v;

	if (code == NULL)
		return;
	v = strtoul(code + 1, NULL, 10);
	switch (gpg_err_code((gpg_error_t)v)) {
	case GPG_ERR_BAD_PASSPHRASE:
		st->bad_passphrase = 1;
		break;
	case GPG_ERR_NO_PASSPHRASE:
		st->no_passphrase = 1;
		break;
	default:
		break;
	}
}

/* "ALGO:HEX" of SESSION_KEY: an AES key of the length its algorithm has. */
static void
gpg_status_session_key(struct gpg_status *st, const char *args)
{
	size_t	n, want;
	char	*end;
	long	algo;
	int	hi, lo;

	algo = strtol(args, &end, 10);
	if (*end != ':')
		return;
	want = algo == 7 ? 16 : algo == 8 ? 24 : algo == 9 ? 32 : 0;
	if (want == 0 || want > PGPDEC_KEY_MAX || strlen(end + 1) != 2 * want)
		return;
	for (n = 0, end++; n < want; n++, end += 2) {
		hi = hex_digit(end[0]);
		lo = hex_digit(end[1]);
		if (hi < 0 || lo < 0) {
			explicit_bzero(st->sk, PGPDEC_KEY_MAX);
			return;
		}
		st->sk[n] = (uint8_t)(hi << 4 | lo);
	}
	st->sk_len = want;
	st->sk_algo = (int)algo;
}

static void
gpg_status_line(struct gpg_status *st, const char *line)
{
	const char	*a;
	char		 id[17];
	size_t		 len;

	if (gpg_status_is(line, "DECRYPTION_OKAY") != NULL)
		st->okay = 1;
	else if (gpg_status_is(line, "DECRYPTION_FAILED") != NULL)
		st->failed = 1;
	else if (gpg_status_is(line, "BEGIN_DECRYPTION") != NULL)
		st->begin = 1;
	else if (gpg_status_is(line, "DECRYPTION_KEY") != NULL)
		st->have_key = 1;
	else if (gpg_status_is(line, "NEED_PASSPHRASE_SYM") != NULL)
		st->symmetric = 1;
	else if (gpg_status_is(line, "PLAINTEXT") != NULL)
		st->plaintext = 1;
	else if (gpg_status_is(line, "BADMDC") != NULL)
		st->badmdc = 1;
	else if (gpg_status_is(line, "GOODMDC") != NULL)
		st->goodmdc = 1;
	else if ((a = gpg_status_is(line, "DECRYPTION_INFO")) != NULL) {
		st->info = 1;
		st->mdc = st->aead = 0;
		sscanf(a, "%d %*d %d", &st->mdc, &st->aead);
	} else if (gpg_status_is(line, "NODATA") != NULL)
		st->nodata = 1;
	else if (gpg_status_is(line, "BAD_PASSPHRASE") != NULL)
		st->bad_passphrase = 1;
	else if (gpg_status_is(line, "MISSING_PASSPHRASE") != NULL)
		st->no_passphrase = 1;
	else if (gpg_status_is(line, "INV_RECP") != NULL)
		st->inv_recp = 1;
	else if (gpg_status_is(line, "END_ENCRYPTION") != NULL)
		st->encrypted = 1;
	else if ((a = gpg_status_is(line, "ERROR")) != NULL)
		gpg_status_error(st, a);
	else if (st->sk != NULL &&
	    (a = gpg_status_is(line, "SESSION_KEY")) != NULL)
		gpg_status_session_key(st, a);
	else if ((a = gpg_status_is(line, "NO_SECKEY")) != NULL) {
		if (sscanf(a, "%16[0-9A-Fa-f]", id) != 1 ||
		    st->n_nokey >= GPGPROC_KEYIDS)
			return;
		len = strlen(st->nokey);
		snprintf(st->nokey + len, sizeof st->nokey - len, "%s%s",
		    st->n_nokey++ > 0 ? ", " : "", id);
	}
}

/* One read from the status pipe; lines are parsed as they complete. */
static void
gpg_status_pump(struct gpg_status *st)
{
	char	buf[4096];
	ssize_t	n, i;

	n = read(st->fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End (or a broken pipe): a partial last line still counts. */
		if (st->len > 0 && !st->overlong) {
			st->line[st->len] = '\0';
			gpg_status_line(st, st->line);
		}
		if (st->sk != NULL)
			explicit_bzero(st->line, sizeof st->line);
		st->len = 0;
		close(st->fd);
		st->fd = -1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			st->line[st->len] = '\0';
			gpg_status_line(st, st->line);
			if (st->sk != NULL)
				explicit_bzero(st->line, sizeof st->line);
			st->len = 0;
			st->overlong = 0;
		} else if (st->len < sizeof st->line - 1)
			st->line[st->len++] = buf[i];
		else
			st->overlong = 1;	/* keyword kept, tail dropped */
	}
	if (st->sk != NULL)
		explicit_bzero(buf, sizeof buf);
}

/* Read status lines until gpg closes its end. */
static void
gpg_status_drain(struct gpg_status *st)
{
	while (st->fd != -1)
		gpg_status_pump(st);
}

static void
gpg_status_close(struct gpg_status *st)
{
	if (st->fd != -1)
		close(st->fd);
	st->fd = -1;
}

/*
 * read() from gpg's output, reading its status lines meanwhile: gpg blocks
 * if nobody reads them, and then never finishes its output.
 */
static ssize_t
gpgproc_read(int fd, struct gpg_status *st, void *buf, size_t len)
{
	struct pollfd	pfd[2];

	while (st->fd != -1) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = st->fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents != 0)
			gpg_status_pump(st);
		if (pfd[0].revents != 0)
			break;
	}
	return read(fd, buf, len);
}

/* The arguments every run shares. */
static void
gpgproc_common_args(struct crypto *c, struct argv *a, int pass_fd,
    int status_fd)
{
	argv_add(a, "%s", c->engine);
	argv_add(a, "--batch");
	argv_add(a, "--no-tty");
	/* Not --quiet: it also silences the NO_SECKEY status line. */
	argv_add(a, "--no-greeting");
	argv_add(a, "--no-permission-warning");
	if (c->home != NULL)
		argv_add(a, "--homedir=%s", c->home);
	argv_add(a, "--status-fd=%d", status_fd);
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

enum gpgproc_mode {
	GPGPROC_ENCRYPT,
	GPGPROC_DECRYPT,
	/*
	 * Decrypt only to print the session key (--show-session-key), for
	 * pgpdec.c. gpg also logs it on stderr: stderr, stdout and gpg's
	 * log file all go to /dev/null, and nothing of it is kept.
	 */
	GPGPROC_SESSION_KEY,
};

/*
 * Start gpg with stdin from in_fd and stdout to out_fd; st gets our end of
 * its status pipe.
 */
static struct child *
gpgproc_start(struct crypto *c, enum gpgproc_mode mode, int in_fd,
    int out_fd, struct gpg_status *st, char **cause)
{
	struct argv	 a = { NULL, 0 };
	struct child	*child = NULL;
	size_t		 i, nkeep = 0;
	int		 pass_fd = -1, sp[2] = { -1, -1 }, keep[2];
	int		 decrypt = mode != GPGPROC_ENCRYPT;

	memset(st, 0, sizeof *st);
	st->fd = -1;
	if (pipe2(sp, O_CLOEXEC) != 0) {
		error_sys(cause, "unable to create a pipe for gpg");
		return NULL;
	}
	/* Symmetric mode and decryption may need a passphrase. */
	if ((decrypt || c->nrecipients == 0) &&
	    gpgproc_passphrase_pipe(c, &pass_fd, cause) != 0)
		goto out;
	gpgproc_common_args(c, &a, pass_fd, sp[1]);
	argv_add(&a, "--output=-");
	if (mode == GPGPROC_SESSION_KEY) {
		/* After the user's gpg.conf: its log-file gets nothing. */
		argv_add(&a, "--log-file=/dev/null");
		argv_add(&a, "--show-session-key");
	}
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
	keep[nkeep++] = sp[1];
	if (pass_fd != -1)
		keep[nkeep++] = pass_fd;
	if (mode == GPGPROC_SESSION_KEY)
		child = child_spawn_quiet(a.v, in_fd, -1, keep, nkeep, cause);
	else
		child = child_spawn_keep(a.v, in_fd, out_fd, keep, nkeep,
		    cause);
	if (child != NULL) {
		st->fd = sp[0];
		sp[0] = -1;
	}
out:
	if (pass_fd != -1)
		close(pass_fd);
	if (sp[0] != -1)
		close(sp[0]);
	close(sp[1]);	/* gpg holds the only writer: EOF when it exits */
	argv_free(&a);
	return child;
}

/*
 * gpg's last human-readable line ("gpg: decryption failed: ..."); NULL if
 * it printed none.
 */
static char *
gpgproc_last_message(const char *text)
{
	const char	*p, *line = NULL;
	char		*copy, *q;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
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

/*
 * A failed decryption, classified from the status lines. Only what proves
 * the data wrong is damage: a key or passphrase we lack is not.
 */
static enum crypto_failure
gpgproc_explain_decrypt(const char *what, const struct gpg_status *st,
    const char *text, const char *child_cause, char **cause)
{
	char	*msg;

	if (st->badmdc) {
		error_set(cause, "%s is corrupt: its OpenPGP integrity check "
		    "(MDC) failed", what);
		return CRYPTO_DAMAGED;
	}
	if (st->bad_passphrase) {
		error_set(cause, "unable to decrypt %s: wrong passphrase "
		    "(--passphrase-file)", what);
		return CRYPTO_BAD_PASSPHRASE;
	}
	if (st->no_passphrase) {
		error_set(cause, "unable to decrypt %s: a passphrase is needed "
		    "and none was given (--passphrase-file)", what);
		return CRYPTO_BAD_PASSPHRASE;
	}
	if (st->n_nokey > 0 && !st->have_key && !st->okay) {
		error_set(cause, "unable to decrypt %s: no secret key for this "
		    "set (encrypted to %s): give --key-file with the secret "
		    "key", what, st->nokey);
		return CRYPTO_NO_KEY;
	}
	if (st->nodata && !st->begin) {
		error_set(cause, "%s is corrupt: not an OpenPGP message", what);
		return CRYPTO_DAMAGED;
	}
	/* The key was right (or the literal data began): the data is not. */
	if (st->failed && (st->have_key || st->plaintext)) {
		error_set(cause, "%s is corrupt: decryption failed after it "
		    "began (truncated or altered)", what);
		return CRYPTO_DAMAGED;
	}
	msg = gpgproc_last_message(text);
	error_set(cause, "unable to decrypt %s: %s%s", what, msg != NULL ?
	    msg : child_cause != NULL ? child_cause : "gpg failed",
	    st->symmetric ? " (wrong passphrase?)" : "");
	free(msg);
	return CRYPTO_FAILED;
}

/*
 * Wait for gpg and decide. Decryption needs exit 0, DECRYPTION_OKAY, no
 * DECRYPTION_FAILED or BADMDC, and integrity protection (GOODMDC, or an MDC
 * or AEAD method in DECRYPTION_INFO): gpg 2.2 may still print the
 * plaintext of a legacy message without one.
 */
static int
gpgproc_finish(struct child *child, struct gpg_status *st, const char *what,
    int decrypt, enum crypto_failure *failure, char **cause)
{
	char			*text = NULL, *child_cause = NULL;
	enum crypto_failure	 f = CRYPTO_OK;
	int			 rc;

	gpg_status_drain(st);
	rc = child_finish(child, &text, &child_cause);
	if (!decrypt) {
		if (rc != 0 && st->inv_recp)
			error_set(cause, "unable to encrypt %s: a recipient "
			    "key is not usable (revoked, expired or not "
			    "trusted)", what);
		else if (rc != 0)
			error_set(cause, "unable to encrypt %s: %s", what,
			    child_cause);
		/* gpg says END_ENCRYPTION once its output is complete. */
		else if (!st->encrypted)
			rc = error_set(cause, "unable to encrypt %s: gpg "
			    "exited without finishing it", what);
		f = rc != 0 ? CRYPTO_FAILED : CRYPTO_OK;
		goto out;
	}
	if (rc == 0 && (!st->okay || st->failed || st->badmdc))
		rc = -1;
	if (rc != 0)
		f = gpgproc_explain_decrypt(what, st, text != NULL ? text : "",
		    child_cause, cause);
	else if (!st->goodmdc && (!st->info || (st->mdc == 0 &&
	    st->aead == 0))) {
		error_set(cause, "%s is corrupt: not integrity protected (no "
		    "MDC); refusing it", what);
		f = CRYPTO_DAMAGED;
		rc = -1;
	}
out:
	if (failure != NULL)
		*failure = f;
	free(text);
	free(child_cause);
	return rc;
}

/* Encryption: the caller writes into gpg; a worker drains it. */
struct gpg_encrypt {
	struct sink	 sink;
	struct sink	*next;
	char		*what;
	struct child	*child;
	struct gpg_status status;	/* read by the worker, then at join */
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
		n = gpgproc_read(g->out, &g->status, buf, GPGPROC_BUF_SIZE);
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
		rc = gpgproc_finish(g->child, &g->status, g->what, 0, NULL,
		    &gpg_cause);
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
	gpg_status_close(&g->status);
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
	g->status.fd = -1;
	if (gpgproc_pipe(in, cause) != 0 || gpgproc_pipe(out, cause) != 0)
		goto fail;
	g->child = gpgproc_start(c, GPGPROC_ENCRYPT, in[0], out[1], &g->status,
	    cause);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	g->in = in[1];
	g->out = out[0];
	if (g->child == NULL)
		goto fail;
	if (pthread_create(&g->thread, NULL, gpg_encrypt_main, g) != 0) {
		error_set(cause, "no thread could be started for gpg");
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

/*
 * The first octets of an object, read before deciding who decrypts it
 * (pgpdec.c or gpg): enough for every PKESK packet of a message to a few
 * dozen keys and the first chunk of its encrypted data.
 */
#define GPGPROC_HEAD_SIZE	(64 * 1024)
/* Octets of encrypted data gpg gets to find the session key. */
#define GPGPROC_SK_BODY		512

struct gpgproc_head {
	uint8_t	*buf;
	size_t	 len;
	int	 eof;	/* the reader ended within it */
};

/* Decryption: a worker feeds gpg; the caller reads what it decrypts. */
struct gpg_decrypt_feed {
	crypto_read_fn	 read;
	void		*arg;
	int		 fd;		/* gpg's stdin, our end */
	char		*cause;		/* the reader's failure */
	const uint8_t	*pre;		/* read already (the head): first */
	size_t		 pre_len;
	int		 eof;		/* and the reader has nothing more */
};

static void *
gpg_decrypt_feed_main(void *arg)
{
	struct gpg_decrypt_feed	*f = arg;
	uint8_t			*buf = xmalloc(GPGPROC_BUF_SIZE);
	ssize_t			 n;

	(void)pthread_setname_np(pthread_self(), "gpg-feed");

	if (f->pre_len > 0 && io_write_all(f->fd, f->pre, f->pre_len) != 0)
		goto out;
	while (!f->eof) {
		n = f->read(f->arg, buf, GPGPROC_BUF_SIZE, &f->cause);
		if (n <= 0)
			break;
		/* EPIPE: gpg stopped reading; its verdict comes later. */
		if (io_write_all(f->fd, buf, (size_t)n) != 0)
			break;
	}
out:
	close(f->fd);
	f->fd = -1;
	free(buf);
	return NULL;
}

/*
 * Decryption by gpg itself: the whole object through one gpg process.
 * The head (what crypto_decrypt read already, up to the reader's end if
 * eof) goes first.
 */
static int
gpgproc_decrypt(struct crypto *c, const char *what, crypto_read_fn read_fn,
    void *read_arg, const struct gpgproc_head *hd, struct sink *out,
    enum crypto_failure *failure, char **cause)
{
	struct gpg_decrypt_feed	 feed = { read_fn, read_arg, -1, NULL, NULL, 0,
				     0 };
	struct gpg_status	 status;
	struct child		*child = NULL;
	uint8_t			*buf = NULL;
	char			*out_cause = NULL;
	pthread_t		 thread;
	int			 in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	int			 running = 0, rc = -1, gpg_rc;
	ssize_t			 n;

	status.fd = -1;
	if (failure != NULL)
		*failure = CRYPTO_FAILED;
	/* As for encryption: say what could not be decrypted. */
	if (gpgproc_pipe(in, cause) != 0 || gpgproc_pipe(outp, cause) != 0) {
		error_prefix(cause, "unable to decrypt %s", what);
		goto out;
	}
	child = gpgproc_start(c, GPGPROC_DECRYPT, in[0], outp[1], &status,
	    cause);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (child == NULL) {
		error_prefix(cause, "unable to decrypt %s", what);
		goto out;
	}
	feed.fd = in[1];
	in[1] = -1;
	if (hd != NULL) {
		feed.pre = hd->buf;
		feed.pre_len = hd->len;
		feed.eof = hd->eof;
	}
	if (pthread_create(&thread, NULL, gpg_decrypt_feed_main, &feed) != 0) {
		close(feed.fd);
		error_set(cause, "unable to decrypt %s: no thread", what);
		goto out;
	}
	running = 1;
	buf = xmalloc(GPGPROC_BUF_SIZE);
	for (;;) {
		n = gpgproc_read(outp[0], &status, buf, GPGPROC_BUF_SIZE);
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
	gpg_rc = gpgproc_finish(child, &status, what, 1, failure, cause);
	child = NULL;
	/* The first failure explains the others: not gpg's verdict then. */
	if (feed.cause != NULL || out_cause != NULL) {
		free(*cause);
		*cause = NULL;
		error_set(cause, "%s", feed.cause != NULL ? feed.cause :
		    out_cause);
		if (failure != NULL)
			*failure = CRYPTO_FAILED;
	} else if (gpg_rc == 0)
		rc = 0;
out:
	if (running)
		pthread_join(thread, NULL);
	if (child != NULL)
		child_abort(child);
	gpg_status_close(&status);
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

/*
 * The session key of the message whose head is hd, from a gpg that reads
 * its PKESK packets and the start of its encrypted data (re-framed with a
 * definite length, so that gpg need not wait for a whole chunk of 8 KiB or
 * more). gpg then fails on the cut message; only SESSION_KEY counts. 0
 * with key, *keylen and *algo, or -1 for any failure: gpg then decrypts
 * the object as before and names that failure (a key we lack is never
 * called damage). Nothing gpg prints is kept.
 */
static int
gpgproc_session_key(struct crypto *c, const struct gpgproc_head *hd,
    const struct pgpdec_head *h, uint8_t key[PGPDEC_KEY_MAX], size_t *keylen,
    int *algo)
{
	struct gpg_status	 st;
	struct child		*child;
	uint8_t			 hdr[3];
	size_t			 body, hlen;
	char			*cause = NULL;
	int			 in[2] = { -1, -1 }, rc = -1;

	memset(&st, 0, sizeof st);
	st.fd = -1;
	body = h->first < GPGPROC_SK_BODY ? h->first : GPGPROC_SK_BODY;
	hdr[0] = 0xd2;	/* new format, tag 18 (SEIPD) */
	if (body < 192) {
		hdr[1] = (uint8_t)body;
		hlen = 2;
	} else {
		hdr[1] = (uint8_t)(((body - 192) >> 8) + 192);
		hdr[2] = (uint8_t)((body - 192) & 0xff);
		hlen = 3;
	}
	if (gpgproc_pipe(in, &cause) != 0)
		goto out;
	child = gpgproc_start(c, GPGPROC_SESSION_KEY, in[0], -1, &st, &cause);
	close(in[0]);
	in[0] = -1;
	if (child == NULL)
		goto out;
	st.sk = key;
	/* A short write (EPIPE: gpg gave up early) shows in its status. */
	if (io_write_all(in[1], hd->buf, h->seipd) == 0 &&
	    io_write_all(in[1], hdr, hlen) == 0)
		(void)io_write_all(in[1], hd->buf + h->body, body);
	close(in[1]);
	in[1] = -1;
	gpg_status_drain(&st);
	(void)child_finish(child, NULL, &cause);
	if (st.sk_len != 0) {
		*keylen = st.sk_len;
		*algo = st.sk_algo;
		rc = 0;
	}
out:
	gpg_status_close(&st);
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	free(cause);
	return rc;
}

/* Up to GPGPROC_HEAD_SIZE octets from the reader, fewer at its end. */
static int
gpgproc_read_head(crypto_read_fn read_fn, void *read_arg,
    struct gpgproc_head *hd, char **cause)
{
	ssize_t	n;

	hd->buf = xmalloc(GPGPROC_HEAD_SIZE);
	while (hd->len < GPGPROC_HEAD_SIZE) {
		n = read_fn(read_arg, hd->buf + hd->len, GPGPROC_HEAD_SIZE -
		    hd->len, cause);
		if (n < 0)
			return -1;
		if (n == 0) {
			hd->eof = 1;
			break;
		}
		hd->len += (size_t)n;
	}
	return 0;
}

/* The rest of the object after the head, through d; then its end. */
static int
gpgproc_inproc_rest(struct pgpdec *d, crypto_read_fn read_fn,
    void *read_arg, int *reader_failed, char **cause)
{
	uint8_t	*buf = xmalloc(GPGPROC_BUF_SIZE);
	ssize_t	 n;
	int	 rc;

	for (;;) {
		n = read_fn(read_arg, buf, GPGPROC_BUF_SIZE, cause);
		if (n < 0) {
			*reader_failed = 1;
			rc = -1;
			break;
		}
		if (n == 0) {
			rc = pgpdec_finish(d, cause);
			break;
		}
		if ((rc = pgpdec_write(d, buf, (size_t)n, cause)) != 0)
			break;
	}
	free(buf);
	return rc;
}

/*
 * Decryption in process (pgpdec.c), if the object has the shape tresor
 * writes and gpg gives its session key: 0, -1 with *failure and *cause,
 * or PGPDEC_NOT_HANDLED with nothing written to out, and the head read
 * so far in hd for gpg.
 */
static int
gpgproc_inproc(struct crypto *c, const char *what, crypto_read_fn read_fn,
    void *read_arg, struct sink *out, struct gpgproc_head *hd,
    int hashed, enum crypto_failure *failure, char **cause)
{
	struct pgpdec_head	 h;
	struct pgpdec		*d = NULL;
	uint8_t			 key[PGPDEC_KEY_MAX];
	size_t			 keylen = 0;
	int			 algo = 0, rc = PGPDEC_NOT_HANDLED;
	int			 reader_failed = 0;

	explicit_bzero(key, sizeof key);
	if (gpgproc_read_head(read_fn, read_arg, hd, cause) != 0) {
		reader_failed = 1;
		rc = -1;
		goto verdict;
	}
	if (pgpdec_head(hd->buf, hd->len, &h) != 0 ||
	    gpgproc_session_key(c, hd, &h, key, &keylen, &algo) != 0)
		goto out;
	d = pgpdec_new(what, algo, key, keylen, out);
	explicit_bzero(key, sizeof key);
	if (d == NULL)
		goto out;
	if (hashed)
		pgpdec_skip_mdc(d);
	rc = pgpdec_write(d, hd->buf + h.seipd, hd->len - h.seipd, cause);
	if (rc == 0 && hd->eof)
		rc = pgpdec_finish(d, cause);
	else if (rc == 0 && !pgpdec_started(d))
		rc = PGPDEC_NOT_HANDLED;	/* undecided in the head */
	else if (rc == 0)
		rc = gpgproc_inproc_rest(d, read_fn, read_arg, &reader_failed,
		    cause);
	if (rc == PGPDEC_NOT_HANDLED)
		goto out;
	pgpdec_count_object();
verdict:
	if (rc == 0 && failure != NULL)
		*failure = CRYPTO_OK;
	else if (rc != 0 && failure != NULL)
		*failure = reader_failed ? CRYPTO_FAILED : pgpdec_failure(d);
	if (rc != 0 && *cause == NULL)
		error_set(cause, "unable to decrypt %s", what);
out:
	explicit_bzero(key, sizeof key);
	pgpdec_free(d);
	return rc;
}

/*
 * TRESOR_DECRYPT=gpg: every object through gpg, as before pgpdec.c (for
 * benchmarks and tests).
 */
static int
gpgproc_inproc_wanted(void)
{
	const char	*v = getenv("TRESOR_DECRYPT");

	return v == NULL || strcmp(v, "gpg") != 0;
}

static int
crypto_decrypt_with(struct crypto *c, const char *what, crypto_read_fn read_fn,
    void *read_arg, struct sink *out, int hashed,
    enum crypto_failure *failure, char **cause)
{
	struct gpgproc_head	hd = { NULL, 0, 0 };
	int			rc;

	if (failure != NULL)
		*failure = CRYPTO_FAILED;
	if (!gpgproc_inproc_wanted())
		return gpgproc_decrypt(c, what, read_fn, read_arg, NULL, out,
		    failure, cause);
	rc = gpgproc_inproc(c, what, read_fn, read_arg, out, &hd, hashed,
	    failure, cause);
	if (rc == PGPDEC_NOT_HANDLED)
		rc = gpgproc_decrypt(c, what, read_fn, read_arg, &hd, out,
		    failure, cause);
	free(hd.buf);
	return rc;
}

int
crypto_decrypt(struct crypto *c, const char *what, crypto_read_fn read_fn,
    void *read_arg, struct sink *out, enum crypto_failure *failure,
    char **cause)
{
	return crypto_decrypt_with(c, what, read_fn, read_arg, out, 0, failure,
	    cause);
}

int
crypto_decrypt_hashed(struct crypto *c, const char *what,
    crypto_read_fn read_fn, void *read_arg, struct sink *out,
    enum crypto_failure *failure, char **cause)
{
	return crypto_decrypt_with(c, what, read_fn, read_arg, out, 1, failure,
	    cause);
}
