/*
 * test-filters.c: the streaming stages (format/filter/): zstd and gpg
 * output is read by the zstd and gpg command-line tools and vice versa,
 * with 1-byte and large writes; truncation, garbage and a failing next
 * stage are reported, not swallowed. The async stage is checked the same
 * way, and its failure paths are run so that a leaked cause (LeakSanitizer)
 * or an unlocked read (ThreadSanitizer) shows up in the sanitizer builds.
 * A decompressor whose next stage fails, an fd sink on a full disk or
 * with a failing fsync report it, naming what they write.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/filter.h"
#include "format/record.h"
#include "tests/mem_sink.h"
#include "tests/tap.h"


static char	tmpdir[] = "/tmp/tresor-test-filters.XXXXXX";

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}




static uint8_t *
test_data(size_t len)
{
	uint8_t	*p = xmalloc(len);
	size_t	 i;
	uint32_t x = 12345;

	/* Compressible but not trivial: text-like with pseudo-random runs. */
	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (i % 7 == 0) ? (uint8_t)(x >> 24) : (uint8_t)('a' + i % 13);
	}
	return p;
}

static void
test_zstd(void)
{
	size_t		 len = 3 * 1024 * 1024 + 17, got_len, steps[] = { 1, 4096,
			     3 * 1024 * 1024 + 17 };
	uint8_t		*data = test_data(len), *got;
	struct mem_sink	 m;
	struct sink	*z;
	char		*cause = NULL, *zfile = tmp_path("z.zst"),
			*out = tmp_path("z.out"), *cmd;
	size_t		 i, step;

	for (i = 0; i < 3; i++) {
		step = steps[i];
		/* The 1-byte case on 3 MiB is slow to no purpose: use 64 KiB. */
		size_t n = step == 1 ? 65536 : len;

		mem_init(&m, 0);
		z = zstd_compress_sink_new(3, &m.sink);
		tap_ok(push(z, data, n, step, &cause) == 0 && m.finished,
		    "zstd compresses %zu bytes in %zu-byte writes", n, step);
		tap_ok(zstd_compress_sink_bytes_out(z) == m.buf.len &&
		    m.buf.len < n, "compressed size is counted (%zu < %zu)",
		    m.buf.len, n);
		sink_free(z);
		write_file(zfile, m.buf.data, m.buf.len);
		cmd = xasprintf("zstd -dqf '%s' -o '%s'", zfile, out);
		tap_ok(run(cmd), "zstd -d reads it");
		free(cmd);
		got = read_file(out, &got_len);
		tap_ok(got != NULL && got_len == n && memcmp(got, data, n) == 0,
		    "and gets the same bytes back");
		free(got);

		/* And back through our decompressor, in the same steps. */
		struct mem_sink	d;

		mem_init(&d, 0);
		z = zstd_decompress_sink_new("test stream", &d.sink);
		tap_ok(push(z, m.buf.data, m.buf.len, step, &cause) == 0 &&
		    d.buf.len == n && memcmp(d.buf.data, data, n) == 0,
		    "our decompressor round-trips in %zu-byte writes", step);
		sink_free(z);
		if (step != 1) {
			recbuf_reset(&d.buf);
			z = zstd_decompress_sink_new("test stream", &d.sink);
			tap_ok(push(z, m.buf.data, m.buf.len - 5, step,
			    &cause) != 0 && cause != NULL &&
			    strstr(cause, "truncated") != NULL,
			    "a truncated frame is an error: %s", cause);
			free(cause);
			cause = NULL;
			sink_free(z);
		}
		recbuf_free(&d.buf);
		recbuf_free(&m.buf);
	}

	mem_init(&m, 0);
	z = zstd_decompress_sink_new("volume 'x'", &m.sink);
	tap_ok(push(z, (const uint8_t *)"this is not zstd at all", 23, 5,
	    &cause) != 0 && strstr(cause, "volume 'x' is corrupt") != NULL,
	    "garbage is named as corrupt: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	sink_free(z);
	mem_init(&m, 0);
	z = zstd_decompress_sink_new("volume 'x'", &m.sink);
	tap_ok(sink_finish(z, &cause) != 0, "empty input is not a frame");
	free(cause);
	cause = NULL;
	sink_free(z);
	recbuf_free(&m.buf);
	free(zfile);
	free(out);
	free(data);
}

static void
test_hash_sink(void)
{
	struct mem_sink	 m;
	struct sink	*h;
	uint8_t		 d[HASH_LEN];
	char		 hex[HASH_HEX_LEN + 1], *cause = NULL;
	uint64_t	 n;

	mem_init(&m, 0);
	h = hash_sink_new(&m.sink);
	push(h, (const uint8_t *)"abc", 3, 1, &cause);
	hash_sink_result(h, d, &n);
	hash_to_hex(d, hex);
	tap_ok(n == 3 && strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3"
	    "96177a9cb410ff61f20015ad") == 0 && m.buf.len == 3,
	    "hash stage passes bytes through and hashes them");
	sink_free(h);
	recbuf_free(&m.buf);
}

