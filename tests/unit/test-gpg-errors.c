/*
 * test-gpg-errors.c: the failure paths of format/filter/gpg.c, sign.c and
 * gpgproc.c (keys, seal signatures and decryption through gpgme, gpg and
 * gpgv), called directly. A fake gpg and gpgv first in PATH (written here,
 * like the ones of tests/integration/gpg-faults.sh) run the real ones,
 * except for the run whose arguments hold $FAKE_GPG_ON (gpg) or
 * $FAKE_GPGV_ON (gpgv), the $FAKE_NTH-th such run when that is set: that
 * run exits 2 ($FAKE_DO exit), prints $FAKE_STATUS on its status
 * descriptor and exits $FAKE_RC (status), or writes 5 MB (big). So gpgv's
 * every verdict is met with status lines gpg would not write for a real
 * key (an unknown primary key, no primary in VALIDSIG, a time past the
 * end of the calendar), gpgme meets a gpg that fails or says nonsense,
 * and the session key's run gives keys that are no keys. Besides: a
 * private home that cannot be made (TMPDIR not there), a gpg.conf that
 * cannot be written or removed, a passphrase file holding an empty line,
 * an ambiguous --encrypt-key, a key that cannot sign, a reader failing
 * under crypto_decrypt, an agent socket that does not answer KILLAGENT,
 * and a hard stop removing the private homes. Every failure must be one
 * line with its words, and no private home may be left.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/crypto.intern.h"
#include "format/filter/sign.h"
#include "format/record.h"
#include "tests/tap.h"

#define TEXT	"tresor-seal 1\nsequence 7\n"

/* A fake fingerprint: no key of the test has it. */
#define NOFPR	"0123456789ABCDEF0123456789ABCDEF01234567"

static char	*work;		/* a temporary directory, removed at the end */
static char	*tmpdir;	/* TMPDIR for the private homes */

/* The coverage build's counters, written before a hard stop kills us. */
extern void	__gcov_dump(void) __attribute__((weak));

static int
run(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *full;
	int	 rc;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		abort();
	va_end(ap);
	full = xasprintf("cd '%s' && export GNUPGHOME='%s/home' && { %s; } "
	    ">>log 2>&1", work, work, cmd);
	rc = system(full);
	free(cmd);
	free(full);
	return rc;
}

static char *
slurp(const char *name, size_t *len)
{
	char	*path = xasprintf("%s/%s", work, name), *buf = NULL;
	FILE	*f = fopen(path, "r");
	size_t	 n = 0;

	free(path);
	if (f == NULL)
		return NULL;
	buf = xmalloc(8 * 1024 * 1024);
	n = fread(buf, 1, 8 * 1024 * 1024 - 1, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", work, name);
}

/* A key's primary fingerprint, by its user id. */
static char *
fingerprint(const char *uid)
{
	char	*list, *p;
	size_t	 len;
	char	 fpr[41];

	if (run("gpg --batch --with-colons --list-keys '=%s' >fpr.txt",
	    uid) != 0 || (list = slurp("fpr.txt", &len)) == NULL)
		return xstrdup("?");
	p = strstr(list, "\nfpr:");
	if (p == NULL || sscanf(p, "\nfpr:::::::::%40[0-9A-F]:", fpr) != 1)
		strcpy(fpr, "?");
	free(list);
	return xstrdup(fpr);
}

/* The fake's switches for the next runs; NULL clears one. */
static void
fake(const char *gpg_on, const char *gpgv_on, const char *how,
    const char *status, const char *rc, const char *nth)
{
	const char	*names[] = { "FAKE_GPG_ON", "FAKE_GPGV_ON", "FAKE_DO",
			    "FAKE_STATUS", "FAKE_RC", "FAKE_NTH" };
	const char	*values[] = { gpg_on, gpgv_on, how, status, rc, nth };
	size_t		 i;
	char		*count = path_of("fake.count");

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (values[i] != NULL)
			setenv(names[i], values[i], 1);
		else
			unsetenv(names[i]);
	}
	unlink(count);
	free(count);
}

/* tmpl with each "@F" replaced by fpr. Allocated. */
static char *
subst(const char *tmpl, const char *fpr)
{
	char		*out = xstrdup(""), *next;
	const char	*at;

	while ((at = strstr(tmpl, "@F")) != NULL) {
		next = xasprintf("%s%.*s%s", out, (int)(at - tmpl), tmpl, fpr);
		free(out);
		out = next;
		tmpl = at + 2;
	}
	next = xasprintf("%s%s", out, tmpl);
	free(out);
	return next;
}

/* A failure's cause: one line, holding `words`. */
static int
said(int failed, const char *cause, const char *words)
{
	return failed && cause != NULL && strchr(cause, '\n') == NULL &&
	    strstr(cause, words) != NULL;
}

