/*
 * test-format-errors.c: the manifest parser (format/manifest.c) refuses
 * every malformed line with a message naming the line, and accepts the
 * valid forms of every field; a manifest from another set, a truncated one
 * and one from a newer format version are named as such. Each case is a
 * valid manifest with one line changed, read through manifest_read_plain
 * (a local copy, as the cache holds) and through a reader fed in pieces.
 * Object names that are not a set's are not taken for one, and a
 * signatures plaintext (format/sigs.c) that is cut, altered or asked for
 * at the wrong offset or path is refused, naming the file and the offset.
 * The manifest writer fails with its sink's message wherever the sink
 * fails, and names a local copy it cannot write; under a file size limit
 * its spool file and a signatures record fail, named. crypto_new refuses
 * contradictory or missing key options and unreadable or empty passphrase
 * files; text that is no key has no public part to export.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/manifest.h"
#include "format/names.h"
#include "format/record.h"
#include "format/sigs.h"
#include "tests/tap.h"

#define SET	"20260101T000000Z.full"
#define HEX	"98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"

/* A valid manifest, one line per array element (no newlines). */
static const char *const base[] = {
	"tresor-manifest 1",
	"set " SET,
	"type full",
	"time 2026-01-01T00:00:00Z",
	"source vault",
	"d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=1 off=44 last=1",
	"f path=vault/f mode=0644 uid=0 gid=0 mtime=1.000000001 size=3 "
	    "sha256=" HEX " ino=5 ctime=2.0 vol=1 off=100 last=1 sigoff=0",
	"l path=vault/l target=f mode=0777 uid=0 gid=0 mtime=-5.0",
	"c path=vault/c mode=0600 uid=0 gid=0 mtime=1.0 rdev=259",
	"f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 dsha256=" HEX " base=20251201T000000Z"
	    ".full bvol=1 boff=9 blast=1 bsize=9 bsha256=" HEX,
	"volume 1 name=tresor." SET ".vol000001.gpg size=10 sha256=" HEX,
	"signatures name=tresor." SET ".sigs.gpg size=10 sha256=" HEX,
	"end entries=5 volumes=1 warnings=0 keys=14D12DBD9281A555",
	NULL
};
#define NBASE	(sizeof base / sizeof *base - 1)

struct counts {
	int	header, entries, volumes, sigs;
	int	fail_at;	/* make the visitor fail: 1 header, 2 entry... */
};

static int
v_header(void *arg, const struct manifest_header *h, char **cause)
{
	struct counts	*c = arg;

	(void)h;
	c->header++;
	return c->fail_at == 1 ? (*cause = xstrdup("visitor says no"), -1) : 0;
}

static int
v_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct counts	*c = arg;

	entry_clear(&me->e);
	c->entries++;
	return c->fail_at == 2 ? (*cause = xstrdup("visitor says no"), -1) : 0;
}

static int
v_volume(void *arg, const struct volume_info *vi, char **cause)
{
	struct counts	*c = arg;

	(void)vi;
	c->volumes++;
	return c->fail_at == 3 ? (*cause = xstrdup("visitor says no"), -1) : 0;
}

static int
v_sigs(void *arg, const struct volume_info *vi, char **cause)
{
	struct counts	*c = arg;

	(void)vi;
	c->sigs++;
	return c->fail_at == 4 ? (*cause = xstrdup("visitor says no"), -1) : 0;
}

static const struct manifest_visitor visitor = { v_header, v_entry, v_volume,
    v_sigs };

static char	 path[] = "/tmp/tresor-test-manifest.XXXXXX";

/* The manifest with line `line` (0-based) replaced by `with` (NULL: left
 * out; "" with line == NBASE: nothing added), plus `extra` appended raw. */
static char *
build(size_t line, const char *with, const char *extra)
{
	size_t	i, len = 0;
	char	*out, *p;

	for (i = 0; i < NBASE; i++)
		len += strlen(i == line && with != NULL ? with : base[i]) + 1;
	len += extra != NULL ? strlen(extra) : 0;
	p = out = xmalloc(len + 1);
	for (i = 0; i < NBASE; i++) {
		if (i == line && with == NULL)
			continue;
		p += sprintf(p, "%s\n", i == line ? with : base[i]);
	}
	if (extra != NULL)
		p += sprintf(p, "%s", extra);
	*p = '\0';
	return out;
}

