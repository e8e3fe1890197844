/* fuzz.c: helpers of the fuzz targets (see fuzz.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

void
fuzz_chunks_init(struct fuzz_chunks *c, const uint8_t *p, size_t len,
    uint8_t seed)
{
	c->p = p;
	c->len = len;
	c->state = seed;
}

size_t
fuzz_chunks_next(struct fuzz_chunks *c, const uint8_t **out)
{
	size_t	n;

	if (c->len == 0)
		return 0;
	/*
	 * Seed 0 means all of it at once; else a small LCG seeded with it
	 * picks each piece's size, from 1 byte up to about 4 KiB, so that
	 * both byte-at-a-time and larger pieces occur.
	 */
	if ((c->state & 0xff) == 0)
		n = c->len;
	else {
		c->state = c->state * 1103515245u + 12345u;
		n = 1 + (c->state >> 16) % ((c->state & 0xff) * 16u + 1);
	}
	if (n > c->len)
		n = c->len;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return n;
}

char *
fuzz_string(const uint8_t *p, size_t len)
{
	char	*s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

int
fuzz_memfd(const char *name, const uint8_t *p, size_t len)
{
	int	fd;
	ssize_t	n;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			perror("write to a memfd");
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}
