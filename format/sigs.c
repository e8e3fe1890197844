/* sigs.c: the signatures object (see sigs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/storageop.h"
#include "common/hash.h"
#include "common/xmalloc.h"
#include "manifest.h"
#include "record.h"
#include "sigs.h"


struct sigs_writer {
	struct sink	 sink;		/* frames signature bytes as DATA */
	char		*path;
	char		*tmp;
	FILE		*f;
	uint64_t	 offset;
	uint64_t	 records;
	uint64_t	 count;
	struct hash	*hash;		/* of the signature being written */
	uint64_t	 sig_bytes;
	int		 finished;
};

static int
sigs_emit(struct sigs_writer *sw, uint8_t type, const void *p, size_t len,
    char **cause)
{
	uint8_t	header[RECORD_HEADER_LEN];
	int	i;

	header[0] = type;
	for (i = 0; i < 4; i++)
		header[1 + i] = (uint8_t)((uint32_t)len >> (8 * i));
	if (fwrite(header, 1, sizeof header, sw->f) != sizeof header ||
	    (len > 0 && fwrite(p, 1, len, sw->f) != len))
		return error_sys(cause, "unable to write '%s'", sw->tmp);
	sw->offset += RECORD_HEADER_LEN + len;
	sw->records++;
	return 0;
}

