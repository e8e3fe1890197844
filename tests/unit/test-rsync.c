/*
 * test-rsync.c: the librsync stages (format/filter/rsync.c).
 * - the signature sink, in 1-byte and large writes, writes the very bytes
 *   of "rdiff signature -H blake2 -R rollsum" with the same lengths, and
 *   starts with the BLAKE2 magic; a failing next stage is reported;
 * - our delta is applied by "rdiff patch", rdiff's deltas by rsync_patch
 *   (read from the delta fd's current position, basis by pread);
 * - our own signature, delta and patch round-trip identical files, a 4 KiB
 *   change in the middle, appended data, a truncated file, an empty new
 *   file and an empty basis (an empty file or no fd at all);
 * - rsync_patch stops at max_output, and fails on a truncated delta, a
 *   wrong magic, data after the end, copies past the basis, and many
 *   garbage streams after a valid header, all quickly (an alarm guards
 *   against a hang);
 * - MD4 (and rdiff's default rabinkarp) signatures, short strong sums,
 *   absurd block lengths, truncated and empty signatures are refused by
 *   rsync_signature_load and rsync_signature_load_fd;
 * - failing system calls: a basis fd not open or not readable, a basis
 *   that shrinks while patched, a delta or signature fd that cannot be
 *   read: each refused naming what failed.
 */
#include <fcntl.h>
#include <librsync.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/filter/rsync.h"
#include "format/record.h"
#include "tests/mem_sink.h"
#include "tests/tap.h"


/* tap_ok, with the condition evaluated before the message's arguments. */
#define CHECK(cond, ...) do {						\
	int	check_ok = (cond);					\
									\
	tap_ok(check_ok, __VA_ARGS__);					\
} while (0)

static char	tmpdir[] = "/tmp/tresor-test-rsync.XXXXXX";

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}




static int
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t *
random_data(size_t len)
{
	uint8_t	*p = xmalloc(len + 1);
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(rng() >> 32);
	return p;
}

/* push(), then free the stage (and the stages it owns). */
static int
push_free(struct sink *s, const uint8_t *p, size_t len, size_t step,
    char **cause)
{
	int	rc = push(s, p, len, step, cause);

	sink_free(s);
	return rc;
}

/* Our signature of `len` bytes written in `step`-byte pieces, or -1. */
static int
make_sig(const uint8_t *p, size_t len, size_t step, struct mem_sink *m,
    char **cause)
{
	mem_init(m, 0);
	return push_free(rsync_signature_sink_new(len, &m->sink), p, len, step,
	    cause);
}

static int
make_delta(const struct rsync_signature *sig, const uint8_t *p, size_t len,
    size_t step, struct mem_sink *m, char **cause)
{
	mem_init(m, 0);
	return push_free(rsync_delta_sink_new(sig, &m->sink), p, len, step,
	    cause);
}

/* rsync_patch of the delta in file `delta` (from offset `skip`). */
static int
patch_file(const char *basis, const char *delta, off_t skip,
    uint64_t max_output, struct mem_sink *m, char **cause)
{
	int	bfd = -1, dfd, rc;

	mem_init(m, 0);
	if (basis != NULL && (bfd = open(basis, O_RDONLY)) == -1)
		return error_sys(cause, "open %s", basis);
	if ((dfd = open(delta, O_RDONLY)) == -1) {
		if (bfd != -1)
			close(bfd);
		return error_sys(cause, "open %s", delta);
	}
	lseek(dfd, skip, SEEK_SET);
	rc = rsync_patch(bfd, dfd, max_output, &m->sink, cause);
	if (bfd != -1)
		close(bfd);
	close(dfd);
	return rc;
}

static const char *
str(const char *cause)
{
	return cause != NULL ? cause : "ok";
}

