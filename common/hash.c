/* hash.c: SHA-256 through libgcrypt (hardware accelerated where it can be). */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xmalloc.h"

struct hash {
	gcry_md_hd_t	md;
};

void
hash_library_init(void)
{
	if (gcry_check_version(NULL) == NULL) {
		fprintf(stderr, "tresor: libgcrypt failed to initialise\n");
		abort();
	}
	/* No secure memory is needed: only public digests are computed here. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

struct hash *
hash_new(void)
{
	struct hash	*h = xcalloc(1, sizeof *h);

	if (gcry_md_open(&h->md, GCRY_MD_SHA256, 0) != 0) {
		fprintf(stderr, "tresor: libgcrypt cannot open SHA-256\n");
		abort();
	}
	return h;
}

void
hash_update(struct hash *h, const void *buf, size_t len)
{
	gcry_md_write(h->md, buf, len);
}

void
hash_final(struct hash *h, uint8_t out[HASH_LEN])
{
	memcpy(out, gcry_md_read(h->md, GCRY_MD_SHA256), HASH_LEN);
}

void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	gcry_md_close(h->md);
	free(h);
}

void
hash_to_hex(const uint8_t in[HASH_LEN], char out[HASH_HEX_LEN + 1])
{
	static const char	digits[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < HASH_LEN; i++) {
		out[i * 2] = digits[in[i] >> 4];
		out[i * 2 + 1] = digits[in[i] & 0xf];
	}
	out[HASH_HEX_LEN] = '\0';
}

static int
hash_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hash_from_hex(const char *s, uint8_t out[HASH_LEN])
{
	int	i, hi, lo;

	if (strlen(s) != HASH_HEX_LEN)
		return -1;
	for (i = 0; i < HASH_LEN; i++) {
		hi = hash_hex_digit(s[i * 2]);
		lo = hash_hex_digit(s[i * 2 + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
