/* object.c: writing, verifying and reading stored objects (see object.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "common/error.h"
#include "common/storageop.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/filter.h"
#include "object.h"
#include "transports/transport.h"

struct object_writer {
	struct transport	*transport;
	char			*name;
	struct sink		*head;	/* async: owns the rest of the chain */
	struct sink		*zstd;	/* borrowed, inside the chain */
	struct sink		*hash;	/* borrowed, inside the chain */
};

static int	object_verify_stored(struct transport *, const char *,
		    uint64_t, const uint8_t *, char **);

struct object_reader_state {
	struct transport_reader	*reader;
	struct hash		*hash;
	uint64_t		 bytes;
};

struct object_writer *
object_writer_new(struct transport *t, struct crypto *c, const char *name,
    int level, char **cause)
{
	struct object_writer	*w = xcalloc(1, sizeof *w);
	struct sink		*s;

	w->transport = t;
	w->name = xstrdup(name);
	if ((s = transport_put(t, name, cause)) == NULL)
		goto fail;
	w->hash = s = hash_sink_new(s);
	if ((s = crypto_encrypt_sink_new(c, name, s, cause)) == NULL)
		goto fail;
	/* Compression runs in its own thread, beside the producer. */
	w->zstd = zstd_compress_sink_new(level, s);
	w->head = async_sink_new(w->zstd);
	return w;
fail:
	object_writer_free(w);
	return NULL;
}

struct sink *
object_writer_sink(struct object_writer *w)
{
	return w->head;
}

uint64_t
object_writer_bytes(struct object_writer *w)
{
	uint64_t	in, used, out;

	/*
	 * zstd runs behind a queue, so its output lags what was written:
	 * count the bytes not yet compressed at the ratio seen so far (1:1
	 * until zstd has taken in a first MiB), or volumes would overshoot
	 * their size by the queue's length.
	 */
	in = async_sink_bytes_in(w->head);
	used = zstd_compress_sink_bytes_in(w->zstd);
	out = zstd_compress_sink_bytes_out(w->zstd);
	if (used > in)
		used = in;
	if (used < 1024 * 1024 || out >= used)
		return out + (in - used);
	return out + (uint64_t)((double)(in - used) * ((double)out / used));
}

void
object_writer_on_digest(struct object_writer *w, hash_sink_done_fn *fn,
    void *arg)
{
	hash_sink_on_done(w->hash, fn, arg);
}

int
object_writer_finish(struct object_writer *w, uint64_t *size,
    uint8_t digest[HASH_LEN], char **cause)
{
	if (sink_finish(w->head, cause) != 0)
		return -1;
	hash_sink_result(w->hash, digest, size);
	return object_verify_stored(w->transport, w->name, *size,
	    transport_readback_proves(w->transport) ? digest : NULL, cause);
}

void
object_writer_free(struct object_writer *w)
{
	if (w == NULL)
		return;
	sink_free(w->head);
	free(w->name);
	free(w);
}

static ssize_t
object_read_some(void *arg, void *buf, size_t len, char **cause)
{
	struct object_reader_state	*st = arg;
	ssize_t				 n;

	n = transport_reader_read(st->reader, buf, len, cause);
	if (n > 0) {
		hash_update(st->hash, buf, (size_t)n);
		st->bytes += (uint64_t)n;
	}
	return n;
}

/* Start reading object `name`, hashing what is read. */
static int
object_reader_open(struct transport *t, struct object_reader_state *st,
    const char *name, char **cause)
{
	if ((st->reader = transport_get(t, name, cause)) == NULL)
		return -1;
	st->hash = hash_new();
	return 0;
}

/* Release what object_reader_open took (either may be NULL). */
static void
object_reader_close(struct object_reader_state *st)
{
	transport_reader_close(st->reader);
	hash_free(st->hash);
}