static int
write_file(const char *text, size_t len)
{
	FILE	*f = fopen(path, "we");

	if (f == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Parse text from a file; returns 0 or -1 and the cause. */
static int
parse_file(const char *text, size_t len, struct counts *c, char **cause)
{
	struct manifest_summary	s;

	if (write_file(text, len) != 0)
		return -1;
	return manifest_read_plain(path, SET, &visitor, c, &s, cause);
}

/* The same through a reader fed 7 bytes at a time. */
static int
parse_pieces(const char *text, size_t len, char **cause)
{
	struct counts		 c = { 0, 0, 0, 0, 0 };
	struct manifest_reader	*mr = manifest_reader_new(&visitor, &c);
	struct sink		*s = manifest_reader_sink(mr);
	size_t			 off, n;
	int			 rc = -1;

	for (off = 0; off < len; off += n) {
		n = len - off < 7 ? len - off : 7;
		if (sink_write(s, text + off, n, cause) != 0)
			goto out;
	}
	if (sink_finish(s, cause) != 0)
		goto out;
	rc = manifest_reader_check(mr, "manifest 'x'", "somewhere", SET, NULL,
	    cause);
out:
	sink_free(s);
	manifest_reader_free(mr);
	return rc;
}

struct bad {
	size_t		 line;
	const char	*with;
	const char	*says;
};

static const struct bad bads[] = {
	{ 0, "tresor-manifest 2", "manifest version 2 is not supported; this "
	    "tresor reads version 1" },
	{ 0, "tresor-manifest x", "manifest version x is not supported" },
	{ 0, "not a manifest", "not a tresor manifest" },
	{ 2, "type weekly", "line 3: set type 'weekly' is not supported" },
	{ 3, "time yesterday", "line 4: bad time" },
	{ 4, "source a%zz", "line 5: bad source" },
	{ 1, "nothing here", "line 2: no set or type line" },
	{ 5, "", "line 6: empty" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=1 off=44",
	    "line 6: malformed entry" },
	{ 5, "dd path=vault mode=0755 uid=0 gid=0 mtime=1.5",
	    "line 6: malformed entry" },
	{ 5, "q path=vault mode=0755 uid=0 gid=0 mtime=1.5",
	    "line 6: malformed entry" },
	{ 5, "d mode=0755 uid=0 gid=0 mtime=1.5", "line 6: malformed entry" },
	{ 5, "d path= mode=0755 uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=a%zz mode=0755 uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=0855 uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=17777 uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=07x uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=x755 uid=0 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=-1 gid=0 mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=x mtime=1.5", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=15", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=123456789012345678901234"
	    "5678901234.0", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=x.0", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.1000000000",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=99999999999999999999.0",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=0 off=1 last=1",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=2 off=1 last=1",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=x off=1 last=1",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=1 off=x last=1",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 vol=1 off=1 last=x",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 off=1",
	    "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 set=a/b vol=1 off=1 "
	    "last=1", "malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 set="
	    "0123456789012345678901234567890123456789 vol=1 off=1 last=1",
	    "malformed entry" },
	{ 7, "l path=vault/l mode=0777 uid=0 gid=0 mtime=-5.0",
	    "line 8: malformed entry" },
	{ 7, "l path=vault/l target=a%zz mode=0777 uid=0 gid=0 mtime=-5.0",
	    "line 8: malformed entry" },
	{ 8, "c path=vault/c mode=0600 uid=0 gid=0 mtime=1.0",
	    "line 9: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 sha256=" HEX,
	    "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=x sha256=" HEX
	    " vol=1 off=1 last=1", "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 "
	    "vol=1 off=1 last=1", "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 sha256=ab "
	    "vol=1 off=1 last=1", "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 sha256=" HEX
	    " ino=x vol=1 off=1 last=1", "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 sha256=" HEX
	    " ctime=2 vol=1 off=1 last=1", "line 7: malformed entry" },
	{ 6, "f path=vault/f mode=0644 uid=0 gid=0 mtime=1.0 size=3 sha256=" HEX
	    " vol=1 off=1 last=1 sigoff=x", "line 7: malformed entry" },
	{ 5, "d path=vault mode=0755 uid=0 gid=0 mtime=1.5 dsize=4",
	    "line 6: malformed entry" },
	{ 9, "f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 dsha256=" HEX " bvol=1 boff=9 blast=1 "
	    "bsize=9 bsha256=" HEX, "line 10: malformed entry" },
	{ 9, "f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 dsha256=" HEX " base=20251201T000000Z"
	    ".full bsize=9 bsha256=" HEX, "line 10: malformed entry" },
	{ 9, "f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 dsha256=" HEX " base=20251201T000000Z"
	    ".full bvol=1 boff=9 blast=1 bsha256=" HEX, "line 10: malformed entry" },
	{ 9, "f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 dsha256=" HEX " base=20251201T000000Z"
	    ".full bvol=1 boff=9 blast=1 bsize=9", "line 10: malformed entry" },
	{ 9, "f path=vault/g mode=0644 uid=0 gid=0 mtime=1.0 size=9 sha256=" HEX
	    " vol=1 off=300 last=1 dsize=4 base=20251201T000000Z"
	    ".full bvol=1 boff=9 blast=1 bsize=9 bsha256=" HEX,
	    "line 10: malformed entry" },
	{ 10, "volume 2 name=x size=10 sha256=" HEX,
	    "line 11: volume 2 out of order" },
	{ 10, "volume x name=x size=10 sha256=" HEX,
	    "line 11: malformed volume line" },
	{ 10, "volume", "line 11: malformed volume line" },
	{ 10, "volume 1 size=10 sha256=" HEX, "line 11: malformed volume line" },
	{ 10, "volume 1 name=x size=10", "line 11: malformed volume line" },
	{ 10, "volume 1 name=x size=y sha256=" HEX,
	    "line 11: malformed volume line" },
	{ 11, "signatures name=x size=10 sha256=zz",
	    "line 12: malformed signatures line" },
	{ 12, "end entries=5 volumes=1", "line 13: malformed end line" },
	{ 12, "end entries=x volumes=1 warnings=0", "line 13: malformed end line" },
	{ 12, "end entries=5 volumes=x warnings=0", "line 13: malformed end line" },
	{ 12, "end entries=5 volumes=1 warnings=0 keys=xyz",
	    "line 13: malformed keys field" },
	{ 12, "end entries=6 volumes=1 warnings=0",
	    "truncated: 5 entries and 1 volumes listed, the end line says 6 and 1" },
	{ 12, NULL, "truncated: it ends without its end line" },
	{ 1, "set 20990101T000000Z.full", "names set '20990101T000000Z.full', "
	    "not '" SET "'" },
	{ 1, NULL, "no set or type line" },
};

/* names_parse: names that are not a set's object are refused. */
static void
test_names(void)
{
	static const char *const not_ours[] = {
		"notes.txt",
		"tresor.2026",
		"tresor.20260101T000000Z",
		"tresor.20260101X000000Z.full.manifest.gpg",
		"tresor.2026010100000000.full.manifest.gpg",
		"tresor.20260101T000000Z.full",
		"tresor.20260101T000000Z.weekly.manifest.gpg",
		"tresor.20260101T000000Z.full.manifest",
		"tresor.20260101T000000Z.full.vol12345.gpg",
		"tresor.20260101T000000Z.full.vol000001.gz",
		"tresor.20260101T000000Z.full.data000001.gpg",
		"tresor.20260101T000000Z.inc.sigs.gz",
	};
	char		*id = NULL;
	time_t		 t;
	int		 full, bad = 0;
	enum name_kind	 kind;
	size_t		 i;

	for (i = 0; i < sizeof not_ours / sizeof *not_ours; i++) {
		if (names_parse(not_ours[i], &id, &t, &full, &kind) == 0) {
			tap_diag("taken for a set's object: %s", not_ours[i]);
			free(id);
			bad++;
		}
	}
	tap_ok(bad == 0, "%zu names that are not a set's object are refused", i);
	tap_ok(names_parse("tresor.20260101T000000Z.inc.vol1000000.gpg", &id,
	    &t, &full, &kind) == 0 && kind == NAME_VOLUME && !full &&
	    strcmp(id, "20260101T000000Z.inc") == 0,
	    "volume 1000000 of an incremental is one");
	free(id);
	id = NULL;
	tap_ok(names_parse("tresor.20260101T000000Z.inc.sigs.gpg", &id, &t,
	    &full, &kind) == 0 && kind == NAME_SIGNATURES,
	    "a signatures object is one");
	free(id);
}

static char	 sigpath[] = "/tmp/tresor-test-sigs.XXXXXX";

/* A signatures plaintext with two signatures; their offsets. */
static int
make_sigs(uint64_t off[2])
{
	struct sigs_writer	*sw;
	struct sink		*s;
	char			*cause = NULL, buf[3000];
	int			 rc = -1;

	memset(buf, 'x', sizeof buf);
	if ((sw = sigs_writer_new(sigpath, SET, &cause)) == NULL)
		goto out;
	if ((s = sigs_writer_begin(sw, "vault/f", &off[0], &cause)) == NULL ||
	    sink_write(s, buf, sizeof buf, &cause) != 0 ||
	    sigs_writer_end(sw, &cause) != 0 ||
	    (s = sigs_writer_begin(sw, "vault/g", &off[1], &cause)) == NULL ||
	    sink_write(s, "sig", 3, &cause) != 0 ||
	    sigs_writer_end(sw, &cause) != 0 ||
	    sigs_writer_finish(sw, &cause) != 0)
		goto out;
	rc = 0;
out:
	if (cause != NULL)
		tap_diag("make_sigs: %s", cause);
	free(cause);
	sigs_writer_free(sw);
	return rc;
}

static int
sigs_fails(uint64_t off, const char *entry, const char *says, const char *what)
{
	uint8_t	*sig = NULL;
	size_t	 len;
	char	*cause = NULL;
	int	 rc;

	rc = sigs_read(sigpath, off, entry, &sig, &len, &cause);
	tap_ok(rc != 0 && cause != NULL && strstr(cause, says) != NULL &&
	    strstr(cause, sigpath) != NULL, "signatures, %s: %s", what,
	    cause != NULL ? cause : "(accepted)");
	free(sig);
	free(cause);
	return rc;
}

/* Flip one byte of the plaintext at off. */
static void
poke(uint64_t off, uint8_t xor)
{
	FILE	*f = fopen(sigpath, "r+e");
	int	 c;

	if (f == NULL)
		return;
	fseek(f, (long)off, SEEK_SET);
	c = fgetc(f);
	fseek(f, (long)off, SEEK_SET);
	fputc(c ^ xor, f);
	fclose(f);
}

static void
test_sigs(void)
{
	uint64_t	 off[2];
	uint8_t		*sig = NULL;
	size_t		 len = 0;
	char		*cause = NULL;
	struct stat	 st;
	int		 fd;

	if ((fd = mkstemp(sigpath)) == -1)
		return;
	close(fd);
	tap_ok(make_sigs(off) == 0, "a signatures plaintext is written");
	fd = sigs_read(sigpath, off[0], "vault/f", &sig, &len, &cause);
	tap_ok(fd == 0 && len == 3000, "its first signature reads back (%zu "
	    "bytes)", len);
	free(sig);
	sig = NULL;
	tap_ok(sigs_read(sigpath, off[1], "vault/g", &sig, &len, &cause) == 0 &&
	    len == 3 && memcmp(sig, "sig", 3) == 0, "and its second");
	free(sig);
	sigs_fails(off[1], "vault/f", "is not for this file", "another file's");
	sigs_fails(off[0] + 1, "vault/f", "at offset", "a wrong offset");
	sigs_fails(1u << 30, "vault/f", "truncated at offset", "past the end");
	/* The file's first record (its volume info) is not a signature. */
	sigs_fails(VOLUME_MAGIC_LEN + 2, "vault/f", "no signature at offset 10",
	    "the offset of another kind of record");
	/* The SIG_END's hash no longer matches. */
	poke(off[1] - 1, 0x01);
	sigs_fails(off[0], "vault/f", "does not match its hash", "altered");
	/* A record length beyond any record. */
	if (make_sigs(off) == 0) {
		poke(off[0] + 4, 0x7f);
		sigs_fails(off[0], "vault/f", "oversized record", "oversized");
	}
	/* Cut inside the first signature's data. */
	if (make_sigs(off) == 0 && truncate(sigpath, (off_t)(off[0] + 100))
	    == 0)
		sigs_fails(off[0], "vault/f", "truncated at offset", "cut");
	unlink(sigpath);
	sigs_fails(0, "vault/f", "unable to read signatures", "missing");
	/* A writer whose directory is gone: named, nothing left. */
	cause = NULL;
	fd = sigs_writer_new("/nonexistent/dir/sigs", SET, &cause) == NULL;
	tap_ok(fd && cause != NULL &&
	    strstr(cause, "/nonexistent/dir/sigs.tmp") != NULL,
	    "a signatures file that cannot be created is named: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	/* An unfinished writer removes its temporary. */
	{
		struct sigs_writer	*sw = sigs_writer_new(sigpath, SET,
					    &cause);
		char			*tmp = xasprintf("%s.tmp", sigpath);

		tap_ok(sw != NULL && stat(tmp, &st) == 0,
		    "a writer's temporary exists while it writes");
		sigs_writer_free(sw);
		tap_ok(stat(tmp, &st) != 0 && stat(sigpath, &st) != 0,
		    "... and is removed when it is abandoned");
		free(tmp);
	}
	/* /dev/full: the writes fail, at the latest when flushed. */
	{
		struct sigs_writer	*sw;
		struct sink		*s;
		char			 big[70000];
		char			*tmp = xasprintf("%s.tmp", sigpath);
		uint64_t		 o;
		int			 failed = 0;

		memset(big, 'y', sizeof big);
		cause = NULL;
		unlink(sigpath);
		unlink(tmp);
		if (symlink("/dev/full", tmp) == 0) {
			sw = sigs_writer_new(sigpath, SET, &cause);
			if (sw == NULL)
				failed = 1;
			else if ((s = sigs_writer_begin(sw, "a", &o, &cause)) ==
			    NULL || sink_write(s, big, sizeof big, &cause) != 0 ||
			    sigs_writer_end(sw, &cause) != 0 ||
			    sigs_writer_finish(sw, &cause) != 0)
				failed = 1;
			sigs_writer_free(sw);
			tap_ok(failed && cause != NULL && strstr(cause,
			    "No space left") != NULL, "a full disk under the "
			    "signatures is named: %s", cause != NULL ? cause :
			    "(none)");
			unlink(tmp);
		}
		free(tmp);
		free(cause);
	}
	/* A directory where the file goes: the rename fails, named. */
	{
		struct sigs_writer	*sw;
		char			*inside = xasprintf("%s/x", sigpath);
		char			*tmp = xasprintf("%s.tmp", sigpath);
		int			 rc = -1;

		cause = NULL;
		unlink(sigpath);
		if (mkdir(sigpath, 0700) == 0 && close(open(inside, O_CREAT |
		    O_WRONLY, 0600)) == 0) {
			sw = sigs_writer_new(sigpath, SET, &cause);
			if (sw != NULL)
				rc = sigs_writer_finish(sw, &cause);
			sigs_writer_free(sw);
			tap_ok(sw != NULL && rc != 0 && cause != NULL &&
			    strstr(cause, "unable to write '") != NULL &&
			    strstr(cause, sigpath) != NULL &&
			    stat(tmp, &st) != 0, "a signatures file whose "
			    "name is taken by a directory is named, no "
			    "temporary left: %s", cause != NULL ? cause :
			    "(none)");
		}
		unlink(inside);
		rmdir(sigpath);
		free(inside);
		free(tmp);
		free(cause);
	}
}

/* Record payloads cut short are refused by every decoder. */
static void
test_records(void)
{
	struct recbuf	 rb = { NULL, 0, 0 };
	uint8_t		 digest[HASH_LEN];
	uint64_t	 size, off;
	uint32_t	 number;
	char		*epath = NULL, *set = NULL, *cause = NULL;
	int		 rc;

	memset(digest, 0xab, sizeof digest);
	record_encode_entry_end(&rb, 5, digest);
	rc = record_decode_entry_end(rb.data, rb.len - 1, &size, digest,
	    &cause);
	tap_ok(rc != 0 && cause != NULL && strstr(cause, "malformed "
	    "entry-end record") != NULL, "a cut entry-end record: %s", cause);
	free(cause);
	cause = NULL;
	recbuf_reset(&rb);
	record_encode_continue(&rb, "vault/f", 1234);
	rc = record_decode_continue(rb.data, rb.len - 1, &epath, &off, &cause);
	tap_ok(rc != 0 && epath == NULL && cause != NULL && strstr(cause,
	    "malformed entry-continue record") != NULL,
	    "a cut entry-continue record: %s", cause);
	free(cause);
	cause = NULL;
	recbuf_reset(&rb);
	record_encode_volume_info(&rb, SET, 3);
	rc = record_decode_volume_info(rb.data, rb.len - 2, &set, &number,
	    &cause);
	tap_ok(rc != 0 && set == NULL && cause != NULL && strstr(cause,
	    "malformed volume-info record") != NULL,
	    "a cut volume-info record: %s", cause);
	free(cause);
	cause = NULL;
	rc = record_decode_u64(rb.data, 7, &size, &cause);
	tap_ok(rc != 0 && cause != NULL && strstr(cause, "expected 8 bytes"),
	    "a u64 record of 7 bytes: %s", cause);
	free(cause);
	recbuf_free(&rb);
}

/* A sink that keeps nothing (the end of an encryption chain). */
static int
drop_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	(void)s;
	(void)buf;
	(void)len;
	(void)cause;
	return 0;
}

static int
drop_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
drop_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops drop_ops = { "drop", drop_write, drop_finish,
	drop_free };

static ssize_t
no_input(void *arg, void *buf, size_t len, char **cause)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)cause;
	return 0;
}

