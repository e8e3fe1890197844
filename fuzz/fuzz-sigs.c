/*
 * fuzz-sigs.c: the signatures reader (format/sigs.c, sigs_read), which an
 * incremental backup uses to fetch a file's librsync signature out of the
 * cached signatures plaintext at the offset its manifest line names, then
 * loads with rsync_signature_load for a delta. Input: the offset (2 bytes,
 * little-endian), then the plaintext. The entry's path is "a/b", as in the
 * seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/filter/rsync.h"
#include "format/sigs.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsync_signature	*rsig = NULL;
	uint64_t		 offset;
	uint8_t			*sig = NULL;
	size_t			 len = 0;
	char			 path[64], *cause = NULL;
	int			 fd;

	if (size < 2)
		return 0;
	offset = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	fd = fuzz_memfd("sigs", data + 2, size - 2);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (sigs_read(path, offset, "a/b", &sig, &len, &cause) != 0) {
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
	free(cause);
	close(fd);
	return 0;
}