static void
test_signature(void)
{
	size_t		 len = 3 * 1024 * 1024 + 17, small = 200000, got_len;
	size_t		 block_len, strong_len, b2 = 0, s2 = 0, i;
	rs_magic_number	 magic = RS_BLAKE2_SIG_MAGIC;
	uint8_t		*data = random_data(len), *got;
	struct mem_sink	 m;
	struct sink	*s;
	char		*cause = NULL, *in = tmp_path("sig.in"),
			*sig = tmp_path("sig.rdiff"), *cmd;
	struct {
		size_t	len, step;
	} cases[] = { { small, 1 }, { len, 1024 * 1024 }, { len, 4093 },
		{ 0, 1 } };

	rsync_signature_params(len, &block_len, &strong_len);
	rs_sig_args((rs_long_t)len, &magic, &b2, &s2);
	CHECK(block_len == b2 && strong_len == s2 && strong_len == 32,
	    "parameters are rs_sig_args' (block %zu, strong %zu)", block_len,
	    strong_len);

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rsync_signature_params(cases[i].len, &block_len, &strong_len);
		CHECK(make_sig(data, cases[i].len, cases[i].step, &m, &cause)
		    == 0 && m.finished, "signature of %zu bytes in %zu-byte "
		    "writes: %s", cases[i].len, cases[i].step,
		    cause ? cause : "ok");
		CHECK(m.buf.len >= 12 && memcmp(m.buf.data, "rs\x01\x37", 4)
		    == 0, "it starts with the BLAKE2 magic");
		write_file(in, data, cases[i].len);
		cmd = xasprintf("rdiff -f -H blake2 -R rollsum -b %zu -S %zu "
		    "signature '%s' '%s'", block_len, strong_len, in, sig);
		CHECK(run(cmd), "rdiff signature -b %zu -S %zu", block_len,
		    strong_len);
		free(cmd);
		got = read_file(sig, &got_len);
		CHECK(got != NULL && same(got, got_len, m.buf.data,
		    m.buf.len), "it is byte for byte rdiff's (%zu bytes)",
		    m.buf.len);
		free(got);
		recbuf_free(&m.buf);
	}

	/* A failing next stage is reported, not swallowed. */
	mem_init(&m, 1000);
	s = rsync_signature_sink_new(len, &m.sink);
	CHECK(push(s, data, len, 65536, &cause) != 0 && cause != NULL &&
	    strstr(cause, "disk full") != NULL,
	    "a failing next stage is reported: %s", str(cause));
	free(cause);
	cause = NULL;
	sink_free(s);
	recbuf_free(&m.buf);

	/* Freeing an unfinished stage is fine (it owns next). */
	mem_init(&m, 0);
	s = rsync_signature_sink_new(len, &m.sink);
	CHECK(sink_write(s, data, 5000, &cause) == 0 && !m.finished,
	    "an unfinished signature can be freed");
	sink_free(s);
	recbuf_free(&m.buf);

	free(data);
	free(in);
	free(sig);
}

static void
test_interop(void)
{
	size_t		 len = 3 * 1024 * 1024 + 17, got_len, sig_len;
	uint8_t		*basis = random_data(len), *new, *got, *sigbuf;
	struct mem_sink	 sm, dm, pm;
	struct rsync_signature *rsig;
	char		*cause = NULL, *bpath = tmp_path("basis"),
			*npath = tmp_path("new"), *spath = tmp_path("sig"),
			*dpath = tmp_path("delta"), *opath = tmp_path("out"),
			*cmd;
	int		 fd, i;
	const char	*rollsums[] = { "-R rollsum", "" };

	new = xmemdup(basis, len);
	got = random_data(4096);
	memcpy(new + len / 2, got, 4096);
	free(got);
	write_file(bpath, basis, len);
	write_file(npath, new, len);

	/* Our signature and delta, rdiff's patch. */
	CHECK(make_sig(basis, len, 100000, &sm, &cause) == 0,
	    "signature of the basis: %s", str(cause));
	write_file(spath, sm.buf.data, sm.buf.len);
	fd = open(spath, O_RDONLY);
	rsig = rsync_signature_load_fd(fd, sm.buf.len, &cause);
	close(fd);
	CHECK(rsig != NULL, "rsync_signature_load_fd reads it: %s",
	    str(cause));
	if (rsig == NULL)
		goto out;
	CHECK(make_delta(rsig, new, len, 65536, &dm, &cause) == 0 &&
	    dm.finished, "delta of the new file: %s", str(cause));
	CHECK(dm.buf.len > 4096 && dm.buf.len < 64 * 1024,
	    "a 4 KiB change makes a small delta (%zu bytes)", dm.buf.len);
	rsync_signature_free(rsig);
	write_file(dpath, dm.buf.data, dm.buf.len);
	cmd = xasprintf("rdiff -f patch '%s' '%s' '%s'", bpath, dpath, opath);
	CHECK(run(cmd), "rdiff patch applies our delta");
	free(cmd);
	got = read_file(opath, &got_len);
	CHECK(got != NULL && same(got, got_len, new, len),
	    "and rebuilds the new file");
	free(got);
	recbuf_free(&dm.buf);

	/* The in-memory loader, in 1-byte delta writes on a prefix. */
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len, &cause);
	CHECK(rsig != NULL && make_delta(rsig, new, 300000, 1, &dm,
	    &cause) == 0, "rsync_signature_load + 1-byte delta writes: %s",
	    str(cause));
	write_file(opath, new, 300000);
	write_file(dpath, dm.buf.data, dm.buf.len);
	CHECK(patch_file(bpath, dpath, 0, 300000, &pm, &cause) == 0 &&
	    same(pm.buf.data, pm.buf.len, new, 300000),
	    "which patches back: %s", str(cause));
	rsync_signature_free(rsig);
	recbuf_free(&dm.buf);
	recbuf_free(&pm.buf);

	/* rdiff's signature and delta, our patch. */
	for (i = 0; i < 2; i++) {
		cmd = xasprintf("rdiff -f -H blake2 %s signature '%s' '%s' && "
		    "rdiff -f delta '%s' '%s' '%s'", rollsums[i], bpath, spath,
		    spath, npath, dpath);
		CHECK(run(cmd), "rdiff signature %s + rdiff delta",
		    rollsums[i]);
		free(cmd);
		CHECK(patch_file(bpath, dpath, 0, len, &pm, &cause) == 0 &&
		    same(pm.buf.data, pm.buf.len, new, len),
		    "rsync_patch applies rdiff's delta: %s", str(cause));
		recbuf_free(&pm.buf);
	}

	/* rdiff's BLAKE2 signature loads, and our delta from it works. */
	cmd = xasprintf("rdiff -f -H blake2 -R rollsum signature '%s' '%s'",
	    bpath, spath);
	run(cmd);
	free(cmd);
	sigbuf = read_file(spath, &sig_len);
	rsig = rsync_signature_load(sigbuf, sig_len, &cause);
	free(sigbuf);
	CHECK(rsig != NULL && make_delta(rsig, new, len, 1 << 20, &dm,
	    &cause) == 0, "rdiff's blake2 signature loads: %s", str(cause));
	rsync_signature_free(rsig);

	/* The delta is read from the fd's current position. */
	fd = open(dpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(write(fd, "JUNKJUNK", 8) == 8 && write(fd, dm.buf.data,
	    dm.buf.len) == (ssize_t)dm.buf.len, "delta written after 8 bytes");
	close(fd);
	CHECK(patch_file(bpath, dpath, 8, len, &pm, &cause) == 0 &&
	    same(pm.buf.data, pm.buf.len, new, len) && !pm.finished,
	    "rsync_patch reads from the current offset, does not finish "
	    "out: %s", str(cause));
	recbuf_free(&pm.buf);
	recbuf_free(&dm.buf);
out:
	free(cause);
	recbuf_free(&sm.buf);
	free(basis);
	free(new);
	free(bpath);
	free(npath);
	free(spath);
	free(dpath);
	free(opath);
}

