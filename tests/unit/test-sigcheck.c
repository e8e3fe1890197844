/*
 * test-sigcheck.c: how a seal's signature is judged (format/filter/sign.c,
 * through gpgv). Keys and signatures are made here with gpg itself, some at
 * a faked time, so that each verdict gpgv can give is met once:
 *
 *   a good signature, also by a signing subkey (the primary's fingerprint
 *   is what counts); an altered text; a key not trusted here; no signature;
 *   two signatures; a key that expired after it signed (still good: old
 *   sets stay readable) and one that signed after it expired; a revoked
 *   key; a block that holds no key; a key pair given as the public key.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/sign.h"
#include "tests/tap.h"

#define TEXT	"tresor-seal 1\nsequence 7\n"

static char	*work;		/* a temporary directory, removed at the end */

/* Run a shell command in the test's GnuPG home; its exit status. */
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
	buf = xmalloc(1024 * 1024);
	n = fread(buf, 1, 1024 * 1024 - 1, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
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

/* A sigcheck trusting the public keys of file `name`. */
static struct sigcheck *
trusting(const char *name)
{
	struct sigcheck	*k;
	char		*armor, *cause = NULL;
	size_t		 len;

	if ((armor = slurp(name, &len)) == NULL)
		return NULL;
	k = sigcheck_new(&cause);
	if (k != NULL && sigcheck_add(k, armor, len, name, &cause) != 0) {
		tap_diag("%s: %s", name, cause);
		sigcheck_free(k);
		k = NULL;
	}
	free(cause);
	free(armor);
	return k;
}

/*
 * Check signed file `name` against k: the rc, and the cause or the
 * fingerprint in *said (allocated).
 */
static int
check(struct sigcheck *k, const char *name, char **said)
{
	char	*text, *plain = NULL, *fpr = NULL, *cause = NULL;
	size_t	 len, plainlen = 0;
	int	 rc;

	*said = NULL;
	if (k == NULL || (text = slurp(name, &len)) == NULL) {
		*said = xstrdup("(no key or no file)");
		return -2;
	}
	rc = sigcheck_verify(k, text, len, &plain, &plainlen, &fpr, &cause);
	if (rc == 0) {
		*said = fpr;
		fpr = NULL;
		if (plainlen != strlen(TEXT) || memcmp(plain, TEXT,
		    plainlen) != 0)
			rc = -3;	/* good, but not the signed text */
	} else {
		*said = cause;
		cause = NULL;
	}
	free(text);
	free(plain);
	free(fpr);
	free(cause);
	return rc;
}

static void
expect_good(struct sigcheck *k, const char *name, const char *fpr,
    const char *what)
{
	char	*said;
	int	 rc = check(k, name, &said);

	tap_ok(rc == 0 && strcmp(said, fpr) == 0, "%s: good, by %s (%s)",
	    what, fpr, said);
	free(said);
}

static void
expect_refused(struct sigcheck *k, const char *name, const char *words,
    const char *what)
{
	char	*said;
	int	 rc = check(k, name, &said);

	tap_ok(rc == -1 && strstr(said, words) != NULL, "%s: refused, "
	    "'%s' (%s)", what, words, said);
	free(said);
}

#define GEN	"gpg --batch --passphrase '' --quick-gen-key"
#define AT(t)	"gpg --faked-system-time " t " --batch --passphrase '' "

int
main(void)
{
	struct sigcheck	*k;
	char		 tmpl[] = "/tmp/test-sigcheck.XXXXXX";
	char		*a, *sub, *old, *late, *rev, *cause = NULL, *said = NULL;
	char		*armor;
	size_t		 len;
	int		 rc;

	if (crypto_library_init(NULL) != 0 || mkdtemp(tmpl) == NULL) {
		tap_ok(0, "gpgme starts, a temporary directory");
		return tap_done();
	}
	work = tmpl;
	tap_ok(run("mkdir -m 700 home && printf '%%s' '" TEXT "' >text") == 0,
	    "a GnuPG home for the test");

	/* Keys: plain, with a signing subkey, expiring, revoked. */
	tap_ok(run(GEN " a ed25519 sign never") == 0 &&
	    run(GEN " b ed25519 sign never") == 0 &&
	    run(GEN " sub ed25519 cert never") == 0 &&
	    run(AT("20200101T000000") "--quick-gen-key old ed25519 sign 1y") == 0 &&
	    run(AT("20200101T000000") "--quick-gen-key late ed25519 sign "
	    "never") == 0 &&
	    run(GEN " rev ed25519 sign never") == 0, "keys made");
	a = fingerprint("a");
	sub = fingerprint("sub");
	old = fingerprint("old");
	late = fingerprint("late");
	rev = fingerprint("rev");
	tap_ok(run("gpg --batch --passphrase '' --quick-add-key %s ed25519 "
	    "sign never", sub) == 0, "a signing subkey for 'sub'");

	/* Signatures, each made while its key was valid. */
	tap_ok(run("gpg --batch -u =a --clearsign -o a.asc text") == 0 &&
	    run("gpg --batch -u =b --clearsign -o b.asc text") == 0 &&
	    run("gpg --batch -u =a -u =b --clearsign -o ab.asc text") == 0 &&
	    run("gpg --batch -u =sub --clearsign -o sub.asc text") == 0 &&
	    run(AT("20200601T000000") "-u =old --clearsign -o old.asc text")
	    == 0 &&
	    run(AT("20210601T000000") "-u =late --clearsign -o late.asc "
	    "text") == 0 &&
	    run("gpg --batch -u =rev --clearsign -o rev.asc text") == 0,
	    "texts signed");
	tap_ok(run("sed 's/Sequence 7/sequence 8/; s/sequence 7/sequence 8/' "
	    "a.asc >altered.asc") == 0, "an altered copy");
	/*
	 * 'late' expires on 2020-06-02 (a newer self-signature says so),
	 * a year before it signed; 'rev' is revoked after it signed.
	 */
	tap_ok(run(AT("20200601T000000") "--quick-set-expire %s 1d", late)
	    == 0, "'late' given an expiry before its signature");
	tap_ok(run("sed 's/^://' home/openpgp-revocs.d/%s.rev >rev.cert && "
	    "gpg --batch --import rev.cert", rev) == 0, "'rev' revoked");
	tap_ok(run("gpg --batch --armor --export =a >a.pub && "
	    "gpg --batch --armor --export =sub >sub.pub && "
	    "gpg --batch --armor --export =old >old.pub && "
	    "gpg --batch --armor --export =late >late.pub && "
	    "gpg --batch --armor --export =rev >rev.pub && "
	    "gpg --batch --armor --export-secret-keys =a >a.sec") == 0,
	    "public keys exported");

	k = trusting("a.pub");
	tap_ok(k != NULL && sigcheck_count(k) == 1, "one key trusted (%zu)",
	    k != NULL ? sigcheck_count(k) : 0);
	expect_good(k, "a.asc", a, "signed by the trusted key");
	expect_refused(k, "altered.asc", "bad signature", "an altered text");
	expect_refused(k, "b.asc", "not trusted here", "another key");
	expect_refused(k, "text", "no valid OpenPGP signature",
	    "no signature");
	expect_refused(k, "ab.asc", "more than one signature",
	    "two signatures");
	sigcheck_free(k);

	k = trusting("sub.pub");
	expect_good(k, "sub.asc", sub, "signed by a subkey: its primary "
	    "counts");
	sigcheck_free(k);
	k = trusting("old.pub");
	expect_good(k, "old.asc", old, "signed before the key expired");
	sigcheck_free(k);
	k = trusting("late.pub");
	expect_refused(k, "late.asc", "after the key expired (2020-06-02)",
	    "signed after the key expired");
	sigcheck_free(k);
	k = trusting("rev.pub");
	expect_refused(k, "rev.asc", "which is revoked", "a revoked key");
	sigcheck_free(k);

	/* What is given as a public key. */
	k = sigcheck_new(&cause);
	rc = k != NULL ? sigcheck_add(k, "no key\n", 7, "junk.asc",
	    &cause) : -2;
	tap_ok(rc == -1 && cause != NULL && strstr(cause,
	    "junk.asc: no OpenPGP key in it") != NULL,
	    "a block with no key is refused: %s", cause != NULL ? cause : "-");
	free(cause);
	cause = NULL;
	armor = slurp("a.sec", &len);
	rc = armor != NULL && k != NULL ? sigcheck_add(k, armor, len,
	    "a.sec", &cause) : -2;
	tap_ok(rc == 0 && sigcheck_count(k) == 1, "a key pair (%zu): its public "
	    "part is trusted%s%s", k != NULL ? sigcheck_count(k) : 0,
	    cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	free(armor);
	rc = check(k, "a.asc", &said);
	tap_ok(rc == 0 && strcmp(said, a) == 0, "... and checks what the "
	    "key signed (%s)", said != NULL ? said : "-");
	free(said);
	sigcheck_free(k);

	free(a);
	free(sub);
	free(old);
	free(late);
	free(rev);
	run("gpgconf --kill all");
	run("cd / && rm -rf '%s'", work);
	return tap_done();
}