/*
 * gpg cannot be started when no file descriptor is left (the open-file
 * limit reached): one line saying what could not be done, and the
 * chain's next stage is not used.
 */
static void
test_crypto_no_fds(void)
{
	struct crypto_options	 co;
	struct crypto		*c;
	struct sink		 drop = { &drop_ops }, *s;
	struct rlimit		 old, low;
	char			 pass[] = "/tmp/tresor-test-pass.XXXXXX";
	char			*cause = NULL;
	int			 fd, lowest;

	if ((fd = mkstemp(pass)) == -1 || write(fd, "pass\n", 5) != 5)
		return;
	close(fd);
	memset(&co, 0, sizeof co);
	co.passphrase_file = pass;
	c = crypto_new(&co, 0, &cause);
	tap_ok(c != NULL, "symmetric crypto sets up (%s)", cause ? cause : "ok");
	free(cause);
	cause = NULL;
	if (c == NULL)
		return;
	/* The lowest free descriptor is the limit: nothing more opens. */
	lowest = dup(0);
	close(lowest);
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	setrlimit(RLIMIT_NOFILE, &low);
	s = crypto_encrypt_sink_new(c, "'obj' in test", &drop, &cause);
	setrlimit(RLIMIT_NOFILE, &old);
	tap_ok(s == NULL && cause != NULL && strstr(cause, "unable to encrypt "
	    "'obj' in test") != NULL && strchr(cause, '\n') == NULL,
	    "no descriptor left for gpg: one line saying what failed: %s",
	    cause != NULL ? cause : "(started)");
	if (s != NULL)
		sink_free(s);
	free(cause);
	cause = NULL;
	/* And the same for decryption: not called damage, nor a key. */
	{
		enum crypto_failure	failure = CRYPTO_OK;
		int			rc;

		setrlimit(RLIMIT_NOFILE, &low);
		rc = crypto_decrypt(c, "'obj' in test", no_input, NULL, &drop,
		    &failure, &cause);
		setrlimit(RLIMIT_NOFILE, &old);
		tap_ok(rc != 0 && failure != CRYPTO_DAMAGED && failure !=
		    CRYPTO_NO_KEY && cause != NULL && strstr(cause, "'obj' in "
		    "test") != NULL && strstr(cause, "corrupt") == NULL,
		    "... and for decryption, not called damage: %s",
		    cause != NULL ? cause : "(started)");
		free(cause);
	}
	crypto_free(c);
	unlink(pass);
}

