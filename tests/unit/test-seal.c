/*
 * test-seal.c: the seal codec (format/seal.c) and seal names
 * (format/names.c): what is printed parses back to the same seal, and
 * every malformed or unknown text is refused with a cause, never half read.
 * A signing key file that is missing, too large or unreadable, and key
 * data that is no OpenPGP key, are refused naming the file. A text signed
 * by a signing subkey verifies as its primary key's; one signed by two
 * keys, or by a key revoked since, is refused; a signing key with a
 * passphrase cannot sign, and the message says so.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/sign.h"
#include "format/names.h"
#include "format/seal.h"
#include "tests/tap.h"

/* unistd.h's old lseek name; L_SET here is a seal line. */
#undef L_SET

#define TARGET	"0123456789abcdef0123456789abcdef"
#define FPR1	"0B679807A9B960C152F2FB373544BF5F103C6BBC"
#define FPR2	"ACDCCD5C4AA9A117FDA1CC25C54D65DCCE3664CB"
#define H1	"4fd44acf8c9766c4ac6d9e67af9708ed399baf5f43a7c440cad2d03908fa6905"
#define H2	"1aed0a67be4cf0d72e6117d95612487406b135991419e575616c6d8f928bc9f4"

/* A valid set seal, sequence 2; lines can be swapped in tests. */
#define L_HEAD	"tresor-seal 1\n"
#define L_TGT	"target " TARGET "\n"
#define L_SEQ	"sequence 2\n"
#define L_SET	"set 20261202T084804Z.inc\n"
#define L_MAN	"manifest 541 " H1 "\n"
#define L_PREV	"previous " H2 "\n"
#define L_KEYS	"encrypt-keys " FPR2 "\n"
#define L_SIGN	"sign-key " FPR1 "\n"
#define L_END	"end\n"
#define GOOD	L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV L_KEYS L_SIGN L_END

static int
parses(const char *text, char **cause)
{
	struct seal	s;
	int		rc;

	*cause = NULL;
	rc = seal_parse(text, strlen(text), &s, cause);
	if (rc == 0)
		seal_clear(&s);
	return rc == 0;
}

static void
refused(const char *what, const char *text, const char *want)
{
	char	*cause = NULL;
	int	 ok = parses(text, &cause);

	tap_ok(!ok && cause != NULL && (want == NULL ||
	    strstr(cause, want) != NULL), "refused: %s (%s)", what,
	    cause != NULL ? cause : "no cause");
	free(cause);
}