/* Our signature, delta and patch of basis -> new. */
static void
roundtrip(const char *name, const uint8_t *basis, size_t blen,
    const uint8_t *new, size_t nlen, int no_basis_fd)
{
	struct mem_sink	 sm, dm, pm;
	struct rsync_signature *rsig = NULL;
	char		*cause = NULL, *bpath = tmp_path("rt.basis"),
			*dpath = tmp_path("rt.delta");
	int		 ok;

	write_file(bpath, basis, blen);
	ok = make_sig(basis, blen, 65536, &sm, &cause) == 0 &&
	    (rsig = rsync_signature_load(sm.buf.data, sm.buf.len,
	    &cause)) != NULL &&
	    make_delta(rsig, new, nlen, 65536, &dm, &cause) == 0;
	if (ok) {
		write_file(dpath, dm.buf.data, dm.buf.len);
		ok = patch_file(no_basis_fd ? NULL : bpath, dpath, 0, nlen,
		    &pm, &cause) == 0 && same(pm.buf.data, pm.buf.len, new,
		    nlen);
		CHECK(ok, "round trip, %s (%zu -> %zu bytes, delta %zu): %s",
		    name, blen, nlen, dm.buf.len, str(cause));
		recbuf_free(&pm.buf);
		recbuf_free(&dm.buf);
	} else
		CHECK(0, "round trip, %s: %s", name, str(cause));
	rsync_signature_free(rsig);
	recbuf_free(&sm.buf);
	free(cause);
	free(bpath);
	free(dpath);
}

