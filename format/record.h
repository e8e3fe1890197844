/*
 * record.h: the record framing inside a volume (docs/FORMAT.md, "Volume
 * plaintext"). After gpg and zstd are peeled off, a volume is:
 *
 *	Magic (8 bytes) | Format_Version (u16 LE) | Record...
 *
 * and a record is Type (u8) | Length (u32 LE) | Payload (Length bytes).
 */
#ifndef TRESOR_RECORD_H
#define TRESOR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "common/sink.h"

#define FORMAT_VERSION		1
#define VOLUME_MAGIC		"\x89TRV\r\n\x1a\n"
#define SIGS_MAGIC		"\x89TRS\r\n\x1a\n"
#define VOLUME_MAGIC_LEN	8
#define VOLUME_PREAMBLE_LEN	(VOLUME_MAGIC_LEN + 2)
#define RECORD_HEADER_LEN	5
#define RECORD_DATA_MAX		(1024 * 1024)	/* payload of one DATA record */
#define RECORD_PAYLOAD_MAX	(RECORD_DATA_MAX + 65536)

enum record_type {
	RECORD_VOLUME_INFO = 0x01,
	RECORD_ENTRY = 0x02,
	RECORD_DATA = 0x03,
	RECORD_HOLE = 0x04,
	RECORD_ENTRY_END = 0x05,
	RECORD_ENTRY_CONTINUE = 0x06,
	RECORD_DELTA = 0x07,		/* librsync delta bytes of a file */
	RECORD_SIG_BEGIN = 0x09,	/* signatures object: path */
	RECORD_SIG_END = 0x0a,		/* signatures object: size, sha256 */
	RECORD_VOLUME_END = 0x0f,
	/* 0x40-0x7f: skippable, readers ignore them. Others are reserved. */
	RECORD_SKIPPABLE_FIRST = 0x40,
	RECORD_SKIPPABLE_LAST = 0x7f,
};

/* One filesystem object. Paths are relative, '/'-separated raw bytes. */
struct entry {
	char		 kind;		/* f d l h p c b (see FORMAT.md) */
	uint32_t	 mode;		/* permission bits, st_mode & 07777 */
	uint32_t	 uid;
	uint32_t	 gid;
	int64_t		 mtime_sec;
	uint32_t	 mtime_nsec;
	uint64_t	 size;		/* regular files: size when opened */
	uint64_t	 rdev;		/* c and b only */
	char		*path;
	char		*target;	/* l: link text, h: first path; or NULL */
};

void	entry_clear(struct entry *);
int	entry_kind_valid(char);

/* A growable byte buffer for building payloads. */
struct recbuf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

void	recbuf_reset(struct recbuf *);
void	recbuf_free(struct recbuf *);
void	recbuf_u8(struct recbuf *, uint8_t);
void	recbuf_u16(struct recbuf *, uint16_t);
void	recbuf_u32(struct recbuf *, uint32_t);
void	recbuf_u64(struct recbuf *, uint64_t);
void	recbuf_bytes(struct recbuf *, const void *, size_t);
/* u32 length then the bytes of a string (no NUL). */
void	recbuf_string(struct recbuf *, const char *);

/* Payload builders. */
void	record_encode_entry(struct recbuf *, const struct entry *);
void	record_encode_entry_end(struct recbuf *, uint64_t,
	    const uint8_t [HASH_LEN]);
void	record_encode_continue(struct recbuf *, const char *, uint64_t);
void	record_encode_volume_info(struct recbuf *, const char *, uint32_t);

/* Payload parsers: -1 with *cause set on a malformed payload. */
int	record_decode_entry(const uint8_t *, size_t, struct entry *, char **);
int	record_decode_entry_end(const uint8_t *, size_t, uint64_t *,
	    uint8_t [HASH_LEN], char **);
int	record_decode_continue(const uint8_t *, size_t, char **, uint64_t *,
	    char **);
int	record_decode_volume_info(const uint8_t *, size_t, char **,
	    uint32_t *, char **);
int	record_decode_u64(const uint8_t *, size_t, uint64_t *, char **);

/*
 * A sink that parses a volume's plaintext and calls on_record for every
 * record (skippable ones excluded) with the record's offset in the
 * plaintext. Finishing checks that the volume ended with VOLUME_END.
 */
typedef int (*record_fn)(void *, uint64_t offset, uint8_t type,
    const uint8_t *payload, size_t len, char **cause);
struct sink	*record_reader_new(const char *what, record_fn, void *);

#endif