static void
test_roundtrip(void)
{
	struct seal	 s, p;
	char		*text, *cause = NULL;
	uint8_t		 h[HASH_LEN];

	memset(&s, 0, sizeof s);
	memcpy(s.target, TARGET, sizeof s.target);
	s.sequence = 7;
	s.set = xstrdup("20261202T084804Z.inc");
	s.manifest_size = 12345;
	hash_from_hex(H1, s.manifest);
	s.has_previous = 1;
	hash_from_hex(H2, s.previous);
	s.encrypt_keys = xstrdup(FPR2 "," FPR1);
	s.sign_key = xstrdup(FPR2);
	s.previous_sign_key = xstrdup(FPR1);
	text = seal_format(&s);
	tap_ok(seal_parse(text, strlen(text), &p, &cause) == 0,
	    "a printed set seal parses");
	tap_ok(strcmp(p.target, s.target) == 0 && p.sequence == 7 &&
	    strcmp(p.set, s.set) == 0 && !p.purge &&
	    p.manifest_size == 12345 &&
	    memcmp(p.manifest, s.manifest, HASH_LEN) == 0 && p.has_previous &&
	    memcmp(p.previous, s.previous, HASH_LEN) == 0 &&
	    strcmp(p.encrypt_keys, s.encrypt_keys) == 0 &&
	    strcmp(p.sign_key, FPR2) == 0 &&
	    strcmp(p.previous_sign_key, FPR1) == 0 && p.nremoved == 0,
	    "every field comes back, the rotation record too");
	seal_clear(&p);
	free(text);
	seal_clear(&s);

	memset(&s, 0, sizeof s);
	memcpy(s.target, TARGET, sizeof s.target);
	s.sequence = 9;
	s.set = xstrdup("20261203T003000Z.purge");
	s.purge = 1;
	s.has_previous = 1;
	hash_from_hex(H1, s.previous);
	s.encrypt_keys = xstrdup("symmetric");
	s.sign_key = xstrdup(FPR1);
	hash_from_hex(H2, h);
	seal_add_removed(&s, "20261101T003000Z.full", 3, h);
	seal_add_removed(&s, "20261102T003000Z.inc", 4, s.previous);
	text = seal_format(&s);
	tap_ok(strstr(text, "manifest") == NULL, "a purge record has no "
	    "manifest line");
	tap_ok(seal_parse(text, strlen(text), &p, &cause) == 0 && p.purge &&
	    p.nremoved == 2 && p.removed[0].sequence == 3 &&
	    strcmp(p.removed[1].set, "20261102T003000Z.inc") == 0 &&
	    memcmp(p.removed[0].seal, h, HASH_LEN) == 0 &&
	    strcmp(p.encrypt_keys, "symmetric") == 0 &&
	    p.previous_sign_key == NULL,
	    "a purge record's removed sets come back");
	seal_clear(&p);
	free(text);
	seal_clear(&s);

	tap_ok(parses(L_HEAD L_TGT "sequence 1\n" L_SET L_MAN
	    "previous none\n" L_KEYS L_SIGN L_END, &cause),
	    "sequence 1 with previous none parses");
	free(cause);
	tap_ok(parses(GOOD, &cause), "the test's good seal parses");
	free(cause);
}