static void
test_roundtrips(void)
{
	size_t		 len = 1024 * 1024 + 333;
	uint8_t		*basis = random_data(len), *more = random_data(len),
			*new = xmalloc(2 * len);

	roundtrip("identical files", basis, len, basis, len, 0);
	memcpy(new, basis, len);
	memcpy(new + len / 2 - 1000, more, 4096);
	roundtrip("a 4 KiB change in the middle", basis, len, new, len, 0);
	memcpy(new, basis, len);
	memcpy(new + len, more, 100000);
	roundtrip("appended data", basis, len, new, len + 100000, 0);
	roundtrip("truncated file", basis, len, basis, len / 3, 0);
	roundtrip("empty new file", basis, len, basis, 0, 0);
	roundtrip("empty basis", basis, 0, more, len, 0);
	roundtrip("no basis fd", basis, 0, more, len, 1);
	roundtrip("both empty", basis, 0, basis, 0, 0);
	roundtrip("data moved", more, len, more + 12345, len - 12345, 0);
	free(basis);
	free(more);
	free(new);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rsync_patch of an in-memory delta against `bpath`. */
static int
patch_mem(const char *bpath, const void *delta, size_t dlen,
    uint64_t max_output, struct mem_sink *pm, char **cause)
{
	char	*dpath = tmp_path("bad.delta");
	int	 rc;

	write_file(dpath, delta, dlen);
	rc = patch_file(bpath, dpath, 0, max_output, pm, cause);
	free(dpath);
	return rc;
}

static void
test_bad_deltas(void)
{
	size_t		 len = 500000, i, n;
	uint8_t		*basis = random_data(len), *new = random_data(len);
	uint8_t		 buf[64 * 1024];
	struct mem_sink	 sm, dm, pm;
	struct rsync_signature *rsig;
	char		*cause = NULL, *bpath = tmp_path("bad.basis"), *want;
	int		 failed = 0, bounded = 1;
	double		 t0;
	/* Crafted commands after the delta magic "rs\x02\x36". */
	static const struct {
		const char	*what;
		size_t		 len;
		const char	*bytes;
	} crafted[] = {
		{ "a copy past the end of the basis", 4 + 6 + 1,
		  "rs\x02\x36\x4d\xff\xff\xff\xff\x10" },
		{ "a copy of 2^60 bytes", 4 + 17 + 1,
		  "rs\x02\x36\x54\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0\0" },
		{ "a literal of 2^62 bytes with 3 of them", 4 + 9 + 3,
		  "rs\x02\x36\x44\x40\0\0\0\0\0\0\0abc" },
		{ "a copy from a negative offset", 4 + 17 + 1,
		  "rs\x02\x36\x54\xff\xff\xff\xff\xff\xff\xff\xf0"
		  "\0\0\0\0\0\0\0\x10\0" },
		{ "a reserved command", 4 + 1, "rs\x02\x36\xff" },
		{ "no end command", 4 + 4, "rs\x02\x36\x03xyz" },
	};

	memcpy(new, basis, len / 2);
	write_file(bpath, basis, len);
	make_sig(basis, len, 65536, &sm, &cause);
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len, &cause);
	make_delta(rsig, new, len, 65536, &dm, &cause);
	rsync_signature_free(rsig);
	recbuf_free(&sm.buf);

	/* The output bound. */
	want = xasprintf("delta output exceeds the recorded size of %zu "
	    "bytes", len - 1);
	CHECK(patch_mem(bpath, dm.buf.data, dm.buf.len, len - 1, &pm,
	    &cause) != 0 && cause != NULL && strcmp(cause, want) == 0 &&
	    pm.buf.len <= len - 1, "one byte short of the output: %s "
	    "(wrote %zu)", str(cause), pm.buf.len);
	free(want);
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);
	CHECK(patch_mem(bpath, dm.buf.data, dm.buf.len, 1000, &pm,
	    &cause) != 0 && cause != NULL && strstr(cause, "exceeds the "
	    "recorded size of 1000 bytes") != NULL && pm.buf.len <= 1000,
	    "far short of the output: %s (wrote %zu)", str(cause),
	    pm.buf.len);
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);
	CHECK(patch_mem(bpath, dm.buf.data, dm.buf.len, 0, &pm,
	    &cause) != 0 && pm.buf.len == 0, "a zero bound writes nothing: %s",
	    str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);

	/* Truncated deltas. */
	for (n = 1; n < dm.buf.len; n = n * 3 + 1) {
		if (patch_mem(bpath, dm.buf.data, dm.buf.len - n, len, &pm,
		    &cause) == 0 || cause == NULL ||
		    strncmp(cause, "malformed delta: ", 17) != 0) {
			CHECK(0, "a delta short of %zu bytes: %s", n,
			    str(cause));
			failed = 1;
		}
		free(cause);
		cause = NULL;
		recbuf_free(&pm.buf);
	}
	CHECK(!failed, "a delta short of 1, 4, 13, ... bytes is malformed");
	patch_mem(bpath, dm.buf.data, dm.buf.len - 1, len, &pm, &cause);
	CHECK(cause != NULL, "one byte short: %s", str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);
	CHECK(patch_mem(bpath, dm.buf.data, 0, len, &pm, &cause) != 0,
	    "an empty delta: %s", str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);

	/* Data after the end command. */
	recbuf_bytes(&dm.buf, "x", 1);
	CHECK(patch_mem(bpath, dm.buf.data, dm.buf.len, len, &pm,
	    &cause) != 0 && strstr(str(cause), "data after its end") != NULL,
	    "a byte after the end: %s", str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);
	recbuf_free(&dm.buf);

	/*
	 * A delta whose end command is the last byte of a 64 KiB read
	 * (rsync_patch's buffer), then one more byte: the byte comes in
	 * the next read, after librsync said it was done. A literal of
	 * 65536 - 10 bytes: magic (4), LITERAL_N4 (1), its length (4), the
	 * bytes, END (1).
	 */
	{
		size_t	 lit = 65536 - 10, dl = 65536 + 1;
		uint8_t	*d = xmalloc(dl);

		memcpy(d, "rs\x02\x36\x43", 5);
		d[5] = (uint8_t)(lit >> 24);
		d[6] = (uint8_t)(lit >> 16);
		d[7] = (uint8_t)(lit >> 8);
		d[8] = (uint8_t)lit;
		memset(d + 9, 'L', lit);
		d[65535] = 0;
		d[65536] = 'x';
		CHECK(patch_mem(bpath, d, dl - 1, len, &pm, &cause) == 0 &&
		    pm.buf.len == lit, "a delta ending at its 64 KiB read "
		    "patches (%s)", str(cause));
		free(cause);
		cause = NULL;
		recbuf_free(&pm.buf);
		CHECK(patch_mem(bpath, d, dl, len, &pm, &cause) != 0 &&
		    strcmp(str(cause), "malformed delta: data after its end")
		    == 0, "... and a byte after it, in the next read, is "
		    "refused: %s", str(cause));
		free(cause);
		cause = NULL;
		recbuf_free(&pm.buf);
		free(d);
	}

	/* Not a delta. */
	CHECK(patch_mem(bpath, "rs\x01\x37garbage", 11, len, &pm,
	    &cause) != 0 && strncmp(str(cause), "malformed delta: ", 17) == 0,
	    "a signature is not a delta: %s", str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);

	for (i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
		CHECK(patch_mem(bpath, crafted[i].bytes, crafted[i].len, len,
		    &pm, &cause) != 0 && pm.buf.len <= len, "%s fails: %s",
		    crafted[i].what, str(cause));
		free(cause);
		cause = NULL;
		recbuf_free(&pm.buf);
	}

	/* Garbage after a valid header: fails or stays bounded, quickly. */
	t0 = now();
	failed = 0;
	for (i = 0; i < 300; i++) {
		n = 4 + rng() % (sizeof buf - 4);
		if (i % 3 == 0)
			n = 4 + rng() % 64;
		memcpy(buf, "rs\x02\x36", 4);
		/* Every third one only valid command bytes (1 to 0x54). */
		for (size_t j = 4; j < n; j++)
			buf[j] = i % 3 == 1 ? (uint8_t)(1 + rng() % 0x54) :
			    (uint8_t)(rng() >> 40);
		if (patch_mem(bpath, buf, n, 100000, &pm, &cause) != 0)
			failed++;
		if (pm.buf.len > 100000)
			bounded = 0;
		free(cause);
		cause = NULL;
		recbuf_free(&pm.buf);
	}
	CHECK(bounded, "300 garbage deltas stay within max_output (%d fail)",
	    failed);
	CHECK(now() - t0 < 30, "and take %.2f s", now() - t0);

	free(bpath);
	free(basis);
	free(new);
}

