/*
 * fuzz-record.c: the volume record reader (format/record.c), the push
 * parser every restore and verify feeds a volume's plaintext through, and
 * the payload decoders its consumers call. Input: a seed byte for how the
 * plaintext is cut into writes, then the plaintext.
 *
 * Besides the sanitizers, one property: the reader's verdict and the
 * records it reports do not depend on how the bytes were cut, so the input
 * is read twice (all at once, then in pieces) and the two runs compared.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hash.h"
#include "format/record.h"
#include "fuzz.h"

struct seen {
	uint64_t	records;
	uint64_t	sum;	/* of offsets, types and lengths */
};

static int
on_record(void *arg, uint64_t offset, uint8_t type, const uint8_t *p,
    size_t len, char **cause)
{
	struct seen	*s = arg;
	struct entry	 e;
	uint8_t		 digest[HASH_LEN];
	uint64_t	 u;
	uint32_t	 number;
	char		*str = NULL;
	int		 rc = 0;

	s->records++;
	s->sum = s->sum * 31 + offset * 7 + type * 3 + len;
	/* What restore.c does with each kind of record. */
	switch (type) {
	case RECORD_VOLUME_INFO:
		rc = record_decode_volume_info(p, len, &str, &number, cause);
		break;
	case RECORD_ENTRY:
		rc = record_decode_entry(p, len, &e, cause);
		if (rc == 0)
			entry_clear(&e);
		break;
	case RECORD_ENTRY_END:
		rc = record_decode_entry_end(p, len, &u, digest, cause);
		break;
	case RECORD_ENTRY_CONTINUE:
		rc = record_decode_continue(p, len, &str, &u, cause);
		break;
	case RECORD_HOLE:
	case RECORD_VOLUME_END:
		rc = record_decode_u64(p, len, &u, cause);
		break;
	default:
		break;
	}
	free(str);
	return rc;
}

/* Read the plaintext cut by `seed`; 0 or -1, what was seen in *s. */
static int
read_volume(const uint8_t *data, size_t size, uint8_t seed, struct seen *s)
{
	struct fuzz_chunks	 c;
	struct sink		*r = record_reader_new("volume 'fuzz'",
				    on_record, s);
	const uint8_t		*piece;
	size_t			 n;
	char			*cause = NULL;
	int			 rc = -1;

	memset(s, 0, sizeof *s);
	fuzz_chunks_init(&c, data, size, seed);
	while ((n = fuzz_chunks_next(&c, &piece)) > 0) {
		if (sink_write(r, piece, n, &cause) != 0)
			goto out;
	}
	if (sink_finish(r, &cause) != 0)
		goto out;
	rc = 0;
out:
	/* A failure always says why, in one line. */
	if (rc != 0 && (cause == NULL || strchr(cause, '\n') != NULL))
		abort();
	free(cause);
	sink_free(r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen	whole, pieces;
	int		rc1, rc2;

	if (size < 1)
		return 0;
	rc1 = read_volume(data + 1, size - 1, 0, &whole);
	rc2 = read_volume(data + 1, size - 1, data[0] | 1, &pieces);
	if (rc1 != rc2 || whole.records != pieces.records ||
	    whole.sum != pieces.sum)
		abort();
	return 0;
}