/*
 * A next stage for the async one that, once written to, says so and waits
 * until released, then fails: the failure arrives while the producer is
 * freeing the chain (the path where a cause used to leak). The flags are
 * relaxed atomics on purpose: they order nothing else, so the test adds no
 * happens-before of its own and ThreadSanitizer sees the stage's locking as
 * it is.
 */
struct gate_sink {
	struct sink	sink;
	atomic_int	entered;
	atomic_int	release;
};

static int
gate_write(struct sink *s, const void *p, size_t len, char **cause)
{
	struct gate_sink	*g = (struct gate_sink *)s;

	(void)p;
	(void)len;
	atomic_store_explicit(&g->entered, 1, memory_order_relaxed);
	while (!atomic_load_explicit(&g->release, memory_order_relaxed))
		usleep(1000);
	return error_set(cause, "gate closed");
}

static int
gate_finish(struct sink *s, char **cause)
{
	(void)s;
	return error_set(cause, "gate finish");
}

static void
gate_free(struct sink *s)
{
	(void)s;	/* owned by the test */
}

static const struct sink_ops gate_ops = { "gate", gate_write, gate_finish,
	gate_free };

static void *
gate_opener(void *arg)
{
	struct gate_sink	*g = arg;

	usleep(50 * 1000);	/* long enough for the free to be waiting */
	atomic_store_explicit(&g->release, 1, memory_order_relaxed);
	return NULL;
}