static void
test_bad_signatures(void)
{
	size_t		 len = 100000, sig_len = 0;
	uint8_t		*data = random_data(len), *sig;
	struct mem_sink	 sm;
	struct rsync_signature *rsig;
	char		*cause = NULL, *in = tmp_path("bs.in"),
			*spath = tmp_path("bs.sig"), *cmd;
	int		 fd;

	write_file(in, data, len);
	cmd = xasprintf("rdiff -f -H md4 -R rollsum signature '%s' '%s'", in,
	    spath);
	CHECK(run(cmd), "rdiff signature -H md4");
	free(cmd);
	sig = read_file(spath, &sig_len);
	rsig = rsync_signature_load(sig, sig_len, &cause);
	CHECK(rsig == NULL && strstr(str(cause), "md4") != NULL,
	    "an md4 signature is refused: %s", str(cause));
	rsync_signature_free(rsig);
	free(cause);
	cause = NULL;
	fd = open(spath, O_RDONLY);
	rsig = rsync_signature_load_fd(fd, sig_len, &cause);
	close(fd);
	CHECK(rsig == NULL && strstr(str(cause), "md4") != NULL,
	    "also from an fd: %s", str(cause));
	free(cause);
	cause = NULL;
	free(sig);

	cmd = xasprintf("rdiff -f -H blake2 -R rollsum -S 8 signature '%s' "
	    "'%s'", in, spath);
	run(cmd);
	free(cmd);
	sig = read_file(spath, &sig_len);
	rsig = rsync_signature_load(sig, sig_len, &cause);
	CHECK(rsig == NULL && strstr(str(cause), "strong sum length 8") !=
	    NULL, "a blake2 signature with 8-byte sums is too weak: %s",
	    str(cause));
	free(cause);
	cause = NULL;
	free(sig);

	cmd = xasprintf("rdiff -f signature '%s' '%s'", in, spath);
	run(cmd);
	free(cmd);
	sig = read_file(spath, &sig_len);
	rsig = rsync_signature_load(sig, sig_len, &cause);
	CHECK(rsig == NULL && strstr(str(cause), "not a blake2") != NULL,
	    "rdiff's default (rabinkarp) signature is refused: %s",
	    str(cause));
	free(cause);
	cause = NULL;
	free(sig);

	make_sig(data, len, 65536, &sm, &cause);
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len - 7, &cause);
	CHECK(rsig == NULL && strncmp(str(cause), "malformed signature: ",
	    21) == 0, "a truncated signature: %s", str(cause));
	free(cause);
	cause = NULL;
	rsig = rsync_signature_load(sm.buf.data, 10, &cause);
	CHECK(rsig == NULL && cause != NULL, "a 10-byte signature: %s",
	    str(cause));
	free(cause);
	cause = NULL;
	rsig = rsync_signature_load("", 0, &cause);
	CHECK(rsig == NULL && cause != NULL, "an empty signature: %s",
	    str(cause));
	free(cause);
	cause = NULL;
	memcpy(sm.buf.data + 4, "\x7f\0\0\0", 4);
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len, &cause);
	CHECK(rsig == NULL && strstr(str(cause), "block length") != NULL,
	    "an absurd block length: %s", str(cause));
	free(cause);
	cause = NULL;
	memcpy(sm.buf.data + 4, "\0\0\1\0\0\0\0\x40", 8);
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len, &cause);
	CHECK(rsig == NULL && strstr(str(cause), "strong sum length 64") !=
	    NULL, "a 64-byte strong sum: %s", str(cause));
	free(cause);
	cause = NULL;

	/* load_fd: fewer bytes in the file than announced. */
	recbuf_free(&sm.buf);
	make_sig(data, len, 65536, &sm, &cause);
	write_file(spath, sm.buf.data, 100);
	fd = open(spath, O_RDONLY);
	rsig = rsync_signature_load_fd(fd, sm.buf.len, &cause);
	close(fd);
	CHECK(rsig == NULL && strstr(str(cause), "truncated") != NULL,
	    "load_fd of a short file: %s", str(cause));
	free(cause);
	cause = NULL;
	recbuf_free(&sm.buf);

	/* The signature of an empty file loads and deltas. */
	make_sig(data, 0, 1, &sm, &cause);
	write_file(spath, sm.buf.data, sm.buf.len);
	fd = open(spath, O_RDONLY);
	rsig = rsync_signature_load_fd(fd, sm.buf.len, &cause);
	close(fd);
	CHECK(rsig != NULL, "an empty file's signature (%zu bytes) loads "
	    "from an fd: %s", sm.buf.len, str(cause));
	rsync_signature_free(rsig);
	recbuf_free(&sm.buf);

	free(data);
	free(in);
	free(spath);
}

