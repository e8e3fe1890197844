/*
 * hash.h: the one strong hash tresor uses everywhere, SHA-256 (libgcrypt).
 * SHA-256 so that stored objects can be checked with sha256sum by hand.
 */
#ifndef TRESOR_HASH_H
#define TRESOR_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN	32
#define HASH_HEX_LEN	(HASH_LEN * 2)

struct hash;

struct hash	*hash_new(void);
void		 hash_update(struct hash *, const void *, size_t);
/* Write the digest; the hash may not be updated afterwards. */
void		 hash_final(struct hash *, uint8_t out[HASH_LEN]);
void		 hash_free(struct hash *);

void		 hash_to_hex(const uint8_t in[HASH_LEN], char out[HASH_HEX_LEN + 1]);
/* Parse 64 hex digits; returns -1 if the text is not a digest. */
int		 hash_from_hex(const char *, uint8_t out[HASH_LEN]);
/* Initialise libgcrypt; call once before threads start. */
void		 hash_library_init(void);

#endif