static void
test_refused(void)
{
	refused("empty", "", "not a tresor seal");
	refused("another text", "hello\n", "not a tresor seal");
	refused("a later version", "tresor-seal 2\n" L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS L_SIGN L_END, "version '2' is not supported");
	refused("an unknown line", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV
	    "comment x\n" L_KEYS L_SIGN L_END, "unknown line 'comment'");
	refused("lines out of order", L_HEAD L_SEQ L_TGT L_SET L_MAN L_PREV
	    L_KEYS L_SIGN L_END, "out of order");
	refused("a repeated line", L_HEAD L_TGT L_SEQ L_SEQ L_SET L_MAN L_PREV
	    L_KEYS L_SIGN L_END, "out of order or repeated");
	refused("no end line", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV L_KEYS
	    L_SIGN, "no end line");
	refused("a last line without newline", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS L_SIGN "end", "no newline");
	refused("text after the end", GOOD "x\n", "after the end");
	refused("no target", L_HEAD L_SEQ L_SET L_MAN L_PREV L_KEYS L_SIGN
	    L_END, "no target line");
	refused("no signing key", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV L_KEYS
	    L_END, "no sign-key line");
	refused("no previous line", L_HEAD L_TGT L_SEQ L_SET L_MAN L_KEYS
	    L_SIGN L_END, "no previous line");
	refused("a short target", L_HEAD "target 0123\n" L_SEQ L_SET L_MAN
	    L_PREV L_KEYS L_SIGN L_END, "bad target");
	refused("an upper-case target", L_HEAD "target "
	    "0123456789ABCDEF0123456789abcdef\n" L_SEQ L_SET L_MAN L_PREV
	    L_KEYS L_SIGN L_END, "bad target");
	refused("sequence 0", L_HEAD L_TGT "sequence 0\n" L_SET L_MAN
	    "previous none\n" L_KEYS L_SIGN L_END, "bad sequence");
	refused("a leading zero", L_HEAD L_TGT "sequence 02\n" L_SET L_MAN
	    L_PREV L_KEYS L_SIGN L_END, "bad sequence");
	refused("a sign", L_HEAD L_TGT "sequence +2\n" L_SET L_MAN L_PREV
	    L_KEYS L_SIGN L_END, "bad sequence");
	refused("a sequence past 2^64", L_HEAD L_TGT
	    "sequence 18446744073709551616\n" L_SET L_MAN L_PREV L_KEYS L_SIGN
	    L_END, "bad sequence");
	refused("a set id with a slash", L_HEAD L_TGT L_SEQ
	    "set 20261202T084804Z.inc/x\n" L_MAN L_PREV L_KEYS L_SIGN L_END,
	    "bad set");
	refused("an unknown set type", L_HEAD L_TGT L_SEQ
	    "set 20261202T084804Z.diff\n" L_MAN L_PREV L_KEYS L_SIGN L_END,
	    "bad set");
	refused("a short manifest hash", L_HEAD L_TGT L_SEQ L_SET
	    "manifest 541 4fd4\n" L_PREV L_KEYS L_SIGN L_END, "bad manifest");
	refused("a manifest without size", L_HEAD L_TGT L_SEQ L_SET
	    "manifest " H1 "\n" L_PREV L_KEYS L_SIGN L_END, "bad manifest");
	refused("a set seal without manifest", L_HEAD L_TGT L_SEQ L_SET L_PREV
	    L_KEYS L_SIGN L_END, "manifest line");
	refused("a purge record with a manifest", L_HEAD L_TGT L_SEQ
	    "set 20261202T084804Z.purge\n" L_MAN L_PREV L_KEYS L_SIGN L_END,
	    "manifest line");
	refused("a set seal with removed sets", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS L_SIGN "removed 20261101T003000Z.full 1 " H1 "\n"
	    L_END, "removed lines");
	refused("a purge removing a purge", L_HEAD L_TGT L_SEQ
	    "set 20261202T084804Z.purge\n" L_PREV L_KEYS L_SIGN
	    "removed 20261101T003000Z.purge 1 " H1 "\n" L_END, "bad removed");
	refused("sequence 2 without previous", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    "previous none\n" L_KEYS L_SIGN L_END, "must name a previous");
	refused("sequence 1 with a previous", L_HEAD L_TGT "sequence 1\n" L_SET
	    L_MAN L_PREV L_KEYS L_SIGN L_END, "cannot have a previous");
	refused("a lower-case fingerprint", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS "sign-key 0b679807a9b960c152f2fb373544bf5f103c6bbc\n"
	    L_END, "bad sign-key");
	refused("two signing keys", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV
	    L_KEYS "sign-key " FPR1 "," FPR2 "\n" L_END, "bad sign-key");
	refused("symmetric as the signing key", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS "sign-key symmetric\n" L_END, "bad sign-key");
	refused("a blank value", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV
	    "encrypt-keys \n" L_SIGN L_END, "bad encrypt-keys");
	refused("a line without value", L_HEAD L_TGT L_SEQ L_SET L_MAN L_PREV
	    "encrypt-keys\n" L_SIGN L_END, "has no value");
	refused("a previous hash that is not hex", L_HEAD L_TGT L_SEQ L_SET
	    L_MAN "previous " "g234567890123456789012345678901234567890"
	    "123456789012345678901234\n" L_KEYS L_SIGN L_END, "bad previous");
	refused("a removed set's hash that is not hex", L_HEAD L_TGT L_SEQ
	    "set 20261202T084804Z.purge\n" L_PREV L_KEYS L_SIGN
	    "removed 20261101T003000Z.full 1 z23456789012345678901234567890123"
	    "2345678901234567890123456789012\n" L_END, "bad removed");
	refused("an end line with a value", L_HEAD L_TGT L_SEQ L_SET L_MAN
	    L_PREV L_KEYS L_SIGN "end now\n", "bad end line");
	{
		char text[] = GOOD;
		char *cause = NULL;
		struct seal s;

		text[30] = '\0';
		tap_ok(seal_parse(text, sizeof text - 1, &s, &cause) != 0 &&
		    strstr(cause, "not text") != NULL, "refused: a NUL byte");
		free(cause);
	}
}