/* A sink that truncates the basis file at its first write. */
struct shrink_sink {
	struct mem_sink	m;
	const char	*basis;
	int		shrunk;
};

static int
shrink_write(struct sink *s, const void *p, size_t len, char **cause)
{
	struct shrink_sink	*k = (struct shrink_sink *)s;

	if (!k->shrunk && truncate(k->basis, 0) != 0)
		return error_sys(cause, "truncate %s", k->basis);
	k->shrunk = 1;
	return mem_write(s, p, len, cause);
}

static const struct sink_ops shrink_ops = { "shrink", shrink_write,
	mem_finish, mem_free };

/*
 * rsync_patch and rsync_signature_load_fd when the system fails them: a
 * basis fd that is not open or not readable, a basis that shrinks while
 * it is patched (the size came from fstat at the start), a delta or a
 * signature fd that cannot be read (a directory).
 */
static void
test_io_errors(void)
{
	size_t			 len = 1 << 20;
	uint8_t			*basis = random_data(len);
	char			*bpath = tmp_path("io-basis");
	char			*dpath = tmp_path("io-delta");
	struct mem_sink		 sm, dm, pm;
	struct shrink_sink	 k;
	struct rsync_signature	*rsig;
	char			*cause = NULL;
	int			 bfd, dfd, dirfd;

	make_sig(basis, len, 65536, &sm, &cause);
	rsig = rsync_signature_load(sm.buf.data, sm.buf.len, &cause);
	CHECK(rsig != NULL && make_delta(rsig, basis, len, 65536, &dm,
	    &cause) == 0, "io: a delta of a file against itself: %s",
	    str(cause));
	write_file(bpath, basis, len);
	write_file(dpath, dm.buf.data, dm.buf.len);
	dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY);

	/* A basis fd that is not open: fstat fails. */
	dfd = open(dpath, O_RDONLY);
	mem_init(&pm, 0);
	CHECK(rsync_patch(999, dfd, len, &pm.sink, &cause) != 0 &&
	    strstr(str(cause), "unable to stat the basis") != NULL,
	    "io: a basis fd that is not open: %s", str(cause));
	close(dfd);
	free(cause);
	cause = NULL;

	/* A basis open for writing only: pread fails, naming the offset. */
	bfd = open(bpath, O_WRONLY);
	dfd = open(dpath, O_RDONLY);
	CHECK(rsync_patch(bfd, dfd, len, &pm.sink, &cause) != 0 &&
	    strstr(str(cause), "unable to read the basis at offset 0") != NULL,
	    "io: a basis that cannot be read: %s", str(cause));
	close(bfd);
	close(dfd);
	free(cause);
	cause = NULL;
	recbuf_free(&pm.buf);

	/* The basis shrinks to nothing after the first output. */
	memset(&k, 0, sizeof k);
	mem_init(&k.m, 0);
	k.m.sink.ops = &shrink_ops;
	k.basis = bpath;
	bfd = open(bpath, O_RDONLY);
	dfd = open(dpath, O_RDONLY);
	CHECK(rsync_patch(bfd, dfd, len, &k.m.sink, &cause) != 0 && k.shrunk &&
	    strstr(str(cause), "it shrank while being patched") != NULL &&
	    k.m.buf.len < len, "io: a basis that shrinks while patched "
	    "(%zu bytes out): %s", k.m.buf.len, str(cause));
	close(bfd);
	close(dfd);
	free(cause);
	cause = NULL;
	recbuf_free(&k.m.buf);

	/* A delta fd that is a directory: read fails. */
	mem_init(&pm, 0);
	CHECK(rsync_patch(-1, dirfd, len, &pm.sink, &cause) != 0 &&
	    strstr(str(cause), "unable to read the delta") != NULL,
	    "io: a delta that cannot be read: %s", str(cause));
	free(cause);
	cause = NULL;

	/* A signature fd that is a directory. */
	CHECK(rsync_signature_load_fd(dirfd, sm.buf.len, &cause) == NULL &&
	    strstr(str(cause), "unable to read the signature") != NULL,
	    "io: a signature that cannot be read: %s", str(cause));
	free(cause);
	cause = NULL;

	close(dirfd);
	rsync_signature_free(rsig);
	recbuf_free(&sm.buf);
	recbuf_free(&dm.buf);
	free(basis);
	free(bpath);
	free(dpath);
}