static void
test_async(void)
{
	size_t		 len = 9 * 1024 * 1024 + 5, steps[] = { 1, 65536,
			     3 * 1024 * 1024 + 1 }, i, n;
	uint8_t		*data = test_data(len);
	struct mem_sink	 m;
	struct gate_sink g;
	struct sink	*a;
	pthread_t	 t;
	char		*cause = NULL;
	int		 rc;

	for (i = 0; i < 3; i++) {
		/* 1-byte writes of 9 MiB are slow to no purpose: 256 KiB. */
		n = steps[i] == 1 ? 256 * 1024 : len;
		mem_init(&m, 0);
		a = async_sink_new(&m.sink);
		rc = push(a, data, n, steps[i], &cause);
		tap_ok(rc == 0 && m.finished && m.buf.len == n &&
		    memcmp(m.buf.data, data, n) == 0 &&
		    async_sink_bytes_in(a) == n,
		    "async passes %zu bytes in %zu-byte writes, in order", n,
		    steps[i]);
		sink_free(a);
		recbuf_free(&m.buf);
	}

	/* The next stage fails part way: the producer gets its cause. */
	mem_init(&m, 2 * 1024 * 1024);
	a = async_sink_new(&m.sink);
	rc = push(a, data, len, 65536, &cause);
	tap_ok(rc != 0 && cause != NULL &&
	    strcmp(cause, "disk full writing test output") == 0,
	    "a later stage's failure reaches the producer word for word: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	tap_ok(sink_write(a, data, 10, &cause) != 0 && cause != NULL &&
	    strcmp(cause, "disk full writing test output") == 0,
	    "and every later write reports it again");
	free(cause);
	cause = NULL;
	tap_ok(sink_finish(a, &cause) != 0 && cause != NULL &&
	    strcmp(cause, "disk full writing test output") == 0 &&
	    !m.finished, "finish reports it too and does not finish the next "
	    "stage");
	free(cause);
	cause = NULL;
	sink_free(a);
	recbuf_free(&m.buf);

	/* Finishing the next stage fails: finish reports it. */
	memset(&g, 0, sizeof g);
	g.sink.ops = &gate_ops;
	a = async_sink_new(&g.sink);
	tap_ok(sink_finish(a, &cause) != 0 && cause != NULL &&
	    strcmp(cause, "gate finish") == 0,
	    "a failing finish of the next stage is reported: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	sink_free(a);

	/*
	 * Freed unfinished while the worker is inside the next stage, which
	 * then fails: the worker's cause must be kept or freed, never lost.
	 */
	memset(&g, 0, sizeof g);
	g.sink.ops = &gate_ops;
	a = async_sink_new(&g.sink);
	rc = sink_write(a, data, 100, &cause);
	while (!atomic_load_explicit(&g.entered, memory_order_relaxed))
		usleep(1000);
	if (pthread_create(&t, NULL, gate_opener, &g) != 0)
		abort();
	sink_free(a);
	pthread_join(t, NULL);
	tap_ok(rc == 0 && cause == NULL,
	    "freeing async while its next stage fails returns cleanly (the "
	    "sanitizer builds check the cause is freed)");
	free(data);
}

static ssize_t
mem_reader(void *arg, void *buf, size_t len, char **cause)
{
	struct recbuf	*b = arg;
	size_t		 n = len < b->len ? len : b->len;

	(void)cause;
	memcpy(buf, b->data, n);
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	return (ssize_t)n;
}

static void
test_gpg(void)
{
	struct crypto_options	 co = { 0 };
	struct crypto		*c;
	struct mem_sink		 m, d;
	struct sink		*g;
	size_t			 len = 2 * 1024 * 1024 + 3, got_len;
	uint8_t			*data = test_data(len), *got;
	char			*cause = NULL, *pass = tmp_path("pass"),
				*enc = tmp_path("g.gpg"), *out = tmp_path("g.out"),
				*home = tmp_path("gnupg"), *cmd, *in;
	struct recbuf		 cipher;
	struct crypto		*wrong;
	enum crypto_failure	 failure;

	write_file(pass, "s3cret passphrase\n", 18);
	co.passphrase_file = pass;
	c = crypto_new(&co, 0, &cause);
	tap_ok(c != NULL, "symmetric crypto sets up: %s", cause ? cause : "");
	if (c == NULL)
		return;

	mem_init(&m, 0);
	g = crypto_encrypt_sink_new(c, "test object", &m.sink, &cause);
	tap_ok(g != NULL && push(g, data, len, 100000, &cause) == 0 &&
	    m.finished, "gpg stage encrypts 2 MiB");
	sink_free(g);
	tap_ok(m.buf.len > 0 && memmem(m.buf.data, m.buf.len, data + 1000, 64)
	    == NULL, "the output holds no plaintext");
	write_file(enc, m.buf.data, m.buf.len);
	cmd = xasprintf("mkdir -m 700 -p '%s' && gpg --homedir '%s' --batch "
	    "--quiet --pinentry-mode loopback --passphrase-file '%s' -o '%s' "
	    "--decrypt '%s' 2>/dev/null", home, home, pass, out, enc);
	tap_ok(run(cmd), "gpg --decrypt reads it");
	free(cmd);
	got = read_file(out, &got_len);
	tap_ok(got != NULL && got_len == len && memcmp(got, data, len) == 0,
	    "and gets the same bytes back");
	free(got);

	/* Our decryption of gpg's own symmetric output. */
	in = tmp_path("plain.in");
	write_file(in, data, len);
	cmd = xasprintf("rm -f '%s' && gpg --homedir '%s' --batch --quiet "
	    "--pinentry-mode loopback --passphrase-file '%s' -o '%s' "
	    "--symmetric '%s' 2>/dev/null", enc, home, pass, enc, in);
	tap_ok(run(cmd), "gpg --symmetric encrypts a file");
	free(cmd);
	cipher.data = read_file(enc, &cipher.len);
	cipher.cap = cipher.len;
	mem_init(&d, 0);
	tap_ok(crypto_decrypt(c, "gpg's file", mem_reader, &cipher, &d.sink,
	    &failure, &cause) == 0 && failure == CRYPTO_OK && d.buf.len ==
	    len && memcmp(d.buf.data, data, len) == 0,
	    "crypto_decrypt reads gpg's output");
	recbuf_free(&cipher);
	recbuf_free(&d.buf);

	/* A failing next stage: its message comes back, not gpg's. */
	mem_init(&d, 100000);
	g = crypto_encrypt_sink_new(c, "test object", &d.sink, &cause);
	tap_ok(g != NULL && push(g, data, len, 65536, &cause) != 0 &&
	    cause != NULL && strstr(cause, "disk full writing test output") !=
	    NULL, "a failing next stage is reported: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	sink_free(g);
	recbuf_free(&d.buf);

	/* Decrypting garbage and truncated data fails with a clear cause. */
	cipher.data = xmemdup("definitely not OpenPGP", 22);
	cipher.len = cipher.cap = 22;
	mem_init(&d, 0);
	tap_ok(crypto_decrypt(c, "object 'junk'", mem_reader, &cipher, &d.sink,
	    &failure, &cause) != 0 && strstr(cause, "object 'junk'") != NULL,
	    "garbage does not decrypt: %s", cause ? cause : "");
	tap_ok(failure == CRYPTO_DAMAGED && strstr(cause, "is corrupt") !=
	    NULL, "... and that is damage (not OpenPGP)");
	free(cause);
	cause = NULL;
	recbuf_free(&cipher);
	cipher.len = m.buf.len / 2;
	cipher.data = xmemdup(m.buf.data, cipher.len);
	cipher.cap = cipher.len;
	tap_ok(crypto_decrypt(c, "object 'half'", mem_reader, &cipher, &d.sink,
	    &failure, &cause) != 0 && strstr(cause, "object 'half'") != NULL,
	    "a truncated message does not decrypt: %s", cause ? cause : "");
	tap_ok(failure == CRYPTO_DAMAGED && strstr(cause, "is corrupt") !=
	    NULL, "... and that is damage");
	free(cause);
	cause = NULL;
	recbuf_free(&cipher);

	/* A wrong passphrase is a key problem, never damage. */
	write_file(pass, "not the passphrase\n", 19);
	co.passphrase_file = pass;
	wrong = crypto_new(&co, 1, &cause);
	cipher.len = m.buf.len;
	cipher.data = xmemdup(m.buf.data, cipher.len);
	cipher.cap = cipher.len;
	recbuf_free(&d.buf);
	mem_init(&d, 0);
	tap_ok(wrong != NULL && crypto_decrypt(wrong, "object 'pw'",
	    mem_reader, &cipher, &d.sink, &failure, &cause) != 0 &&
	    failure == CRYPTO_BAD_PASSPHRASE && strstr(cause, "passphrase") !=
	    NULL && strstr(cause, "corrupt") == NULL,
	    "a wrong passphrase is called one, not damage: %s", cause ? cause :
	    "");
	free(cause);
	cause = NULL;
	crypto_free(wrong);
	recbuf_free(&cipher);
	recbuf_free(&d.buf);
	recbuf_free(&m.buf);

	crypto_free(c);
	cmd = xasprintf("gpgconf --homedir '%s' --kill all 2>/dev/null", home);
	run(cmd);
	free(cmd);
	free(pass);
	free(enc);
	free(out);
	free(home);
	free(in);
	free(data);
}

/*
 * A message to 40 public keys we lack and to our passphrase: gpg's status
 * and stderr run to several KiB before the verdict, which must still be
 * read (it once was looked for in the first 4 KiB of stderr only).
 */
static void
test_gpg_long_status(void)
{
	struct crypto_options	 co = { 0 };
	struct crypto		*c = NULL;
	struct mem_sink		 d;
	struct recbuf		 cipher = { NULL, 0, 0 };
	enum crypto_failure	 failure = CRYPTO_FAILED;
	char			*cause = NULL, *pass = tmp_path("pass-many"),
				*home = tmp_path("gnupg-many"),
				*in = tmp_path("many.in"), *enc = tmp_path("many.gpg"),
				*cmd;
	size_t			 len = 200000;
	uint8_t			*data = test_data(len);

	write_file(pass, "many recipients\n", 16);
	write_file(in, data, len);
	cmd = xasprintf("set -e; exec 2>/dev/null; mkdir -m 700 '%s'; export GNUPGHOME='%s'; "
	    "gpg --batch --quiet --passphrase '' --quick-gen-key 'many "
	    "<many@tresor.invalid>' ed25519 sign never 2>/dev/null; "
	    "fpr=$(gpg --with-colons --list-keys many@tresor.invalid | "
	    "awk -F: '/^fpr/ { print $10; exit }'); "
	    "for i in $(seq 40); do gpg --batch --quiet --passphrase '' "
	    "--quick-add-key $fpr cv25519 encr never 2>/dev/null; done; "
	    "r=$(gpg --with-colons --list-keys many@tresor.invalid | "
	    "awk -F: '/^fpr/ { if (n++) printf \" -r %%s!\", $10 }'); "
	    "gpg --batch --quiet --trust-model always --pinentry-mode loopback "
	    "--passphrase-file '%s' --compress-algo none --symmetric --encrypt "
	    "$r -o '%s' '%s' 2>/dev/null", home, home, pass, enc, in);
	tap_ok(run(cmd), "gpg encrypts to 40 keys and a passphrase");
	free(cmd);
	co.passphrase_file = pass;
	c = crypto_new(&co, 1, &cause);
	cipher.data = read_file(enc, &cipher.len);
	cipher.cap = cipher.len;
	mem_init(&d, 0);
	tap_ok(c != NULL && cipher.data != NULL && crypto_decrypt(c,
	    "object 'many'", mem_reader, &cipher, &d.sink, &failure,
	    &cause) == 0 && failure == CRYPTO_OK && d.buf.len == len &&
	    memcmp(d.buf.data, data, len) == 0, "the verdict after 40 "
	    "NO_SECKEY lines is read: %s", cause ? cause : "ok");
	free(cause);
	crypto_free(c);
	recbuf_free(&cipher);
	recbuf_free(&d.buf);
	cmd = xasprintf("gpgconf --homedir '%s' --kill all 2>/dev/null", home);
	run(cmd);
	free(cmd);
	free(pass);
	free(home);
	free(in);
	free(enc);
	free(data);
}

/*
 * Failing next stages: a decompressed frame that the next stage cannot
 * take fails with that stage's message; an fd sink on a full disk
 * (/dev/full) and one whose fsync fails (a pipe) name what they write.
 */
static void
test_failing_outputs(void)
{
	struct mem_sink	 m, d;
	struct sink	*z, *f;
	uint8_t		*data = test_data(300000);
	char		*cause = NULL;
	int		 fd, p[2], rc;

	mem_init(&m, 0);
	z = zstd_compress_sink_new(3, &m.sink);
	push(z, data, 300000, 65536, &cause);
	{
		uint64_t	before = zstd_compress_sink_bytes_out(z);

		rc = sink_write(z, data, 0, &cause);
		tap_ok(rc == 0 && cause == NULL &&
		    zstd_compress_sink_bytes_out(z) == before,
		    "zstd: an empty write is taken and adds nothing");
	}
	sink_free(z);
	mem_init(&d, 1000);
	z = zstd_decompress_sink_new("volume 'y'", &d.sink);
	rc = push(z, m.buf.data, m.buf.len, 65536, &cause);
	tap_ok(rc != 0 && cause != NULL && strstr(cause, "disk full writing test output") !=
	    NULL, "zstd: a next stage that fails stops decompression: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	sink_free(z);
	recbuf_free(&d.buf);
	recbuf_free(&m.buf);

	if ((fd = open("/dev/full", O_WRONLY | O_CLOEXEC)) != -1) {
		f = fd_sink_new(fd, "the test's output");
		rc = sink_write(f, data, 4096, &cause);
		tap_ok(rc != 0 && cause != NULL && strstr(cause, "unable to write the "
		    "test's output: No space left") != NULL,
		    "fd sink: a full disk is named: %s",
		    cause != NULL ? cause : "(written)");
		free(cause);
		cause = NULL;
		sink_free(f);
		close(fd);
	}
	if (pipe(p) == 0) {
		f = fd_sink_new(p[1], "the pipe");
		rc = sink_write(f, "x", 1, &cause) == 0 ?
		    sink_finish(f, &cause) : 0;
		tap_ok(rc != 0 && cause != NULL &&
		    strstr(cause, "unable to write the pipe") != NULL,
		    "fd sink: an fsync that fails is named: %s",
		    cause != NULL ? cause : "(synced)");
		free(cause);
		sink_free(f);
		close(p[0]);
		close(p[1]);
	}
	free(data);
}

int
main(void)
{
	char	*cmd;
	int	 rc;

	hash_library_init();
	if (mkdtemp(tmpdir) == NULL || crypto_library_init(NULL) != 0) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	test_zstd();
	test_hash_sink();
	test_async();
	test_gpg();
	test_gpg_long_status();
	test_failing_outputs();
	rc = tap_done();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	run(cmd);
	free(cmd);
	return rc;
}