#define SHOW(c)	((c) != NULL ? (c) : "(none)")

/* No private home left in tmpdir. */
static int
no_home_left(void)
{
	char	*cmd = xasprintf("ls -A '%s' | grep -q .", tmpdir);
	int	 rc = system(cmd);

	free(cmd);
	return rc != 0;
}

static void
write_fake(const char *name, const char *real, const char *on_var)
{
	char	*path = xasprintf("%s/bin/%s", work, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		abort();
	fprintf(f, "#!/bin/sh\n"
	    "# Fake %s (tests/unit/test-gpg-errors.c).\n"
	    "case \" $* \" in *\" --version \"*) exec '%s' \"$@\" ;; esac\n"
	    "on=${%s:-}\n"
	    "if [ -n \"$on\" ]; then\n"
	    "  case \" $* \" in\n"
	    "  *\" $on\"*)\n"
	    "    n=1\n"
	    "    if [ -n \"${FAKE_NTH:-}\" ]; then\n"
	    "      n=$(( $(cat '%s/fake.count' 2>/dev/null || echo 0) + 1 ))\n"
	    "      echo $n >'%s/fake.count'\n"
	    "    fi\n"
	    "    if [ \"$n\" = \"${FAKE_NTH:-1}\" ]; then\n"
	    "      fd=2 prev=\n"
	    "      for a; do\n"
	    "        case $a in --status-fd=*) fd=${a#--status-fd=} ;; esac\n"
	    "        [ \"$prev\" = --status-fd ] && fd=$a\n"
	    "        prev=$a\n"
	    "      done\n"
	    "      case ${FAKE_DO:-exit} in\n"
	    "      exit) echo 'fake %s: failing' >&2; exit 2 ;;\n"
	    "      status) cat >/dev/null; printf \"$FAKE_STATUS\" >/dev/fd/$fd\n"
	    "        exit ${FAKE_RC:-2} ;;\n"
	    "      big) cat >/dev/null; head -c 5000000 /dev/zero; exit 0 ;;\n"
	    "      esac\n"
	    "    fi ;;\n"
	    "  esac\n"
	    "fi\n"
	    "exec '%s' \"$@\"\n", name, real, on_var, work, work, name, real);
	fclose(f);
	chmod(path, 0755);
	free(path);
}

/* A sink collecting into memory. */
struct mem_sink {
	struct sink	sink;
	struct recbuf	buf;
};

static int
mem_write(struct sink *s, const void *p, size_t len, char **cause)
{
	(void)cause;
	recbuf_bytes(&((struct mem_sink *)s)->buf, p, len);
	return 0;
}

static int
mem_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
mem_free(struct sink *s)
{
	(void)s;	/* the test's */
}

static const struct sink_ops mem_ops = { "mem", mem_write, mem_finish,
	mem_free };

static void
mem_init(struct mem_sink *m)
{
	memset(m, 0, sizeof *m);
	m->sink.ops = &mem_ops;
}

/* A reader of a buffer that fails once `fail_at` octets are read. */
struct reader {
	const char	*p;
	size_t		 len, off, fail_at;
	int		 say;		/* the failure has a cause */
};

static ssize_t
reader_read(void *arg, void *buf, size_t len, char **cause)
{
	struct reader	*r = arg;
	size_t		 n = r->len - r->off;

	if (r->off >= r->fail_at) {
		if (r->say)
			error_set(cause, "the test's reader failed");
		return -1;
	}
	if (n > r->fail_at - r->off)
		n = r->fail_at - r->off;
	if (n > len)
		n = len;
	memcpy(buf, r->p + r->off, n);
	r->off += n;
	return (ssize_t)n;
}

/* Decrypt msg (len octets) with c; the reader fails at fail_at. */
static int
decrypt(struct crypto *c, const char *msg, size_t len, size_t fail_at,
    int say, struct mem_sink *m, enum crypto_failure *f, char **cause)
{
	struct reader	r = { msg, len, 0, fail_at, say };

	mem_init(m);
	return crypto_decrypt(c, "object 't'", reader_read, &r, &m->sink, f,
	    cause);
}

static void
test_decrypt(void)
{
	struct crypto_options	 o;
	struct crypto		*c;
	struct mem_sink		 m;
	enum crypto_failure	 f;
	char			*cause = NULL, *msg, *plain, *big, *bigplain;
	size_t			 len, plen, blen, bplen;
	int			 rc;

	tap_ok(run("head -c 300000 /dev/urandom >plain && gpg --batch "
	    "--trust-model always --compress-algo none -r =e -o msg.gpg "
	    "--encrypt plain && head -c 3000000 /dev/urandom >bigplain && "
	    "gpg --batch --trust-model always --compress-algo none -r =e "
	    "-o big.gpg --encrypt bigplain") == 0, "messages encrypted");
	msg = slurp("msg.gpg", &len);
	plain = slurp("plain", &plen);
	big = slurp("big.gpg", &blen);
	bigplain = slurp("bigplain", &bplen);
	memset(&o, 0, sizeof o);
	o.key_file = path_of("e.sec");
	c = crypto_new(&o, 1, &cause);
	free((char *)o.key_file);
	tap_ok(c != NULL && msg != NULL && plain != NULL && big != NULL &&
	    bigplain != NULL, "the secret key imports: %s", SHOW(cause));
	if (c == NULL || msg == NULL || plain == NULL || big == NULL ||
	    bigplain == NULL)
		goto out;

	rc = decrypt(c, msg, len, (size_t)-1, 0, &m, &f, &cause);
	tap_ok(rc == 0 && f == CRYPTO_OK && m.buf.len == plen &&
	    memcmp(m.buf.data, plain, plen) == 0, "the message decrypts: %s",
	    SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	/* The reader failing: in its head, after it, under gpg. */
	rc = decrypt(c, msg, len, 0, 0, &m, &f, &cause);
	tap_ok(said(rc == -1, cause, "unable to decrypt object 't'") &&
	    f == CRYPTO_FAILED && m.buf.len == 0, "a reader failing at once "
	    "without a word: %s", SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	rc = decrypt(c, msg, len, 200000, 1, &m, &f, &cause);
	tap_ok(said(rc == -1, cause, "the test's reader failed") &&
	    f == CRYPTO_FAILED, "a reader failing after the head: %s",
	    SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	setenv("TRESOR_DECRYPT", "gpg", 1);
	rc = decrypt(c, msg, len, 200000, 1, &m, &f, &cause);
	tap_ok(said(rc == -1, cause, "the test's reader failed") &&
	    f == CRYPTO_FAILED, "a reader failing under gpg: %s",
	    SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	/* gpg --decrypt: no integrity protection said; failing at once. */
	fake("--decrypt", NULL, "status", "[GNUPG:] BEGIN_DECRYPTION\n"
	    "[GNUPG:] DECRYPTION_INFO 0 9 0\n[GNUPG:] PLAINTEXT 62 0\n"
	    "[GNUPG:] DECRYPTION_OKAY\n[GNUPG:] END_DECRYPTION\n", "0", NULL);
	rc = decrypt(c, msg, len, (size_t)-1, 0, &m, &f, &cause);
	tap_ok(said(rc == -1, cause, "not integrity protected") &&
	    f == CRYPTO_DAMAGED, "gpg says no MDC, no AEAD: %s",
	    SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	fake("--decrypt", NULL, "exit", NULL, NULL, NULL);
	rc = decrypt(c, big, blen, (size_t)-1, 0, &m, &f, &cause);
	tap_ok(said(rc == -1, cause, "unable to decrypt object 't'") &&
	    f == CRYPTO_FAILED && m.buf.len == 0, "gpg failing without "
	    "reading 3 MB: %s", SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	unsetenv("TRESOR_DECRYPT");

	/* The session key's run saying nonsense: gpg decrypts it all. */
	fake("--show-session-key", NULL, "status", "not a status line\n"
	    "[GNUPG:] SESSION_KEYS x\n"
	    "[GNUPG:] ERROR nocode\n[GNUPG:] SESSION_KEY 9\n"
	    "[GNUPG:] SESSION_KEY 6:00\n[GNUPG:] SESSION_KEY 7:0011\n"
	    "[GNUPG:] SESSION_KEY 7:0123456789abcdef0123456789abcdeX\n", "2",
	    NULL);
	rc = decrypt(c, msg, len, (size_t)-1, 0, &m, &f, &cause);
	tap_ok(rc == 0 && f == CRYPTO_OK && m.buf.len == plen &&
	    memcmp(m.buf.data, plain, plen) == 0, "session key lines gpg "
	    "would not write: gpg decrypts it, the same bytes: %s",
	    SHOW(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
	fake(NULL, NULL, NULL, NULL, NULL, NULL);
out:
	crypto_free(c);
	free(msg);
	free(plain);
	free(big);
	free(bigplain);
}

/* The one private home in tmpdir (allocated), or NULL. */
static char *
the_home(void)
{
	DIR		*d = opendir(tmpdir);
	struct dirent	*de;
	char		*home = NULL;
	int		 n = 0;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "tresor-gpg.", 11) == 0) {
			free(home);
			home = xasprintf("%s/%s", tmpdir, de->d_name);
			n++;
		}
	}
	closedir(d);
	if (n != 1) {
		free(home);
		home = NULL;
	}
	return home;
}

/*
 * An agent socket of ours in the signer's home: "stale" (no one listens),
 * "mute" (closes at once) or "err" (refuses). A child serves it; its pid.
 */
static pid_t
fake_agent(const char *home, const char *how)
{
	struct sockaddr_un	 sa;
	char			*path = xasprintf("%s/S.gpg-agent", home);
	char			*cmd = xasprintf("gpgconf --homedir '%s' --kill "
				    "gpg-agent", home);
	pid_t			 pid = -1;
	int			 fd, c;

	run("%s", cmd);
	free(cmd);
	unlink(path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	free(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (strcmp(how, "stale") == 0) {
		close(fd);
		return 0;
	}
	if (listen(fd, 1) != 0 || (pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		if ((c = accept(fd, NULL, NULL)) != -1) {
			if (strcmp(how, "err") == 0)
				(void)!write(c, "ERR 67108881 No\n", 16);
			close(c);
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

/*
 * What a forked child inherits and never frees lives here, not only in a
 * caller's registers: under valgrind (make check-valgrind checks forked
 * children too) it is then still reachable, not a leak, when the child
 * exits. Volatile, or the compiler drops stores nothing reads.
 */
static struct signer	*volatile agent_signer;
static char		*volatile agent_home;
static struct crypto	*volatile hard_stop_crypto;

/* signer_free stops the agent by its socket; one that fails to answer. */
static void
test_agent(void)
{
	const char	*hows[] = { "stale", "mute", "err" };
	struct signer	*sg;
	char		*s = path_of("s.sec"), *cause = NULL, *home;
	size_t		 i;
	pid_t		 pid;
	int		 status;

	for (i = 0; i < sizeof hows / sizeof hows[0]; i++) {
		agent_signer = sg = signer_new(s, NULL, 0, &cause);
		agent_home = home = sg != NULL ? the_home() : NULL;
		pid = home != NULL ? fake_agent(home, hows[i]) : -1;
		signer_free(sg);
		agent_signer = NULL;
		if (pid > 0)
			waitpid(pid, &status, 0);
		tap_ok(sg != NULL && pid != -1 && no_home_left(), "an agent "
		    "socket that is %s: the signer's home is removed all the "
		    "same%s%s", hows[i], cause != NULL ? ": " : "",
		    cause != NULL ? cause : "");
		free(home);
		agent_home = NULL;
		free(cause);
		cause = NULL;
	}
	free(s);
}

/* A hard stop (a second signal) removes the private homes. */
static void
hard_stop_hook(void)
{
	if (__gcov_dump != NULL)
		__gcov_dump();
}

static void
test_hard_stop(void)
{
	pid_t		 pid;
	int		 status = 0, made = 0;
	char		*cause = NULL;

	pid = fork();
	if (pid == 0) {
		interrupt_install();
		hard_stop_crypto = xcalloc(1, sizeof *hard_stop_crypto);
		if (crypto_make_home(hard_stop_crypto, &cause) != 0)
			_exit(3);
		/* After crypto_library_init's: the homes are gone by then. */
		interrupt_on_hard_stop(hard_stop_hook);
		raise(SIGTERM);
		raise(SIGTERM);
		_exit(4);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
	/* Raised in the handler, SIGTERM is blocked: it exits 128 + 15. */
	made = pid > 0 && ((WIFSIGNALED(status) && WTERMSIG(status) ==
	    SIGTERM) || (WIFEXITED(status) && WEXITSTATUS(status) ==
	    128 + SIGTERM));
	tap_ok(made && no_home_left(), "a hard stop (two SIGTERMs) ends the "
	    "run and removes its private home (status %#x)", status);
}

static void
test_homes(void)
{
	struct crypto_options	 o;
	struct crypto		*c;
	char			*cause = NULL, *s, *pw = path_of("empty.pw");
	char			*conf;
	size_t			 len;
	int			 rc, secret;
	char			*fpr = NULL, *out = NULL;
	struct signer		*sg;
	struct sigcheck		*k;

	/* TMPDIR that is not there: no private home, for each user. */
	setenv("TMPDIR", "/nonexistent/tresor-test", 1);
	memset(&o, 0, sizeof o);
	o.passphrase_file = path_of("pw");
	c = crypto_new(&o, 0, &cause);
	tap_ok(c == NULL && said(1, cause, "unable to create a temporary "
	    "GnuPG home in /nonexistent/tresor-test"), "symmetric, no "
	    "TMPDIR: %s", SHOW(cause));
	crypto_free(c);
	free((char *)o.passphrase_file);
	free(cause);
	cause = NULL;

	s = path_of("s.sec");
	sg = signer_new(s, NULL, 0, &cause);
	tap_ok(sg == NULL && said(1, cause, "temporary GnuPG home"),
	    "signer, no TMPDIR: %s", SHOW(cause));
	free(s);
	free(cause);
	cause = NULL;

	rc = signer_generate("x", &out, &len, &fpr, &cause);
	tap_ok(rc == -1 && out == NULL && fpr == NULL && said(1, cause,
	    "temporary GnuPG home"), "generating a key, no TMPDIR: %s",
	    SHOW(cause));
	free(cause);
	cause = NULL;

	k = sigcheck_new(&cause);
	tap_ok(k == NULL && said(1, cause, "temporary GnuPG home"),
	    "trusted keys, no TMPDIR: %s", SHOW(cause));
	free(cause);
	cause = NULL;

	s = slurp("e.pub", &len);
	rc = s != NULL ? crypto_export_public(s, len, &out, &len, &secret,
	    &cause) : -2;
	tap_ok(rc == -1 && said(1, cause, "temporary GnuPG home"),
	    "exporting a public key, no TMPDIR: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	rc = s != NULL ? crypto_inspect_key(s, strlen(s), &secret, &fpr,
	    &cause) : -2;
	tap_ok(rc == -1 && said(1, cause, "temporary GnuPG home"),
	    "inspecting a key, no TMPDIR: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	free(s);
	setenv("TMPDIR", tmpdir, 1);

	/* gpg.conf in a home that is not there, or that is a directory. */
	c = xcalloc(1, sizeof *c);
	c->home = path_of("no-home");
	rc = crypto_set_no_agent(c, 1, &cause);
	tap_ok(said(rc != 0, cause, "unable to write '") && c->no_agent == 0,
	    "no-autostart in a missing home: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	free(c->home);
	c->home = path_of("dir-home");
	conf = path_of("dir-home/gpg.conf/x");
	rc = run("mkdir -p dir-home/gpg.conf && : >dir-home/gpg.conf/x");
	rc = rc == 0 ? crypto_set_no_agent(c, 0, &cause) : -2;
	tap_ok(said(rc == -1, cause, "unable to remove '") &&
	    access(conf, F_OK) == 0, "removing a gpg.conf that is a "
	    "directory: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	free(conf);
	free(c->home);
	c->home = NULL;
	crypto_free(c);

	/* An empty passphrase file. */
	run("printf '\\r\\n' >empty.pw");
	memset(&o, 0, sizeof o);
	o.passphrase_file = pw;
	c = crypto_new(&o, 0, &cause);
	tap_ok(c == NULL && said(1, cause, "is empty"),
	    "an empty passphrase file: %s", SHOW(cause));
	free(cause);
	free(pw);
}

static void
test_keys(void)
{
	struct crypto_options	 o;
	struct crypto		*c;
	char			*cause = NULL, *s, *out = NULL, *fpr = NULL;
	size_t			 len, outlen;
	int			 rc, secret;

	/* A protected secret key: gpg asks for its passphrase. */
	memset(&o, 0, sizeof o);
	o.key_file = path_of("p.sec");
	o.passphrase_file = path_of("pw");
	c = crypto_new(&o, 1, &cause);
	tap_ok(c != NULL, "a protected secret key imports with its "
	    "passphrase: %s", SHOW(cause));
	crypto_free(c);
	free(cause);
	cause = NULL;
	free((char *)o.key_file);
	free((char *)o.passphrase_file);

	/* Two keys answer to --encrypt-key twin. */
	memset(&o, 0, sizeof o);
	o.encrypt_key = "twin";
	c = crypto_new(&o, 0, &cause);
	tap_ok(c == NULL && said(1, cause, "unable to look up encryption "
	    "key 'twin' in the keyring"), "an ambiguous --encrypt-key: %s",
	    SHOW(cause));
	crypto_free(c);
	free(cause);
	cause = NULL;

	/* gpgme meets a gpg that fails. */
	s = slurp("e.pub", &len);
	fake("--import", NULL, "status", "[GNUPG:] IMPORT_RES x\n", NULL,
	    NULL);
	rc = crypto_export_public(s, len, &out, &outlen, &secret, &cause);
	tap_ok(rc == -1 && said(1, cause, "not an OpenPGP key"),
	    "exporting a public key, gpg's import says nonsense: %s",
	    SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--export", NULL, "status", "", "0", NULL);
	rc = crypto_export_public(s, len, &out, &outlen, &secret, &cause);
	tap_ok(rc == -1 && out == NULL && said(1, cause, "unable to export "
	    "the public key"), "exporting a public key, gpg's export writes "
	    "nothing: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--export", NULL, "status", "[GNUPG:] FAILURE export 1\n", "2",
	    NULL);
	rc = crypto_export_public(s, len, &out, &outlen, &secret, &cause);
	tap_ok(rc == -1 && out == NULL && said(1, cause, "unable to export "
	    "the public key"), "exporting a public key, gpg's export fails: "
	    "%s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--import", NULL, "status", "[GNUPG:] FAILURE import 1\n", "2",
	    NULL);
	rc = crypto_inspect_key(s, len, &secret, &fpr, &cause);
	tap_ok(rc == -1 && fpr == NULL && said(1, cause, "not an OpenPGP "
	    "key"), "inspecting a key, gpg's listing fails: %s",
	    SHOW(cause));
	free(cause);
	cause = NULL;
	free(s);

	/* A key pair: the second import (with an agent) fails. */
	s = slurp("e.sec", &len);
	fake("--import", NULL, "status", "[GNUPG:] IMPORT_RES x\n", NULL,
	    "2");
	rc = crypto_export_public(s, len, &out, &outlen, &secret, &cause);
	tap_ok(rc == -1 && said(1, cause, "not an OpenPGP key"),
	    "exporting a key pair's public part, the second import fails: "
	    "%s", SHOW(cause));
	free(cause);
	cause = NULL;
	memset(&o, 0, sizeof o);
	o.key_data = s;
	o.key_data_len = len;
	fake("--import", NULL, "status", "[GNUPG:] IMPORT_RES x\n", NULL,
	    "2");
	c = crypto_new(&o, 0, &cause);
	tap_ok(c == NULL && said(1, cause, "unable to import key file "
	    "'(configured key)'"), "a key pair to encrypt to, the second "
	    "import fails: %s", SHOW(cause));
	crypto_free(c);
	free(cause);
	cause = NULL;
	free(s);
	fake(NULL, NULL, NULL, NULL, NULL, NULL);
	tap_ok(no_home_left(), "no private home is left");
}

static void
test_signer(const char *sfpr)
{
	struct signer	*sg;
	struct sigcheck	*k;
	char		*cause = NULL, *s, *out = NULL, *fpr = NULL;
	char		*plain = NULL, *sigd, *st;
	size_t		 len, outlen, plainlen;
	int		 rc;

	/* A key that can only certify. */
	s = path_of("c.sec");
	sg = signer_new(s, NULL, 0, &cause);
	tap_ok(sg == NULL && said(1, cause, "holds no usable secret signing "
	    "key"), "a certify-only key does not sign: %s", SHOW(cause));
	free(s);
	free(cause);
	cause = NULL;

	/* Generating a key: gpg fails, its export writes nothing. */
	fake("--quick-gen", NULL, "exit", NULL, NULL, NULL);
	rc = signer_generate("x <x@example.org>", &out, &len, &fpr, &cause);
	tap_ok(rc == -1 && out == NULL && fpr == NULL && said(1, cause,
	    "unable to make a signing key"), "generating a key, gpg fails: "
	    "%s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--export", NULL, "status", "", "0", NULL);
	rc = signer_generate("x <x@example.org>", &out, &len, &fpr, &cause);
	tap_ok(rc == -1 && out == NULL && fpr == NULL && said(1, cause,
	    "unable to export the new signing key"), "generating a key, the "
	    "export writes nothing: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--export", NULL, "status", "[GNUPG:] FAILURE export 1\n", "2",
	    NULL);
	rc = signer_generate("x <x@example.org>", &out, &len, &fpr, &cause);
	tap_ok(rc == -1 && out == NULL && fpr == NULL && said(1, cause,
	    "unable to export the new signing key"), "generating a key, the "
	    "export fails: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake(NULL, NULL, NULL, NULL, NULL, NULL);

	/* A trust list of its own: its fingerprints, its export. */
	k = sigcheck_new(&cause);
	s = slurp("s.pub", &len);
	rc = k != NULL && s != NULL ? sigcheck_add(k, s, len, "s.pub",
	    &cause) : -2;
	tap_ok(rc == 0, "a trusted key: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	rc = k != NULL ? sigcheck_fingerprints(k, &out, &cause) : -2;
	tap_ok(rc == 0 && out != NULL && strstr(out, sfpr) != NULL,
	    "its fingerprint is listed: %.40s", SHOW(out));
	free(out);
	out = NULL;
	rc = k != NULL ? sigcheck_export(k, &out, &outlen, &cause) : -2;
	tap_ok(rc == 0 && out != NULL && strstr(out, "BEGIN PGP PUBLIC KEY "
	    "BLOCK") != NULL, "its export is an armoured public key");
	free(out);
	out = NULL;
	/* gpg --import writing too much, for a key or a key pair. */
	fake("--no-greeting", NULL, "big", NULL, NULL, NULL);
	rc = k != NULL ? sigcheck_add(k, s, len, "s.pub", &cause) : -2;
	tap_ok(said(rc == -1, cause, "s.pub: ") && strstr(cause,
	    "wrote more than") != NULL, "gpg --import writes too much: %s",
	    SHOW(cause));
	free(cause);
	cause = NULL;
	free(s);
	s = slurp("e.sec", &len);
	fake("--no-greeting", NULL, "big", NULL, NULL, "2");
	rc = k != NULL && s != NULL ? sigcheck_add(k, s, len, "e.sec",
	    &cause) : -2;
	tap_ok(said(rc == -1, cause, "e.sec: ") && strstr(cause,
	    "wrote more than") != NULL, "a key pair, the import of its "
	    "public part writes too much: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake("--export", NULL, "status", "", "0", NULL);
	rc = k != NULL && s != NULL ? sigcheck_add(k, s, len, "e.sec",
	    &cause) : -2;
	tap_ok(said(rc == -1, cause, "e.sec: unable to export the public "
	    "key"), "a key pair whose public part cannot be exported: %s",
	    SHOW(cause));
	free(cause);
	cause = NULL;
	free(s);
	fake(NULL, NULL, NULL, NULL, NULL, NULL);

	/* gpgv's verdicts, as status lines. */
	sigd = slurp("s.asc", &len);
#define VERIFY(status, rc_s, words, what) do {				\
	st = subst((status), sfpr);					\
	fake(NULL, "-", "status", st, (rc_s), NULL);			\
	free(st);							\
	rc = k != NULL && sigd != NULL ? sigcheck_verify(k, sigd, len,	\
	    &plain, &plainlen, &fpr, &cause) : -2;			\
	tap_ok(said(rc == -1, cause, (words)) && plain == NULL &&	\
	    fpr == NULL, "%s: %s", (what), SHOW(cause));		\
	free(cause);							\
	cause = NULL;							\
} while (0)
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG " NOFPR " x\n"
	    "[GNUPG:] VALIDSIG " NOFPR " 2026-01-01 1767225600 0 4 0 22 8 01 "
	    NOFPR "\n", "0", "signed by a key not trusted here",
	    "a good signature by a key gpgv knows and we do not");
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG " NOFPR " x\n"
	    "[GNUPG:] VALIDSIG " NOFPR " 2026-01-01 1767225600 0 4 0 22 8 01 "
	    NOFPR "\n", "0", "signed by a key not trusted here",
	    "... again (the listing is made once)");
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 0123456789ABCDEF 22 8 01 "
	    "1767225600 4", "2", "could not check it: error 4",
	    "gpgv could not check it (a last line with no newline)");
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] EXPSIG 0123456789ABCDEF x\n", "1",
	    "the signature has expired", "an expired signature");
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG 0123456789ABCDEF x\n"
	    "[GNUPG:] VALIDSIG @F 2026-01-01 99999999999999999 0 4 0 22 8 01"
	    " @F\n[GNUPG:] KEYEXPIRED 1767225600\n", "1",
	    "on @99999999999999999, after the key expired",
	    "signed after its key expired, at a time past the calendar");
	VERIFY("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF x\n"
	    "[GNUPG:] VALIDSIG @F 2026-01-01 1767225600\n", "1",
	    "bad signature (gpgv refused it)",
	    "a good signature (no primary named) but gpgv failing");
#undef VERIFY

	/* VALIDSIG naming no primary: the signing key is it. */
	st = subst("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF x\n"
	    "[GNUPG:] VALIDSIG @F 2026-01-01 1767225600\n", sfpr);
	fake(NULL, "-", "status", st, "0", NULL);
	free(st);
	rc = k != NULL && sigd != NULL ? sigcheck_verify(k, sigd, len,
	    &plain, &plainlen, &fpr, &cause) : -2;
	tap_ok(rc == 0 && fpr != NULL && strcmp(fpr, sfpr) == 0,
	    "VALIDSIG with no primary: the signing key counts (%s)",
	    SHOW(fpr != NULL ? fpr : cause));
	free(plain);
	plain = NULL;
	free(fpr);
	fpr = NULL;
	free(cause);
	cause = NULL;

	fake(NULL, "-", "big", NULL, NULL, NULL);
	rc = k != NULL && sigd != NULL ? sigcheck_verify(k, sigd, len,
	    &plain, &plainlen, &fpr, &cause) : -2;
	tap_ok(said(rc == -1, cause, "wrote more than 4194304 octets") &&
	    plain == NULL, "gpgv writing too much: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	fake(NULL, NULL, NULL, NULL, NULL, NULL);

	s = xasprintf("chmod 644 '%s/bin/gpgv'", work);
	rc = system(s);
	free(s);
	rc = rc == 0 && k != NULL && sigd != NULL ? sigcheck_verify(k, sigd,
	    len, &plain, &plainlen, &fpr, &cause) : -2;
	tap_ok(said(rc == -1, cause, "gpgv is not usable (install the Debian "
	    "package gpgv)"), "gpgv not executable: %s", SHOW(cause));
	free(cause);
	cause = NULL;
	s = xasprintf("chmod 755 '%s/bin/gpgv'", work);
	rc = system(s);
	free(s);
	rc = rc == 0 && k != NULL && sigd != NULL ? sigcheck_verify(k, sigd,
	    len, &plain, &plainlen, &fpr, &cause) : -2;
	tap_ok(rc == 0 && plain != NULL && plainlen == strlen(TEXT) &&
	    memcmp(plain, TEXT, plainlen) == 0 && strcmp(fpr, sfpr) == 0,
	    "the real gpgv through the fake: good, the same text (%s)",
	    SHOW(cause));
	free(plain);
	free(fpr);
	free(cause);
	free(sigd);
	sigcheck_free(k);
	tap_ok(no_home_left(), "no private home is left");
}

#define GEN	"gpg --batch --passphrase '' --quick-gen-key"

int
main(void)
{
	char	 tmpl[] = "/tmp/test-gpg-errors.XXXXXX";
	char	*real_gpg = NULL, *real_gpgv = NULL, *p, *cause = NULL;
	char	*sfpr, *cfpr, *efpr;
	FILE	*f;
	char	 line[4096];

	if (mkdtemp(tmpl) == NULL) {
		tap_ok(0, "a temporary directory");
		return tap_done();
	}
	work = tmpl;
	tmpdir = path_of("tmp");
	/* The real programs, before the fakes come first in PATH. */
	if ((f = popen("command -v gpg; command -v gpgv", "r")) != NULL) {
		if (fgets(line, sizeof line, f) != NULL)
			real_gpg = xstrdup(strtok(line, "\n"));
		if (fgets(line, sizeof line, f) != NULL)
			real_gpgv = xstrdup(strtok(line, "\n"));
		pclose(f);
	}
	tap_ok(real_gpg != NULL && real_gpgv != NULL, "gpg and gpgv are "
	    "installed (Debian packages gnupg, gpgv)");
	if (real_gpg == NULL || real_gpgv == NULL)
		return tap_done();
	tap_ok(run("mkdir -m 700 home bin tmp && printf '%%s' '" TEXT
	    "' >text && printf 'pw\\n' >pw") == 0, "a GnuPG home for the "
	    "test");
	write_fake("gpg", real_gpg, "FAKE_GPG_ON");
	write_fake("gpgv", real_gpgv, "FAKE_GPGV_ON");
	p = xasprintf("%s/bin:%s", work, getenv("PATH") != NULL ?
	    getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", p, 1);
	free(p);
	setenv("TMPDIR", tmpdir, 1);
	p = path_of("home");
	setenv("GNUPGHOME", p, 1);
	free(p);

	tap_ok(run(GEN " s ed25519 sign never") == 0 &&
	    run(GEN " c ed25519 cert never") == 0 &&
	    run(GEN " e default default never") == 0 &&
	    run(GEN " 'twin one' ed25519 default never") == 0 &&
	    run(GEN " 'twin two' ed25519 default never") == 0 &&
	    run("gpg --batch --pinentry-mode loopback --passphrase pw "
	    "--quick-gen-key p ed25519 default never") == 0, "keys made");
	sfpr = fingerprint("s");
	cfpr = fingerprint("c");
	efpr = fingerprint("e");
	tap_ok(run("gpg --batch --armor --export =s >s.pub && "
	    "gpg --batch --armor --export-secret-keys =s >s.sec && "
	    "gpg --batch --armor --export-secret-keys =c >c.sec && "
	    "gpg --batch --armor --export =e >e.pub && "
	    "gpg --batch --armor --export-secret-keys =e >e.sec && "
	    "gpg --batch --pinentry-mode loopback --passphrase pw --armor "
	    "--export-secret-keys =p >p.sec && "
	    "gpg --batch -u =s --clearsign -o s.asc text") == 0,
	    "keys exported, the text signed");
	/* Only now: the fakes are what gpgme finds. */
	if (crypto_library_init(&cause) != 0) {
		tap_ok(0, "gpgme starts: %s", SHOW(cause));
		return tap_done();
	}
	tap_ok(1, "gpgme starts, finding the fake gpg");

	test_homes();
	test_keys();
	test_signer(sfpr);
	test_decrypt();
	test_agent();
	test_hard_stop();

	free(sfpr);
	free(cfpr);
	free(efpr);
	free(real_gpg);
	free(real_gpgv);
	run("gpgconf --kill all");
	run("cd / && rm -rf '%s'", work);
	free(tmpdir);
	return tap_done();
}