/*
 * Write the delta of `new` against `basis` to a file and open it: -1 on
 * failure. `block` > 0 picks the signature's block length.
 */
static int
delta_fd_of(const uint8_t *basis, size_t blen, const uint8_t *new,
    size_t nlen, const char *name)
{
	struct mem_sink		 sm, dm;
	struct rsync_signature	*rsig = NULL;
	char			*cause = NULL, *path = tmp_path(name);
	int			 fd = -1;

	if (make_sig(basis, blen, 1 << 20, &sm, &cause) != 0 ||
	    (rsig = rsync_signature_load(sm.buf.data, sm.buf.len,
	    &cause)) == NULL || make_delta(rsig, new, nlen, 1 << 20, &dm,
	    &cause) != 0)
		goto out;
	write_file(path, dm.buf.data, dm.buf.len);
	fd = open(path, O_RDONLY);
out:
	if (cause != NULL)
		tap_diag("%s", cause);
	free(cause);
	rsync_signature_free(rsig);
	recbuf_free(&sm.buf);
	recbuf_free(&dm.buf);
	free(path);
	return fd;
}

/*
 * Stream `len` bytes of basis (in `step`-byte writes; all of it, or only
 * `give`) into a patch of the delta in dfd: 0 with the output in m (which
 * fails past `limit` bytes, if not 0), or -1.
 */
static int
stream_patch(int dfd, const uint8_t *basis, size_t len, size_t give,
    size_t step, uint64_t max_output, size_t limit, struct mem_sink *m,
    char **cause)
{
	struct sink	*ps;
	size_t		 off, n;
	int		 rc = -1;

	mem_init(m, limit);
	lseek(dfd, 0, SEEK_SET);
	if ((ps = rsync_patch_stream_new(dfd, len, max_output, &m->sink,
	    cause)) == NULL)
		return -1;
	for (off = 0; off < give; off += n) {
		n = give - off < step ? give - off : step;
		if (sink_write(ps, basis + off, n, cause) != 0)
			goto out;
	}
	rc = sink_finish(ps, cause);
out:
	sink_free(ps);
	return rc;
}

static int
runs_forward(int dfd, uint64_t basis_size, uint64_t max_output, char **cause)
{
	lseek(dfd, 0, SEEK_SET);
	return rsync_delta_runs_forward(dfd, basis_size, max_output, cause);
}

/*
 * A delta applied while its basis streams in: the same output as from a
 * file, whatever the write sizes, with a basis larger than the ring (so
 * the writer waits, and bytes no copy wants are skipped); backward copies
 * found by the dry run, and refused by the stream, never hanging; a basis
 * that ends early, output past the bound, a stream freed unfinished.
 */