/* A sink that keeps what it is given and fails past `limit` bytes. */
struct cap_sink {
	struct sink	 sink;
	char		*buf;
	size_t		 len, limit;
};

static int
cap_write(struct sink *s, const void *p, size_t len, char **cause)
{
	struct cap_sink	*k = (struct cap_sink *)s;

	if (k->len + len > k->limit)
		return error_set(cause, "test sink full at %zu bytes", k->limit);
	k->buf = xrealloc(k->buf, k->len + len + 1);
	memcpy(k->buf + k->len, p, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

static int
cap_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
cap_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops cap_ops = { "cap", cap_write, cap_finish,
	cap_free };

/* Write a manifest of a device and a file into a sink failing past limit. */
static int
write_manifest(size_t limit, FILE *copy, struct cap_sink *k, char **cause)
{
	struct manifest_header	 h;
	struct manifest_writer	*mw;
	struct manifest_entry	 me;
	struct volume_info	 vol, sigs;
	char			*srcs[] = { "vault" };
	int			 rc = -1;

	memset(k, 0, sizeof *k);
	k->sink.ops = &cap_ops;
	k->limit = limit;
	memset(&h, 0, sizeof h);
	h.set_id = SET;
	h.full = 1;
	h.time = 1767225600;
	h.sources = srcs;
	h.nsources = 1;
	h.keys = "14D12DBD9281A555";
	if ((mw = manifest_writer_new(cause)) == NULL)
		return -1;
	memset(&me, 0, sizeof me);
	me.e.kind = 'c';
	me.e.mode = 0600;
	me.e.rdev = 259;
	me.e.path = "vault/c";
	if (manifest_writer_add(mw, &me, cause) != 0)
		goto out;
	memset(&me, 0, sizeof me);
	me.e.kind = 'f';
	me.e.mode = 0644;
	me.e.size = 3;
	me.e.path = "vault/f";
	me.has_sha256 = 1;
	me.loc.vol = 1;
	me.loc.last = 1;
	if (manifest_writer_add(mw, &me, cause) != 0)
		goto out;
	memset(&vol, 0, sizeof vol);
	vol.number = 1;
	vol.name = "tresor." SET ".vol000001.gpg";
	vol.size = 10;
	memset(&sigs, 0, sizeof sigs);
	sigs.name = "tresor." SET ".sigs.gpg";
	sigs.size = 10;
	rc = manifest_writer_write(mw, &k->sink, copy, &h, &vol, 1, &sigs,
	    cause);
out:
	manifest_writer_free(mw);
	return rc;
}

/*
 * The manifest writer: a device's rdev is written and read back; a sink
 * that fails at any point of the text (header, source, entries, volume,
 * signatures, end line) fails the write with the sink's message; a local
 * copy that cannot be written (an unbuffered /dev/full) is named.
 */
static void
test_writer(void)
{
	struct cap_sink	 k;
	struct counts	 c;
	char		*cause = NULL, *full = NULL;
	size_t		 len, limit, bad = 0, tried = 0;
	FILE		*f;
	int		 rc;

	rc = write_manifest((size_t)-1, NULL, &k, &cause);
	full = k.buf;
	len = k.len;
	tap_ok(rc == 0 && full != NULL && strstr(full, "c path=vault/c "
	    "mode=0600 uid=0 gid=0 mtime=0.000000000 rdev=259\n") != NULL &&
	    strstr(full, "source vault\n") != NULL && strstr(full,
	    "signatures name=") != NULL, "writer: a device's rdev is written "
	    "(%s)", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	memset(&c, 0, sizeof c);
	rc = full != NULL ? parse_file(full, len, &c, &cause) : -1;
	tap_ok(rc == 0 && c.entries == 2 && c.volumes == 1 && c.sigs == 1,
	    "writer: and what it wrote reads back: %d entries (%s)",
	    c.entries, cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;

	/* Fail at every line's start and in the middle of every line. */
	for (limit = 0; full != NULL && limit < len; limit++) {
		if (limit != 0 && full[limit - 1] != '\n' &&
		    full[limit] != ' ')
			continue;
		tried++;
		rc = write_manifest(limit, NULL, &k, &cause);
		if (rc == 0 || cause == NULL || strstr(cause,
		    "test sink full") == NULL)
			bad++;
		free(k.buf);
		free(cause);
		cause = NULL;
	}
	tap_ok(tried > 20 && bad == 0, "writer: a sink failing at any of %zu "
	    "points fails the write with its message (%zu did not)", tried,
	    bad);

	if ((f = fopen("/dev/full", "we")) != NULL) {
		setvbuf(f, NULL, _IONBF, 0);
		rc = write_manifest((size_t)-1, f, &k, &cause);
		tap_ok(rc != 0 && cause != NULL && strstr(cause, "unable to "
		    "write the manifest's local copy") != NULL &&
		    strstr(cause, "No space left") != NULL,
		    "writer: a local copy on a full disk is named: %s",
		    cause != NULL ? cause : "(written)");
		free(k.buf);
		free(cause);
		cause = NULL;
		fclose(f);
	}
	free(full);

	/* No spool file where TMPDIR says: named, with the directory. */
	{
		char			*old = getenv("TMPDIR");
		char			*keep = old != NULL ? xstrdup(old) : NULL;
		struct manifest_writer	*mw;

		setenv("TMPDIR", "/nonexistent/spool", 1);
		mw = manifest_writer_new(&cause);
		tap_ok(mw == NULL && cause != NULL && strstr(cause, "unable to "
		    "create the manifest spool file in '/nonexistent/spool'") !=
		    NULL, "writer: a spool that cannot be made is named: %s",
		    cause != NULL ? cause : "(made)");
		manifest_writer_free(mw);
		free(cause);
		if (keep != NULL)
			setenv("TMPDIR", keep, 1);
		else
			unsetenv("TMPDIR");
		free(keep);
	}
}

/* crypto_new refuses options that do not make a key, in one line each. */
static void
test_crypto_options(void)
{
	struct crypto_options	 co;
	struct crypto		*c;
	char			 dir[] = "/tmp/tresor-test-copts.XXXXXX";
	char			*cause = NULL, *pw, *want, *out = NULL;
	const char		*key = "/nonexistent/key.asc";
	const char		*nokey = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
				    "\nbm90IGEga2V5Cg==\n=AAAA\n"
				    "-----END PGP PUBLIC KEY BLOCK-----\n";
	size_t			 outlen = 0;
	int			 fd, rc, secret = 0;

	memset(&co, 0, sizeof co);
	co.encrypt_key = "0123456789ABCDEF";
	co.key_file = key;
	c = crypto_new(&co, 0, &cause);
	tap_ok(c == NULL && cause != NULL && strcmp(cause, "give "
	    "--encrypt-key or --key-file, not both") == 0,
	    "crypto: a key ID and a key file at once: %s",
	    cause != NULL ? cause : "(accepted)");
	crypto_free(c);
	free(cause);
	cause = NULL;

	memset(&co, 0, sizeof co);
	c = crypto_new(&co, 0, &cause);
	tap_ok(c == NULL && cause != NULL && strstr(cause, "no encryption "
	    "key: give --encrypt-key FPR") != NULL,
	    "crypto: encryption with no key at all: %s",
	    cause != NULL ? cause : "(accepted)");
	crypto_free(c);
	free(cause);
	cause = NULL;

	if (mkdtemp(dir) != NULL) {
		co.passphrase_file = dir;
		c = crypto_new(&co, 0, &cause);
		tap_ok(c == NULL && cause != NULL && strstr(cause, "unable to "
		    "read passphrase file '") != NULL && strstr(cause, dir) !=
		    NULL, "crypto: a passphrase file that is a directory: %s",
		    cause != NULL ? cause : "(accepted)");
		crypto_free(c);
		free(cause);
		cause = NULL;

		/* An empty passphrase file: no passphrase, said as such. */
		pw = xasprintf("%s/pw", dir);
		if ((fd = open(pw, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1)
			close(fd);
		co.passphrase_file = pw;
		c = crypto_new(&co, 0, &cause);
		want = xasprintf("passphrase file '%s' is empty", pw);
		tap_ok(c == NULL && cause != NULL && strcmp(cause, want) == 0,
		    "crypto: an empty passphrase file: %s",
		    cause != NULL ? cause : "(accepted)");
		crypto_free(c);
		free(cause);
		cause = NULL;
		free(want);
		unlink(pw);
		free(pw);
		rmdir(dir);
	}

	/* Text that is no OpenPGP key has no public part to export. */
	if (crypto_library_init(&cause) != 0) {
		tap_ok(0, "crypto: gpgme starts: %s", cause);
		free(cause);
		return;
	}
	rc = crypto_export_public(nokey, strlen(nokey), &out, &outlen,
	    &secret, &cause);
	tap_ok(rc != 0 && out == NULL && outlen == 0 && secret == 0 &&
	    cause != NULL && strncmp(cause, "not an OpenPGP key: ", 20) == 0,
	    "crypto: exporting the public part of no key: %s",
	    cause != NULL ? cause : "(exported)");
	free(out);
	free(cause);
	cause = NULL;
}

/*
 * Files that cannot grow (RLIMIT_FSIZE, as a full disk): the manifest's
 * spool file fails an entry and then the write, naming the spool; the
 * signatures object fails a record and leaves neither its temporary
 * file nor its final name.
 */
static void
test_file_limit(void)
{
	struct rlimit		 old, low;
	struct manifest_writer	*mw;
	struct manifest_entry	 me;
	struct manifest_header	 h;
	struct volume_info	 vol, sigs;
	struct sigs_writer	*sw;
	struct cap_sink		 k;
	struct sink		*sk;
	char			*cause = NULL, *cause2 = NULL, *long_path;
	char			*spath, *stmp, *cause3, *want;
	uint64_t		 off;
	int			 i, rc = 0, rc2;

	memset(&k, 0, sizeof k);
	k.sink.ops = &cap_ops;
	k.limit = (size_t)-1;
	long_path = xmalloc(20001);
	memset(long_path, 'p', 20000);
	long_path[20000] = '\0';
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old) != 0) {
		tap_ok(0, "file limit: getrlimit");
		free(long_path);
		return;
	}
	low = old;
	low.rlim_cur = 10000;
	mw = manifest_writer_new(&cause);
	spath = xasprintf("%s.sigs", path);
	stmp = xasprintf("%s.tmp", spath);
	sw = sigs_writer_new(spath, SET, &cause2);
	if (mw == NULL || sw == NULL || setrlimit(RLIMIT_FSIZE, &low) != 0) {
		tap_ok(0, "file limit: a writer, a limit (%s, %s)",
		    cause != NULL ? cause : "-", cause2 != NULL ? cause2 : "-");
		goto out;
	}
	memset(&me, 0, sizeof me);
	me.e.kind = 'f';
	me.e.mode = 0644;
	me.e.path = "vault/a-file-with-a-long-enough-name-to-fill-the-spool";
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = manifest_writer_add(mw, &me, &cause);
	memset(&h, 0, sizeof h);
	h.set_id = SET;
	h.full = 1;
	h.keys = "symmetric";
	memset(&vol, 0, sizeof vol);
	memset(&sigs, 0, sizeof sigs);
	rc2 = manifest_writer_write(mw, &k.sink, NULL, &h, &vol, 0, &sigs,
	    &cause2);
	cause3 = NULL;
	sk = sigs_writer_begin(sw, long_path, &off, &cause3);
	setrlimit(RLIMIT_FSIZE, &old);
	tap_ok(rc == -1 && cause != NULL && strcmp(cause, "unable to write "
	    "the manifest spool file: File too large") == 0, "file limit: a "
	    "manifest entry that cannot be spooled is refused: %s",
	    cause != NULL ? cause : "(none)");
	tap_ok(rc2 == -1 && k.len == 0 && cause2 != NULL && strcmp(cause2,
	    "unable to write the manifest spool file: File too large") == 0,
	    "file limit: ... and the manifest is not written: %s",
	    cause2 != NULL ? cause2 : "(none)");
	want = xasprintf("unable to write '%s': File too large", stmp);
	tap_ok(sk == NULL && cause3 != NULL && strcmp(cause3, want) == 0,
	    "file limit: a signature record that cannot be written: %s",
	    cause3 != NULL ? cause3 : "(none)");
	free(want);
	free(cause3);
out:
	sigs_writer_free(sw);
	tap_ok(access(stmp, F_OK) != 0 && access(spath, F_OK) != 0,
	    "file limit: no signatures file is left, temporary or final");
	manifest_writer_free(mw);
	free(k.buf);
	free(cause);
	free(cause2);
	free(spath);
	free(stmp);
	free(long_path);
}

int
main(void)
{
	struct counts	 c;
	char		*text, *cause = NULL, *big;
	size_t		 i;
	int		 fd, rc, rc2;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	memset(&c, 0, sizeof c);
	text = build(NBASE, NULL, NULL);
	rc = parse_file(text, strlen(text), &c, &cause);
	tap_ok(rc == 0 && c.header == 1 && c.entries == 5 && c.volumes == 1 &&
	    c.sigs == 1, "the valid manifest parses: %d entries, %d volumes, "
	    "%d signatures (%s)", c.entries, c.volumes, c.sigs,
	    cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	tap_ok(parse_pieces(text, strlen(text), &cause) == 0,
	    "... and fed 7 bytes at a time (%s)", cause ? cause : "ok");
	free(cause);
	cause = NULL;

	for (i = 0; i < sizeof bads / sizeof *bads; i++) {
		char	*t = build(bads[i].line, bads[i].with, NULL);

		memset(&c, 0, sizeof c);
		rc = parse_file(t, strlen(t), &c, &cause);
		tap_ok(rc != 0 && cause != NULL && strstr(cause,
		    bads[i].says) != NULL && strchr(cause, '\n') == NULL &&
		    strstr(cause, "cached manifest '") != NULL,
		    "'%.50s' on line %zu: %s", bads[i].with != NULL ?
		    bads[i].with : "(left out)", bads[i].line + 1,
		    cause != NULL ? cause : "(accepted)");
		free(cause);
		cause = NULL;
		rc2 = parse_pieces(t, strlen(t), &cause);
		tap_ok(rc2 != 0 && cause != NULL && strstr(cause,
		    bads[i].says) != NULL, "... the same fed in pieces");
		free(cause);
		cause = NULL;
		free(t);
	}

	/* Text after the end line; an unterminated last line; a NUL. */
	big = build(NBASE, NULL, "volume 2 name=x size=1 sha256=" HEX "\n");
	rc = parse_file(big, strlen(big), &c, &cause);
	tap_ok(rc != 0 && strstr(cause, "line 14: text after the end line"),
	    "text after the end line is refused: %s", cause);
	free(cause);
	cause = NULL;
	free(big);
	big = build(NBASE, NULL, "x");
	rc = parse_file(big, strlen(big), &c, &cause);
	tap_ok(rc != 0 && strstr(cause, "the last line is not terminated"),
	    "an unterminated last line is refused: %s", cause);
	free(cause);
	cause = NULL;
	free(big);
	big = xstrdup(text);
	big[strlen(base[0]) + 3] = '\0';
	rc = parse_file(big, strlen(text), &c, &cause);
	tap_ok(rc != 0 && strstr(cause, "line 2 holds a NUL byte"),
	    "a NUL byte is refused: %s", cause);
	free(cause);
	cause = NULL;
	free(big);

	/* A line longer than any the writer makes; more fields than allowed. */
	big = xmalloc(2 * 1024 * 1024);
	memset(big, 'a', 2 * 1024 * 1024 - 1);
	big[2 * 1024 * 1024 - 1] = '\0';
	rc = parse_pieces(big, strlen(big), &cause);
	tap_ok(rc != 0 && strstr(cause, "is too long") != NULL,
	    "an overlong line is refused: %.60s", cause);
	free(cause);
	cause = NULL;
	{
		char	*fields = xmalloc(3 * 100000 + 64), *p = fields, *t;
		int	 k;

		p += sprintf(p, "d");
		for (k = 0; k < 5000; k++)
			p += sprintf(p, " x=%d", k);
		t = build(5, fields, NULL);
		rc = parse_file(t, strlen(t), &c, &cause);
		tap_ok(rc != 0 && strstr(cause, "line 6: more than") != NULL,
		    "too many fields are refused: %s", cause);
		free(cause);
		cause = NULL;
		free(t);
		free(fields);
	}
	free(big);

	/* A visitor's failure stops the parse with its own message. */
	for (i = 1; i <= 4; i++) {
		memset(&c, 0, sizeof c);
		c.fail_at = (int)i;
		rc = parse_file(text, strlen(text), &c, &cause);
		tap_ok(rc != 0 && cause != NULL && strstr(cause,
		    "visitor says no") != NULL, "a failing visitor (%zu) "
		    "stops it: %s", i, cause);
		free(cause);
		cause = NULL;
	}

	/* A copy that cannot be read is named. */
	unlink(path);
	rc = manifest_read_plain(path, SET, &visitor, &c, NULL, &cause);
	tap_ok(rc != 0 && strstr(cause, "unable to read cached manifest") !=
	    NULL && strstr(cause, path) != NULL,
	    "a missing copy is named: %s", cause);
	free(cause);
	cause = NULL;
	if (mkdir(path, 0700) == 0) {
		rc = manifest_read_plain(path, SET, &visitor, &c, NULL, &cause);
		tap_ok(rc != 0 && strstr(cause, "unable to read cached "
		    "manifest") != NULL, "a directory in its place is named: %s",
		    cause);
		free(cause);
		cause = NULL;
		rmdir(path);
	}
	free(text);
	test_names();
	test_sigs();
	test_records();
	test_crypto_no_fds();
	test_writer();
	test_file_limit();
	test_crypto_options();
	return tap_done();
}
