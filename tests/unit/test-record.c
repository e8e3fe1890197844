/*
 * test-record.c: record framing (format/record.c): payload encoders and
 * decoders round-trip, the reader parses a stream fed 1 byte or all at
 * once identically, and refuses bad magic, unknown versions, unknown
 * record types, oversized records and truncation with a clear message.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "format/record.h"
#include "tests/tap.h"

struct seen {
	int		count;
	uint8_t		types[64];
	uint64_t	offsets[64];
	uint64_t	data_bytes;
};

static int
collect(void *arg, uint64_t offset, uint8_t type, const uint8_t *p, size_t len,
    char **cause)
{
	struct seen	*s = arg;

	(void)p;
	(void)cause;
	if (s->count < 64) {
		s->types[s->count] = type;
		s->offsets[s->count] = offset;
	}
	s->count++;
	if (type == RECORD_DATA)
		s->data_bytes += len;
	return 0;
}

static void
add_record(struct recbuf *out, uint8_t type, const void *p, size_t len)
{
	recbuf_u8(out, type);
	recbuf_u32(out, (uint32_t)len);
	recbuf_bytes(out, p, len);
}

/* A small valid volume plaintext. */
static void
make_volume(struct recbuf *v)
{
	struct recbuf	rb = { NULL, 0, 0 };
	struct entry	e = { 'f', 0644, 1, 2, 1700000000, 5, 3, 0,
			    (char *)"vault/a\nb", NULL };
	uint8_t		digest[HASH_LEN] = { 1, 2, 3 };

	recbuf_bytes(v, VOLUME_MAGIC, VOLUME_MAGIC_LEN);
	recbuf_u16(v, FORMAT_VERSION);
	record_encode_volume_info(&rb, "20260101T000000Z.full", 1);
	add_record(v, RECORD_VOLUME_INFO, rb.data, rb.len);
	recbuf_reset(&rb);
	record_encode_entry(&rb, &e);
	add_record(v, RECORD_ENTRY, rb.data, rb.len);
	add_record(v, RECORD_DATA, "abc", 3);
	add_record(v, 0x42, "skip me", 7);	/* skippable */
	recbuf_reset(&rb);
	record_encode_entry_end(&rb, 3, digest);
	add_record(v, RECORD_ENTRY_END, rb.data, rb.len);
	recbuf_reset(&rb);
	recbuf_u64(&rb, 5);	/* records before VOLUME_END, skippable too */
	add_record(v, RECORD_VOLUME_END, rb.data, rb.len);
	recbuf_free(&rb);
}

/* Feed bytes in chunks of `step`; returns the cause (or NULL). */
static char *
parse(const uint8_t *p, size_t len, size_t step, struct seen *s)
{
	struct sink	*r = record_reader_new("volume 'test'", collect, s);
	char		*cause = NULL;
	size_t		 off, n;

	memset(s, 0, sizeof *s);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (sink_write(r, p + off, n, &cause) != 0)
			goto out;
	}
	sink_finish(r, &cause);
out:
	sink_free(r);
	return cause;
}

static void
test_entry_roundtrip(void)
{
	struct recbuf	rb = { NULL, 0, 0 };
	struct entry	in = { 'l', 04755, 1000, 1001, -5, 999999999, 0, 0,
			    (char *)"src/\xff\xfe name", (char *)"../target" };
	struct entry	out;
	char		*cause = NULL;
	uint8_t		 digest[HASH_LEN], got[HASH_LEN];
	uint64_t	 size, off;
	char		*path, *set;
	uint32_t	 num;

	record_encode_entry(&rb, &in);
	tap_ok(record_decode_entry(rb.data, rb.len, &out, &cause) == 0,
	    "entry payload decodes");
	tap_ok(out.kind == 'l' && out.mode == 04755 && out.uid == 1000 &&
	    out.gid == 1001 && out.mtime_sec == -5 &&
	    out.mtime_nsec == 999999999, "entry fields survive");
	tap_ok(strcmp(out.path, in.path) == 0 && strcmp(out.target,
	    in.target) == 0, "non-UTF-8 path and link target survive");
	entry_clear(&out);

	tap_ok(record_decode_entry(rb.data, rb.len - 1, &out, &cause) != 0 &&
	    cause != NULL, "a short entry payload is refused");
	free(cause);
	cause = NULL;
	rb.data[0] = 'x';
	tap_ok(record_decode_entry(rb.data, rb.len, &out, &cause) != 0,
	    "an unknown entry kind is refused");
	free(cause);
	cause = NULL;

	memset(digest, 0xab, sizeof digest);
	recbuf_reset(&rb);
	record_encode_entry_end(&rb, 12345, digest);
	tap_ok(record_decode_entry_end(rb.data, rb.len, &size, got, &cause) ==
	    0 && size == 12345 && memcmp(got, digest, HASH_LEN) == 0,
	    "entry-end round-trips");
	recbuf_reset(&rb);
	record_encode_continue(&rb, "a/b", 1ULL << 40);
	tap_ok(record_decode_continue(rb.data, rb.len, &path, &off, &cause) ==
	    0 && strcmp(path, "a/b") == 0 && off == 1ULL << 40,
	    "entry-continue round-trips with offsets past 4 GiB");
	free(path);
	recbuf_reset(&rb);
	record_encode_volume_info(&rb, "20260101T000000Z.inc", 7);
	tap_ok(record_decode_volume_info(rb.data, rb.len, &set, &num, &cause) ==
	    0 && num == 7 && strcmp(set, "20260101T000000Z.inc") == 0,
	    "volume-info round-trips");
	free(set);
	recbuf_free(&rb);
}