static void
test_stream(void)
{
	size_t		 len = 20 * 1024 * 1024 + 4093, half = len / 2, i;
	uint8_t		*basis = random_data(len), *fwd, *swap, *other;
	size_t		 fwd_len = len + 70000;
	static const size_t steps[] = { 1 << 20, 65536, 4093, 777 };
	struct mem_sink	 m;
	struct sink	*ps;
	char		*cause = NULL;
	int		 dfwd, dswap, dother, rc;

	/* Forward: rewritten in three places, a hole punched, appended. */
	fwd = xmalloc(fwd_len);
	memcpy(fwd, basis, len);
	memset(fwd + 1000, 'x', 5000);
	memset(fwd + 9 * 1024 * 1024, 0, 3 * 1024 * 1024);
	memcpy(fwd + 15 * 1024 * 1024, "changed", 7);
	memset(fwd + len, 'y', fwd_len - len);
	/* Backward: the halves swapped. */
	swap = xmalloc(len);
	memcpy(swap, basis + half, len - half);
	memcpy(swap + (len - half), basis, half);
	/* Nothing in common: literals only, trivially forward. */
	other = random_data(len / 4);

	dfwd = delta_fd_of(basis, len, fwd, fwd_len, "s-fwd.delta");
	dswap = delta_fd_of(basis, len, swap, len, "s-swap.delta");
	dother = delta_fd_of(basis, len, other, len / 4, "s-other.delta");
	if (dfwd == -1 || dswap == -1 || dother == -1) {
		tap_ok(0, "stream: make the deltas");
		goto out;
	}

	CHECK(runs_forward(dfwd, len, fwd_len, &cause) == 1,
	    "dry run: a delta of changes in place runs forward: %s",
	    str(cause));
	CHECK(runs_forward(dswap, len, len, &cause) == 0 && cause == NULL,
	    "dry run: swapped halves copy backward");
	CHECK(runs_forward(dother, len, len / 4, &cause) == 1,
	    "dry run: a delta of literals only runs forward: %s", str(cause));
	CHECK(runs_forward(dfwd, len, fwd_len - 1, &cause) == -1 &&
	    cause != NULL && strstr(cause, "exceeds") != NULL,
	    "dry run: output past the bound is an error: %s", str(cause));
	free(cause);
	cause = NULL;
	CHECK(runs_forward(dfwd, len / 2, fwd_len, &cause) == -1 &&
	    cause != NULL && strstr(cause, "past the end") != NULL,
	    "dry run: a copy past the basis's end is an error: %s",
	    str(cause));
	free(cause);
	cause = NULL;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		rc = stream_patch(dfwd, basis, len, len, steps[i], fwd_len, 0, &m,
		    &cause);
		CHECK(rc == 0 && same(m.buf.data, m.buf.len, fwd, fwd_len),
		    "stream: %zu-byte basis in %zu-byte writes patches "
		    "right: %s", len, steps[i], str(cause));
		recbuf_free(&m.buf);
		free(cause);
		cause = NULL;
	}
	rc = stream_patch(dother, basis, len, len, 65536, len / 4, 0, &m,
	    &cause);
	CHECK(rc == 0 && same(m.buf.data, m.buf.len, other, len / 4),
	    "stream: literals only, the basis dropped: %s", str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	rc = stream_patch(dswap, basis, len, len, 65536, len, 0, &m, &cause);
	CHECK(rc == -1 && cause != NULL && strstr(cause, "backward") != NULL,
	    "stream: a backward copy fails, without hanging: %s", str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	rc = stream_patch(dfwd, basis, len, len / 3, 65536, fwd_len, 0, &m,
	    &cause);
	CHECK(rc == -1 && cause != NULL && strstr(cause, "basis ends") !=
	    NULL, "stream: a basis that ends early fails: %s", str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	rc = stream_patch(dfwd, basis, len, len, 65536, fwd_len - 1, 0, &m,
	    &cause);
	CHECK(rc == -1 && cause != NULL && strstr(cause, "exceeds") != NULL &&
	    m.buf.len <= fwd_len - 1,
	    "stream: output past the bound fails, bounded (%zu bytes): %s",
	    m.buf.len, str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	/* Freed halfway, with the ring full and the thread waiting. */
	mem_init(&m, 0);
	lseek(dfwd, 0, SEEK_SET);
	ps = rsync_patch_stream_new(dfwd, len, fwd_len, &m.sink, &cause);
	rc = ps != NULL && sink_write(ps, basis, len / 2, &cause) == 0;
	sink_free(ps);
	CHECK(rc, "stream: freed unfinished, it stops: %s", str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;

	/* The output failing (a full disk) fails the stream. */
	rc = stream_patch(dfwd, basis, len, len, 65536, fwd_len, 1 << 20, &m,
	    &cause);
	CHECK(rc == -1 && cause != NULL && strstr(cause, "disk full") != NULL,
	    "stream: a failing output fails it: %s", str(cause));
	recbuf_free(&m.buf);
	free(cause);
	cause = NULL;
out:
	if (dfwd != -1)
		close(dfwd);
	if (dswap != -1)
		close(dswap);
	if (dother != -1)
		close(dother);
	free(basis);
	free(fwd);
	free(swap);
	free(other);
}

int
main(void)
{
	char	*cmd;
	int	 rc;

	/* A hang is a failure: SIGALRM ends the test. */
	alarm(300);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	test_signature();
	test_interop();
	test_roundtrips();
	test_bad_deltas();
	test_bad_signatures();
	test_io_errors();
	test_stream();
	rc = tap_done();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	run(cmd);
	free(cmd);
	return rc;
}