static int
sigs_sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct sigs_writer	*sw = (struct sigs_writer *)s;
	const uint8_t		*p = buf;
	size_t			 n;

	hash_update(sw->hash, buf, len);
	sw->sig_bytes += len;
	while (len > 0) {
		n = len < RECORD_DATA_MAX ? len : RECORD_DATA_MAX;
		if (sigs_emit(sw, RECORD_DATA, p, n, cause) != 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int
sigs_sink_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
sigs_sink_free(struct sink *s)
{
	(void)s;	/* owned by the writer */
}

static const struct sink_ops sigs_sink_ops = {
	.name = "signatures",
	.write = sigs_sink_write,
	.finish = sigs_sink_finish,
	.free = sigs_sink_free,
};

struct sigs_writer *
sigs_writer_new(const char *path, const char *set_id, char **cause)
{
	struct sigs_writer	*sw = xcalloc(1, sizeof *sw);
	struct recbuf		 rb = { NULL, 0, 0 };

	sw->sink.ops = &sigs_sink_ops;
	sw->path = xstrdup(path);
	sw->tmp = xasprintf("%s.tmp", path);
	if ((sw->f = fopen(sw->tmp, "we")) == NULL) {
		error_sys(cause, "unable to write '%s'", sw->tmp);
		goto fail;
	}
	recbuf_bytes(&rb, SIGS_MAGIC, VOLUME_MAGIC_LEN);
	recbuf_u16(&rb, FORMAT_VERSION);
	if (fwrite(rb.data, 1, rb.len, sw->f) != rb.len) {
		error_sys(cause, "unable to write '%s'", sw->tmp);
		goto fail;
	}
	sw->offset = rb.len;
	recbuf_reset(&rb);
	record_encode_volume_info(&rb, set_id, 0);
	if (sigs_emit(sw, RECORD_VOLUME_INFO, rb.data, rb.len, cause) != 0)
		goto fail;
	recbuf_free(&rb);
	return sw;
fail:
	recbuf_free(&rb);
	sigs_writer_free(sw);
	return NULL;
}

struct sink *
sigs_writer_begin(struct sigs_writer *sw, const char *path, uint64_t *offset,
    char **cause)
{
	struct recbuf	rb = { NULL, 0, 0 };
	int		rc;

	*offset = sw->offset;
	recbuf_string(&rb, path);
	rc = sigs_emit(sw, RECORD_SIG_BEGIN, rb.data, rb.len, cause);
	recbuf_free(&rb);
	if (rc != 0)
		return NULL;
	hash_free(sw->hash);
	sw->hash = hash_new();
	sw->sig_bytes = 0;
	return &sw->sink;
}

int
sigs_writer_end(struct sigs_writer *sw, char **cause)
{
	struct recbuf	rb = { NULL, 0, 0 };
	uint8_t		digest[HASH_LEN];
	int		rc;

	hash_final(sw->hash, digest);
	record_encode_entry_end(&rb, sw->sig_bytes, digest);
	rc = sigs_emit(sw, RECORD_SIG_END, rb.data, rb.len, cause);
	recbuf_free(&rb);
	sw->count++;
	return rc;
}

uint64_t
sigs_writer_count(const struct sigs_writer *sw)
{
	return sw->count;
}

int
sigs_writer_finish(struct sigs_writer *sw, char **cause)
{
	struct recbuf	rb = { NULL, 0, 0 };
	unsigned long	seq;
	const char	*base;
	int		rc = -1;

	recbuf_u64(&rb, sw->records);
	if (sigs_emit(sw, RECORD_VOLUME_END, rb.data, rb.len, cause) != 0)
		goto out;
	base = strrchr(sw->path, '/') != NULL ? strrchr(sw->path, '/') + 1 :
	    sw->path;
	if (fflush(sw->f) != 0 || storageop_local("fsync", base, &seq) != 0 ||
	    fsync(fileno(sw->f)) != 0) {
		error_sys(cause, "unable to write '%s'", sw->path);
		goto out;
	}
	storageop_local_done(seq);
	if (storageop_local("cache-write", base, &seq) != 0 ||
	    rename(sw->tmp, sw->path) != 0) {
		error_sys(cause, "unable to write '%s'", sw->path);
		goto out;
	}
	storageop_local_done(seq);
	sw->finished = 1;
	rc = 0;
out:
	recbuf_free(&rb);
	return rc;
}

void
sigs_writer_free(struct sigs_writer *sw)
{
	if (sw == NULL)
		return;
	if (sw->f != NULL)
		fclose(sw->f);
	if (!sw->finished)
		unlink(sw->tmp);
	hash_free(sw->hash);
	free(sw->path);
	free(sw->tmp);
	free(sw);
}

/* Read one record at *pos: type, payload (malloc'd), advancing *pos. */
static int
sigs_record(int fd, uint64_t *pos, uint8_t *type, uint8_t **payload,
    size_t *len, char **cause)
{
	uint8_t	h[RECORD_HEADER_LEN];
	size_t	plen;

	if (pread(fd, h, sizeof h, (off_t)*pos) != (ssize_t)sizeof h)
		return error_set(cause, "truncated at offset %llu",
		    (unsigned long long)*pos);
	plen = (size_t)h[1] | (size_t)h[2] << 8 | (size_t)h[3] << 16 |
	    (size_t)h[4] << 24;
	if (plen > RECORD_PAYLOAD_MAX)
		return error_set(cause, "oversized record at offset %llu",
		    (unsigned long long)*pos);
	*payload = xmalloc(plen + 1);
	if (pread(fd, *payload, plen, (off_t)(*pos + sizeof h)) !=
	    (ssize_t)plen) {
		free(*payload);
		*payload = NULL;
		return error_set(cause, "truncated at offset %llu",
		    (unsigned long long)*pos);
	}
	*type = h[0];
	*len = plen;
	*pos += sizeof h + plen;
	return 0;
}

int
sigs_read(const char *path, uint64_t offset, const char *entry_path,
    uint8_t **sig, size_t *sig_len, char **cause)
{
	struct recbuf	 out = { NULL, 0, 0 };
	struct hash	*h = hash_new();
	uint8_t		*p = NULL, type, want[HASH_LEN], got[HASH_LEN];
	uint64_t	 pos = offset, size;
	size_t		 len;
	char		*name = NULL;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		error_sys(cause, "unable to read signatures '%s'", path);
		goto out;
	}
	if (sigs_record(fd, &pos, &type, &p, &len, cause) != 0)
		goto bad;
	if (type != RECORD_SIG_BEGIN || len < 4 || (size_t)(p[0] | p[1] << 8 |
	    p[2] << 16 | (uint32_t)p[3] << 24) != len - 4) {
		error_set(cause, "no signature at offset %llu",
		    (unsigned long long)offset);
		goto bad;
	}
	name = xmalloc(len - 3);
	memcpy(name, p + 4, len - 4);
	name[len - 4] = '\0';
	if (strcmp(name, entry_path) != 0) {
		error_set(cause, "the signature at offset %llu is not for this "
		    "file", (unsigned long long)offset);
		goto bad;
	}
	for (;;) {
		free(p);
		p = NULL;
		if (sigs_record(fd, &pos, &type, &p, &len, cause) != 0)
			goto bad;
		if (type != RECORD_DATA)
			break;
		hash_update(h, p, len);
		recbuf_bytes(&out, p, len);
	}
	hash_final(h, got);
	if (type != RECORD_SIG_END || record_decode_entry_end(p, len, &size,
	    want, cause) != 0 || size != out.len ||
	    memcmp(want, got, HASH_LEN) != 0) {
		error_set(cause, "signature at offset %llu does not match its "
		    "hash", (unsigned long long)offset);
		goto bad;
	}
	*sig = out.data;
	*sig_len = out.len;
	out.data = NULL;
	rc = 0;
	goto out;
bad:
	error_prefix(cause, "signatures '%s'", path);
out:
	if (fd != -1)
		close(fd);
	free(p);
	free(name);
	recbuf_free(&out);
	hash_free(h);
	return rc;
}