static void
test_head(void)
{
	struct seal_head	 h, p;
	char			*line, *cause = NULL;

	memset(&h, 0, sizeof h);
	memcpy(h.target, TARGET, sizeof h.target);
	h.sequence = 42;
	hash_from_hex(H1, h.seal);
	strcpy(h.set, "20261202T084804Z.inc");
	line = seal_head_format(&h);
	tap_ok(strcmp(line, "tresor-head 1 " TARGET " 42 " H1
	    " 20261202T084804Z.inc") == 0, "the head line: %s", line);
	tap_ok(seal_head_parse(line, &p, &cause) == 0 && p.sequence == 42 &&
	    strcmp(p.target, TARGET) == 0 && strcmp(p.set, h.set) == 0 &&
	    memcmp(p.seal, h.seal, HASH_LEN) == 0, "the head line parses back");
	free(line);
	tap_ok(seal_head_parse("tresor-head 1 " TARGET " 42 " H1
	    " 20261202T084804Z.inc\n", &p, &cause) == 0,
	    "a head line with its newline (a file) parses");
	tap_ok(seal_head_parse("tresor-head 2 " TARGET " 42 " H1
	    " 20261202T084804Z.inc", &p, &cause) != 0 && cause != NULL,
	    "a later head version is refused");
	free(cause);
	cause = NULL;
	tap_ok(seal_head_parse("tresor-head 1 " TARGET " 0 " H1
	    " 20261202T084804Z.inc", &p, &cause) != 0, "sequence 0 is refused");
	free(cause);
	cause = NULL;
	tap_ok(seal_head_parse("tresor-head 1 " TARGET " 42 " H1, &p,
	    &cause) != 0, "a head without set is refused");
	free(cause);
	cause = NULL;
	tap_ok(seal_head_parse("tresor-head 1 " TARGET " 42 " H1
	    " 20261202T084804Z.inc extra", &p, &cause) != 0,
	    "a head with more fields is refused");
	free(cause);
}

static void
test_names(void)
{
	char	*name, *id = NULL;

	name = names_seal("20261202T084804Z.inc");
	tap_ok(strcmp(name, "tresor.20261202T084804Z.inc.seal.asc") == 0,
	    "a set's seal name");
	tap_ok(names_parse_seal(name, &id) == 0 &&
	    strcmp(id, "20261202T084804Z.inc") == 0, "parses back to its id");
	free(id);
	free(name);
	name = names_purge_id(1767227400);
	tap_ok(strcmp(name, "20260101T003000Z.purge") == 0,
	    "a purge record's id: %s", name);
	free(name);
	id = NULL;
	tap_ok(names_parse_seal("tresor.20260101T003000Z.purge.seal.asc",
	    &id) == 0 && strcmp(id, "20260101T003000Z.purge") == 0,
	    "a purge record's name parses");
	free(id);
	tap_ok(names_parse_seal("tresor.20260101T003000Z.full.manifest.gpg",
	    &id) != 0 && names_parse_seal("tresor.2026.full.seal.asc",
	    &id) != 0 && names_parse_seal("tresor.20260101T003000Z.diff."
	    "seal.asc", &id) != 0 && names_parse_seal("x.20260101T003000Z."
	    "full.seal.asc", &id) != 0, "other names are not seals");
	tap_ok(names_parse_seal("tresor.1767225600000000.full.seal.asc",
	    &id) != 0, "a time in seconds, not a compact date, is no seal's");
}