/* Read the rest of an object, hash it and compare with what is expected. */
static int
object_drain_and_check(struct transport *t, struct object_reader_state *st,
    const char *name, const uint64_t *size, const uint8_t *digest,
    char **cause)
{
	uint8_t		buf[65536], got[HASH_LEN];
	char		want_hex[HASH_HEX_LEN + 1], got_hex[HASH_HEX_LEN + 1];
	ssize_t		n;

	while ((n = object_read_some(st, buf, sizeof buf, cause)) > 0)
		;
	if (n < 0)
		return -1;
	hash_final(st->hash, got);
	if (size != NULL && st->bytes != *size)
		return error_set(cause, "object '%s' in %s is corrupt: %llu "
		    "bytes stored, %llu expected", name, transport_display(t),
		    (unsigned long long)st->bytes, (unsigned long long)*size);
	if (digest != NULL && memcmp(got, digest, HASH_LEN) != 0) {
		hash_to_hex(digest, want_hex);
		hash_to_hex(got, got_hex);
		return error_set(cause, "object '%s' in %s is corrupt: sha256 "
		    "%s, expected %s", name, transport_display(t), got_hex,
		    want_hex);
	}
	return 0;
}

int
object_verify(struct transport *t, const char *name, uint64_t size,
    const uint8_t digest[HASH_LEN], char **cause)
{
	return object_verify_stored(t, name, size, digest, cause);
}

/* The stored size, then (unless digest is NULL) the SHA-256 read back. */
static int
object_verify_stored(struct transport *t, const char *name, uint64_t size,
    const uint8_t *digest, char **cause)
{
	struct object_reader_state	st = { NULL, NULL, 0 };
	uint64_t			stored;
	int				rc = -1, found;

	found = transport_stat(t, name, &stored, cause);
	if (found < 0)
		goto out;
	if (found == 1) {
		error_set(cause, "object '%s' is missing from %s", name,
		    transport_display(t));
		goto out;
	}
	if (stored != size) {
		error_set(cause, "object '%s' in %s is corrupt: %llu bytes "
		    "stored, %llu expected", name, transport_display(t),
		    (unsigned long long)stored, (unsigned long long)size);
		goto out;
	}
	if (digest == NULL) {
		rc = 0;
		goto out;
	}
	if (object_reader_open(t, &st, name, cause) != 0)
		goto out;
	rc = object_drain_and_check(t, &st, name, &size, digest, cause);
out:
	object_reader_close(&st);
	return rc;
}

int
object_read(struct transport *t, struct crypto *c, const char *name,
    const uint64_t *size, const uint8_t *digest, struct sink *out,
    char **cause)
{
	struct object_reader_state	 st = { NULL, NULL, 0 };
	char				*decrypt_cause = NULL, *what;
	int				 rc = -1, decrypted;

	what = xasprintf("'%s' in %s", name, transport_display(t));
	if (object_reader_open(t, &st, name, cause) != 0)
		goto out;
	/*
	 * With a digest, every ciphertext octet is hashed and checked below
	 * before the caller finishes (and trusts) the plaintext: the MDC's
	 * SHA-1 would only say again what the digest proves.
	 */
	if (digest != NULL)
		decrypted = crypto_decrypt_hashed(c, what, object_read_some,
		    &st, out, NULL, &decrypt_cause);
	else
		decrypted = crypto_decrypt(c, what, object_read_some, &st,
		    out, NULL, &decrypt_cause);
	/*
	 * Corruption makes gpg fail with a vague message; when we know what
	 * the object must hash to, say exactly that instead.
	 */
	if (object_drain_and_check(t, &st, name, size, digest, cause) != 0)
		goto out;
	if (decrypted != 0) {
		error_set(cause, "%s", decrypt_cause);
		goto out;
	}
	rc = sink_finish(out, cause);
out:
	free(what);
	free(decrypt_cause);
	object_reader_close(&st);
	return rc;
}

int
object_fetch(struct transport *t, struct crypto *c, const char *name,
    const uint64_t *size, const uint8_t *digest, const char *path,
    char **cause)
{
	char		*tmp = xasprintf("%s.tmp", path);
	struct sink	*chain = NULL;
	const char	*base = strrchr(path, '/') != NULL ?
			    strrchr(path, '/') + 1 : path;
	unsigned long	 seq;
	int		 fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		error_sys(cause, "unable to write '%s'", tmp);
		goto out;
	}
	chain = zstd_decompress_sink_new(name, fd_sink_new(fd, tmp));
	if (object_read(t, c, name, size, digest, chain, cause) != 0)
		goto out;
	if (storageop_local("cache-write", base, &seq) != 0 ||
	    rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto out;
	}
	storageop_local_done(seq);
	rc = 0;
out:
	sink_free(chain);
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}