/* One byte of a good volume changed, and what the reader must say. */
static const struct {
	long		 at;		/* offset; negative: from the end */
	uint8_t		 byte;
	const char	*want, *also, *what;
} damage[] = {
	{ 8, 2, "version 2", "reads version 1",
	    "unknown version is refused by number" },
	{ VOLUME_PREAMBLE_LEN, 0x99, "unknown record type 0x99", NULL,
	    "reserved record type is refused" },
	/* The length's high byte. */
	{ VOLUME_PREAMBLE_LEN + 4, 0x7f, "corrupt: record of", NULL,
	    "an oversized record is refused before allocation" },
	/* VOLUME_END's count, low byte. */
	{ -8, 4, "does not count 5 records", NULL,
	    "a volume end with the wrong record count is refused" },
	/* No VOLUME_INFO first. */
	{ VOLUME_PREAMBLE_LEN, RECORD_DATA, "VOLUME_INFO must be the first",
	    NULL, "a volume not starting with VOLUME_INFO is refused" },
};

static void
test_reader(void)
{
	struct recbuf	 v = { NULL, 0, 0 };
	struct seen	 one, all;
	char		*cause;
	uint8_t		*copy;
	size_t		 i;

	make_volume(&v);
	cause = parse(v.data, v.len, 1, &one);
	tap_ok(cause == NULL, "volume parses fed 1 byte at a time");
	free(cause);
	cause = parse(v.data, v.len, v.len, &all);
	tap_ok(cause == NULL, "volume parses fed at once");
	free(cause);
	tap_ok(one.count == 5 && all.count == 5, "5 records seen, the "
	    "skippable one skipped (got %d and %d)", one.count, all.count);
	tap_ok(memcmp(one.offsets, all.offsets, sizeof one.offsets) == 0 &&
	    memcmp(one.types, all.types, sizeof one.types) == 0,
	    "same records and offsets whatever the chunking");
	tap_ok(one.offsets[0] == VOLUME_PREAMBLE_LEN && one.types[4] ==
	    RECORD_VOLUME_END, "first record right after the preamble, "
	    "VOLUME_END last");

	copy = xmemdup(v.data, v.len);
	copy[0] = 'X';
	cause = parse(copy, v.len, 7, &one);
	tap_ok(cause != NULL && strstr(cause, "bad magic") != NULL,
	    "bad magic is named: %s", cause ? cause : "(none)");
	free(cause);
	{
		struct recbuf	after = { NULL, 0, 0 };

		make_volume(&after);
		add_record(&after, RECORD_DATA, "x", 1);
		cause = parse(after.data, after.len, 3, &one);
		tap_ok(cause != NULL && strstr(cause, "volume 'test' is "
		    "corrupt: data after the volume end") != NULL,
		    "a record after the volume end is refused: %s",
		    cause ? cause : "(none)");
		free(cause);
		recbuf_free(&after);
	}

	for (i = 0; i < sizeof damage / sizeof *damage; i++) {
		memcpy(copy, v.data, v.len);
		copy[damage[i].at >= 0 ? (size_t)damage[i].at :
		    v.len - (size_t)-damage[i].at] = damage[i].byte;
		cause = parse(copy, v.len, 7, &one);
		tap_ok(cause != NULL && strstr(cause, damage[i].want) != NULL &&
		    (damage[i].also == NULL || strstr(cause, damage[i].also) !=
		    NULL), "%s: %s", damage[i].what, cause ? cause : "");
		free(cause);
	}

	cause = parse(v.data, v.len - 3, 5, &one);
	tap_ok(cause != NULL && strstr(cause, "truncated") != NULL,
	    "a truncated volume is refused: %s", cause ? cause : "");
	free(cause);

	cause = parse(v.data, 4, 5, &one);
	tap_ok(cause != NULL && strstr(cause, "no volume header") != NULL,
	    "a volume cut inside the magic is refused");
	free(cause);

	free(copy);
	recbuf_free(&v);
}

int
main(void)
{
	test_entry_roundtrip();
	test_reader();
	return tap_done();
}