/* signer_new's refusals of what it is given as a signing key. */
static void
test_signer_input(void)
{
	char		 dir[] = "/tmp/tresor-test-seal.XXXXXX";
	char		*big = NULL, *cause = NULL;
	struct signer	*s;
	int		 fd;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "signer: a temporary directory");
		return;
	}
	s = signer_new("/nonexistent/sign.asc", NULL, 0, &cause);
	tap_ok(s == NULL && cause != NULL && strcmp(cause, "unable to read "
	    "key file '/nonexistent/sign.asc': No such file or directory") ==
	    0, "signer: a missing key file is named: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	cause = NULL;

	big = xasprintf("%s/big.asc", dir);
	if ((fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1) {
		if (ftruncate(fd, 2 * 1024 * 1024) != 0)
			tap_diag("ftruncate failed");
		close(fd);
	}
	s = signer_new(big, NULL, 0, &cause);
	tap_ok(s == NULL && cause != NULL && strstr(cause, "is too large "
	    "for a key") != NULL && strstr(cause, big) != NULL,
	    "signer: a 2 MiB key file is refused: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	cause = NULL;
	unlink(big);

	/* A directory opens, but cannot be read. */
	s = signer_new(dir, NULL, 0, &cause);
	tap_ok(s == NULL && cause != NULL && strstr(cause, "unable to read "
	    "key file '") != NULL && strstr(cause, "Is a directory") != NULL,
	    "signer: a directory as a key file is named: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	cause = NULL;

	s = signer_new(NULL, "not an OpenPGP key\n", 19, &cause);
	tap_ok(s == NULL && cause != NULL && strstr(cause, "signing key '"
	    "(configured signing key)'") != NULL && strchr(cause, '\n') ==
	    NULL, "signer: key data that is no key is refused: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	signer_free(s);
	free(big);
	rmdir(dir);
}

/* Run a shell command; 1 if it exited 0. */
static int
sh(const char *cmd)
{
	int	st = system(cmd);

	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A whole file, NUL-terminated (malloc'd), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL;
	long	 n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = xmalloc((size_t)n + 1);
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/*
 * sigcheck_verify against what gpg makes: a text signed by a signing
 * subkey is the primary key's (its fingerprint is what seals name); a
 * text signed by two keys at once is refused, as is one signed by a key
 * revoked since.
 */
static void
test_sigcheck(void)
{
	char		 dir[] = "/tmp/tresor-test-sigcheck.XXXXXX";
	char		*cmd = NULL, *path = NULL, *pa = NULL, *pb = NULL;
	char		*text = NULL, *plain = NULL, *fpr = NULL, *cause = NULL;
	size_t		 len, alen, blen, plainlen = 0;
	struct sigcheck	*k = NULL;
	struct signer	*s;
	int		 rc;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "sigcheck: a temporary directory");
		return;
	}
	/*
	 * Key a: a certify-only primary with a signing subkey; key b: one
	 * that signs with its primary. Their fingerprints, public keys, and
	 * texts signed by a, by a and b, and by b before its revocation.
	 */
	cmd = xasprintf("set -e; exec 2>/dev/null; cd '%s'; mkdir -m 700 g; "
	    "export GNUPGHOME=$PWD/g; "
	    "gpg --batch --passphrase '' --quick-gen-key 'a <a@t.invalid>' "
	    "ed25519 cert never; "
	    "gpg --with-colons --list-keys a@t.invalid | awk -F: "
	    "'/^fpr/ { print $10; exit }' > a.fpr; "
	    "gpg --batch --passphrase '' --quick-add-key $(cat a.fpr) ed25519 "
	    "sign never; "
	    "gpg --batch --passphrase '' --quick-gen-key 'b <b@t.invalid>' "
	    "ed25519 sign never; "
	    "gpg --with-colons --list-keys b@t.invalid | awk -F: "
	    "'/^fpr/ { print $10; exit }' > b.fpr; "
	    "echo 'signed text' > t; "
	    "gpg --batch --clearsign -u a@t.invalid -o a.sig t; "
	    "gpg --batch --clearsign -u a@t.invalid -u b@t.invalid -o ab.sig t; "
	    "gpg --batch --clearsign -u b@t.invalid -o b.sig t; "
	    "gpg --armor --export a@t.invalid > a.asc; "
	    "sed 's/^:-----/-----/' g/openpgp-revocs.d/$(cat b.fpr).rev | "
	    "gpg --batch --import; "
	    "gpg --armor --export b@t.invalid > b.asc; "
	    "gpg --batch --passphrase p --quick-gen-key 'c <c@t.invalid>' "
	    "ed25519 sign never; "
	    "gpg --batch --pinentry-mode loopback --passphrase p --armor "
	    "--export-secret-keys c@t.invalid > c.sec; "
	    "gpgconf --homedir g --kill all", dir);
	if (!sh(cmd)) {
		tap_ok(0, "sigcheck: gpg makes the keys and signatures");
		goto out;
	}
	path = xasprintf("%s/a.fpr", dir);
	pa = slurp(path, &len);
	free(path);
	path = xasprintf("%s/b.fpr", dir);
	pb = slurp(path, &len);
	free(path);
	path = NULL;
	if (pa == NULL || pb == NULL || strlen(pa) < 41 || strlen(pb) < 41) {
		tap_ok(0, "sigcheck: the fingerprints");
		goto out;
	}
	pa[40] = pb[40] = '\0';
	if ((k = sigcheck_new(&cause)) == NULL) {
		tap_ok(0, "sigcheck: a checker (%s)", cause);
		goto out;
	}
	path = xasprintf("%s/a.asc", dir);
	text = slurp(path, &alen);
	free(path);
	rc = text != NULL ? sigcheck_add(k, text, alen, "key a", &cause) : -1;
	free(text);
	path = xasprintf("%s/b.asc", dir);
	text = slurp(path, &blen);
	free(path);
	path = NULL;
	if (rc == 0 && text != NULL)
		rc = sigcheck_add(k, text, blen, "key b", &cause);
	free(text);
	text = NULL;
	if (rc != 0) {
		tap_ok(0, "sigcheck: both keys are trusted (%s)", cause);
		goto out;
	}

	path = xasprintf("%s/a.sig", dir);
	text = slurp(path, &len);
	rc = text != NULL ? sigcheck_verify(k, text, len, &plain, &plainlen,
	    &fpr, &cause) : -1;
	tap_ok(rc == 0 && fpr != NULL && strcmp(fpr, pa) == 0 &&
	    plainlen == 12 && memcmp(plain, "signed text\n", 12) == 0,
	    "sigcheck: signed by a subkey, the text is the primary key's "
	    "(%s): %s", pa, cause != NULL ? cause : fpr);
	free(plain);
	free(fpr);
	free(cause);
	free(text);
	free(path);
	plain = fpr = cause = NULL;

	path = xasprintf("%s/ab.sig", dir);
	text = slurp(path, &len);
	rc = text != NULL ? sigcheck_verify(k, text, len, &plain, &plainlen,
	    &fpr, &cause) : 0;
	tap_ok(rc == -1 && plain == NULL && fpr == NULL && cause != NULL &&
	    strcmp(cause, "more than one signature") == 0,
	    "sigcheck: a text signed by two keys is refused: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	free(text);
	free(path);
	cause = NULL;

	path = xasprintf("%s/b.sig", dir);
	text = slurp(path, &len);
	rc = text != NULL ? sigcheck_verify(k, text, len, &plain, &plainlen,
	    &fpr, &cause) : 0;
	/* A revoked key is named as such (test-sigcheck.c has the rest). */
	tap_ok(rc == -1 && plain == NULL && fpr == NULL && cause != NULL &&
	    strstr(cause, ", which is revoked") != NULL,
	    "sigcheck: a text signed by a key revoked since is refused: %s",
	    cause != NULL ? cause : "(accepted)");
	free(cause);
	free(text);
	free(path);
	cause = NULL;

	/* A signing key with a passphrase: signing says what it needs. */
	path = xasprintf("%s/c.sec", dir);
	s = signer_new(path, NULL, 0, &cause);
	rc = s != NULL ? signer_sign(s, "text\n", &text, &len, &cause) : -1;
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "(the signing key "
	    "must have no passphrase)") != NULL, "signer: a key with a "
	    "passphrase cannot sign, and it says why: %s",
	    cause != NULL ? cause : "(signed)");
	if (rc == 0)
		free(text);
	signer_free(s);
	free(cause);
	free(path);
	cause = NULL;
	path = NULL;
out:
	sigcheck_free(k);
	free(pa);
	free(pb);
	free(cmd);
	cmd = xasprintf("rm -rf '%s'", dir);
	sh(cmd);
	free(cmd);
}

int
main(void)
{
	hash_library_init();
	test_roundtrip();
	test_refused();
	test_head();
	test_names();
	if (crypto_library_init(NULL) != 0)
		tap_ok(0, "gpgme starts");
	test_signer_input();
	test_sigcheck();
	return tap_done();
}
