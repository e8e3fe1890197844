/*
 * record.c: encoding and parsing volume records (see record.h). All
 * integers are little-endian. The reader keeps at most one record in
 * memory, so its size is bounded by RECORD_PAYLOAD_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "record.h"

struct record_reader {
	struct sink	 sink;
	char		*what;
	record_fn	 fn;
	void		*arg;
	uint8_t		 preamble[VOLUME_PREAMBLE_LEN];
	size_t		 preamble_len;
	uint8_t		 header[RECORD_HEADER_LEN];
	size_t		 header_len;
	uint8_t		*payload;
	size_t		 payload_len;	/* expected */
	size_t		 payload_have;
	uint64_t	 offset;	/* of the next byte */
	uint64_t	 record_offset;
	uint64_t	 records;	/* before VOLUME_END, skippable too */
	int		 ended;		/* VOLUME_END seen */
};

void
entry_clear(struct entry *e)
{
	free(e->path);
	free(e->target);
	memset(e, 0, sizeof *e);
}

int
entry_kind_valid(char k)
{
	return k != '\0' && strchr("fdlhpcb", k) != NULL;
}

void
recbuf_reset(struct recbuf *b)
{
	b->len = 0;
}

void
recbuf_free(struct recbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

void
recbuf_bytes(struct recbuf *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

void
recbuf_u8(struct recbuf *b, uint8_t v)
{
	recbuf_bytes(b, &v, 1);
}

void
recbuf_u16(struct recbuf *b, uint16_t v)
{
	uint8_t	le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	recbuf_bytes(b, le, 2);
}

void
recbuf_u32(struct recbuf *b, uint32_t v)
{
	uint8_t	le[4];
	int	i;

	for (i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	recbuf_bytes(b, le, 4);
}

void
recbuf_u64(struct recbuf *b, uint64_t v)
{
	uint8_t	le[8];
	int	i;

	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	recbuf_bytes(b, le, 8);
}

void
recbuf_string(struct recbuf *b, const char *s)
{
	size_t	len = s != NULL ? strlen(s) : 0;

	recbuf_u32(b, (uint32_t)len);
	recbuf_bytes(b, s, len);
}

void
record_encode_entry(struct recbuf *b, const struct entry *e)
{
	recbuf_u8(b, (uint8_t)e->kind);
	recbuf_u32(b, e->mode);
	recbuf_u32(b, e->uid);
	recbuf_u32(b, e->gid);
	recbuf_u64(b, (uint64_t)e->mtime_sec);
	recbuf_u32(b, e->mtime_nsec);
	recbuf_u64(b, e->size);
	recbuf_u64(b, e->rdev);
	recbuf_string(b, e->path);
	recbuf_string(b, e->target);
}

void
record_encode_entry_end(struct recbuf *b, uint64_t size,
    const uint8_t digest[HASH_LEN])
{
	recbuf_u64(b, size);
	recbuf_bytes(b, digest, HASH_LEN);
}

void
record_encode_continue(struct recbuf *b, const char *path, uint64_t offset)
{
	recbuf_u64(b, offset);
	recbuf_string(b, path);
}

void
record_encode_volume_info(struct recbuf *b, const char *set_id,
    uint32_t number)
{
	recbuf_u32(b, number);
	recbuf_string(b, set_id);
}

/* A cursor over a payload; every getter fails once the payload runs out. */
struct cursor {
	const uint8_t	*p;
	size_t		 left;
	int		 bad;
};

static uint64_t
cursor_le(struct cursor *c, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	if (c->bad || c->left < n) {
		c->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	c->left -= n;
	return v;
}

/* A string field: no NUL bytes inside, at most 64 KiB. */
static char *
cursor_string(struct cursor *c)
{
	uint64_t	 len = cursor_le(c, 4);
	char		*s;

	if (c->bad || len > c->left || len > 65535 ||
	    memchr(c->p, '\0', len) != NULL) {
		c->bad = 1;
		return NULL;
	}
	s = xmalloc(len + 1);
	memcpy(s, c->p, len);
	s[len] = '\0';
	c->p += len;
	c->left -= len;
	return s;
}

int
record_decode_entry(const uint8_t *p, size_t len, struct entry *e,
    char **cause)
{
	struct cursor	c = { p, len, 0 };

	memset(e, 0, sizeof *e);
	e->kind = (char)cursor_le(&c, 1);
	e->mode = (uint32_t)cursor_le(&c, 4);
	e->uid = (uint32_t)cursor_le(&c, 4);
	e->gid = (uint32_t)cursor_le(&c, 4);
	e->mtime_sec = (int64_t)cursor_le(&c, 8);
	e->mtime_nsec = (uint32_t)cursor_le(&c, 4);
	e->size = cursor_le(&c, 8);
	e->rdev = cursor_le(&c, 8);
	e->path = cursor_string(&c);
	e->target = cursor_string(&c);
	if (c.bad || c.left != 0 || !entry_kind_valid(e->kind) ||
	    *e->path == '\0' || e->mode > 07777 || e->mtime_nsec >= 1000000000) {
		entry_clear(e);
		return error_set(cause, "malformed entry record");
	}
	if (*e->target == '\0') {
		free(e->target);
		e->target = NULL;
	}
	return 0;
}

int
record_decode_entry_end(const uint8_t *p, size_t len, uint64_t *size,
    uint8_t digest[HASH_LEN], char **cause)
{
	struct cursor	c = { p, len, 0 };

	*size = cursor_le(&c, 8);
	if (c.bad || c.left != HASH_LEN)
		return error_set(cause, "malformed entry-end record");
	memcpy(digest, c.p, HASH_LEN);
	return 0;
}

int
record_decode_continue(const uint8_t *p, size_t len, char **path,
    uint64_t *offset, char **cause)
{
	struct cursor	c = { p, len, 0 };

	*offset = cursor_le(&c, 8);
	*path = cursor_string(&c);
	if (c.bad || c.left != 0) {
		free(*path);
		*path = NULL;
		return error_set(cause, "malformed entry-continue record");
	}
	return 0;
}

int
record_decode_volume_info(const uint8_t *p, size_t len, char **set_id,
    uint32_t *number, char **cause)
{
	struct cursor	c = { p, len, 0 };

	*number = (uint32_t)cursor_le(&c, 4);
	*set_id = cursor_string(&c);
	if (c.bad || c.left != 0) {
		free(*set_id);
		*set_id = NULL;
		return error_set(cause, "malformed volume-info record");
	}
	return 0;
}

int
record_decode_u64(const uint8_t *p, size_t len, uint64_t *v, char **cause)
{
	struct cursor	c = { p, len, 0 };

	*v = cursor_le(&c, 8);
	if (c.bad || c.left != 0)
		return error_set(cause, "malformed record: expected 8 bytes");
	return 0;
}

static int
record_reader_dispatch(struct record_reader *r, char **cause)
{
	uint8_t		type = r->header[0];
	uint64_t	count;

	if (r->ended)
		return error_set(cause, "%s is corrupt: data after the "
		    "volume end", r->what);
	if ((r->records == 0) != (type == RECORD_VOLUME_INFO))
		return error_set(cause, "%s is corrupt: VOLUME_INFO must be "
		    "the first record and only the first", r->what);
	if (type >= RECORD_SKIPPABLE_FIRST && type <= RECORD_SKIPPABLE_LAST) {
		r->records++;
		return 0;
	}
	if (type == RECORD_VOLUME_END) {
		r->ended = 1;
		if (record_decode_u64(r->payload, r->payload_len, &count,
		    NULL) != 0 || count != r->records)
			return error_set(cause, "%s is corrupt: the volume end "
			    "does not count %llu records", r->what,
			    (unsigned long long)r->records);
	}
	r->records++;
	if (r->fn(r->arg, r->record_offset, type, r->payload, r->payload_len,
	    cause) != 0)
		return error_prefix(cause, "%s at offset %llu", r->what,
		    (unsigned long long)r->record_offset);
	return 0;
}

/* Move input into dst until it holds `want` bytes; 1 once it does. */
static int
record_reader_fill(struct record_reader *r, uint8_t *dst, size_t *have,
    size_t want, const uint8_t **p, size_t *len)
{
	size_t	n = want - *have;

	n = n < *len ? n : *len;
	memcpy(dst + *have, *p, n);
	*have += n;
	*p += n;
	*len -= n;
	r->offset += n;
	return *have == want;
}

static int
record_reader_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct record_reader	*r = (struct record_reader *)s;
	const uint8_t		*p = buf;
	uint64_t		 plen;
	uint16_t		 version;
	uint8_t			 type;

	while (len > 0) {
		if (r->preamble_len < VOLUME_PREAMBLE_LEN) {
			if (!record_reader_fill(r, r->preamble, &r->preamble_len,
			    VOLUME_PREAMBLE_LEN, &p, &len))
				break;
			if (memcmp(r->preamble, VOLUME_MAGIC,
			    VOLUME_MAGIC_LEN) != 0)
				return error_set(cause, "%s is not a tresor "
				    "volume (bad magic)", r->what);
			version = (uint16_t)(r->preamble[8] |
			    r->preamble[9] << 8);
			if (version != FORMAT_VERSION)
				return error_set(cause, "%s has format version "
				    "%u; this tresor reads version %d", r->what,
				    version, FORMAT_VERSION);
			continue;
		}
		if (r->header_len < RECORD_HEADER_LEN) {
			if (r->header_len == 0)
				r->record_offset = r->offset;
			if (!record_reader_fill(r, r->header, &r->header_len,
			    RECORD_HEADER_LEN, &p, &len))
				break;
			type = r->header[0];
			plen = (uint64_t)r->header[1] | (uint64_t)r->header[2]
			    << 8 | (uint64_t)r->header[3] << 16 |
			    (uint64_t)r->header[4] << 24;
			if (plen > RECORD_PAYLOAD_MAX)
				return error_set(cause, "%s is corrupt: record "
				    "of %llu bytes at offset %llu", r->what,
				    (unsigned long long)plen,
				    (unsigned long long)r->record_offset);
			if (!(type >= RECORD_SKIPPABLE_FIRST &&
			    type <= RECORD_SKIPPABLE_LAST) &&
			    type != RECORD_VOLUME_INFO && type != RECORD_ENTRY &&
			    type != RECORD_DATA && type != RECORD_HOLE &&
			    type != RECORD_ENTRY_END &&
			    type != RECORD_ENTRY_CONTINUE &&
			    type != RECORD_DELTA &&
			    type != RECORD_VOLUME_END)
				return error_set(cause, "%s is corrupt: unknown "
				    "record type 0x%02x at offset %llu", r->what,
				    type, (unsigned long long)r->record_offset);
			r->payload_len = (size_t)plen;
			r->payload_have = 0;
		}
		if (!record_reader_fill(r, r->payload, &r->payload_have,
		    r->payload_len, &p, &len))
			break;
		if (record_reader_dispatch(r, cause) != 0)
			return -1;
		r->header_len = 0;
	}
	return 0;
}

static int
record_reader_finish(struct sink *s, char **cause)
{
	struct record_reader	*r = (struct record_reader *)s;

	if (r->preamble_len < VOLUME_PREAMBLE_LEN)
		return error_set(cause, "%s is truncated: no volume header",
		    r->what);
	if (r->header_len != 0 || !r->ended)
		return error_set(cause, "%s is truncated: it ends without a "
		    "volume-end record", r->what);
	return 0;
}

static void
record_reader_free(struct sink *s)
{
	struct record_reader	*r = (struct record_reader *)s;

	free(r->payload);
	free(r->what);
	free(r);
}

static const struct sink_ops record_reader_ops = {
	.name = "record-reader",
	.write = record_reader_write,
	.finish = record_reader_finish,
	.free = record_reader_free,
};

struct sink *
record_reader_new(const char *what, record_fn fn, void *arg)
{
	struct record_reader	*r = xcalloc(1, sizeof *r);

	r->sink.ops = &record_reader_ops;
	r->what = xstrdup(what);
	r->fn = fn;
	r->arg = arg;
	r->payload = xmalloc(RECORD_PAYLOAD_MAX);
	return &r->sink;
}
