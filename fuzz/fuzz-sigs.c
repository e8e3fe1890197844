/*
 * fuzz-sigs.c: the signatures reader (format/sigs.c, sigs_read), which an
 * incremental backup uses to fetch a file's librsync signature out of the
 * cached signatures plaintext at the offset its manifest line names, then
 * loads with rsync_signature_load for a delta. Input: the offset (2 bytes,
 * little-endian), then the plaintext. The entry's path asked for is the
 * one the record at the offset names, when it names one (else "a/b"), so
 * that the fuzzer gets past the path check to the data and its hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/filter/rsync.h"
#include "format/sigs.h"
#include "fuzz.h"

/* The path a SIG_BEGIN record at p (of len bytes) names, or "a/b". */
static char *
named_path(const uint8_t *p, size_t len)
{
	size_t	n;

	if (len < 9)
		return fuzz_string((const uint8_t *)"a/b", 3);
	n = (size_t)p[5] | (size_t)p[6] << 8 | (size_t)p[7] << 16 |
	    (size_t)p[8] << 24;
	if (n > len - 9)
		n = len - 9;
	return fuzz_string(p + 9, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsync_signature	*rsig = NULL;
	uint64_t		 offset;
	uint8_t			*sig = NULL;
	size_t			 len = 0;
	char			 path[64], *entry, *cause = NULL;
	int			 fd;

	if (size < 2)
		return 0;
	offset = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	fd = fuzz_memfd("sigs", data + 2, size - 2);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	entry = named_path(data + 2 + (offset < size - 2 ? offset : 0),
	    offset < size - 2 ? size - 2 - offset : 0);
	if (sigs_read(path, offset, entry, &sig, &len, &cause) != 0) {
		if (cause == NULL || strchr(cause, '\n') != NULL)
			abort();
		goto out;
	}
	rsig = rsync_signature_load(sig, len, &cause);
	if (rsig == NULL && (cause == NULL || strchr(cause, '\n') != NULL))
		abort();
out:
	rsync_signature_free(rsig);
	free(sig);
	free(entry);
	free(cause);
	close(fd);
	return 0;
}
