/*
 * fuzz-propfind.c: the WebDAV PROPFIND answer parser (transports/
 * propfind.c), fed as curl delivers a listing: in pieces. Input: a byte
 * choosing the mode (objects, temporaries, any) and the cut, then the
 * answer's body.
 *
 * Properties: every member listed is one the mode asks for (a valid
 * object name, or a temporary's), and its size is a file size (at most
 * INT64_MAX: the size-parsing bug, "-1" listed as 2^64 - 1 bytes, was
 * found here).
 */
#include <stdlib.h>
#include <string.h>

#include "transports/propfind.h"
#include "transports/transport.h"
#include "transports/transport.intern.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct name_list	 l = { NULL, 0 };
	struct propfind		*pf;
	struct fuzz_chunks	 c;
	const uint8_t		*piece;
	size_t			 n, i;
	char			*cause = NULL;
	int			 which, rc = 0;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	pf = propfind_new(&l, which);
	fuzz_chunks_init(&c, data + 1, size - 1, data[0] / 3);
	while (rc == 0 && (n = fuzz_chunks_next(&c, &piece)) > 0)
		rc = propfind_feed(pf, (const char *)piece, n);
	if (propfind_finish(pf, &cause) != 0) {
		if (cause == NULL)
			abort();
	} else if (rc != 0)
		abort();	/* a piece failed, the end did not say why */
	for (i = 0; i < l.count; i++) {
		if (l.entries[i].size > INT64_MAX)
			abort();
		if (which == PROPFIND_OBJECTS &&
		    !transport_name_valid(l.entries[i].name))
			abort();
		if (which == PROPFIND_TEMPORARIES &&
		    !transport_name_temporary(l.entries[i].name))
			abort();
		if (*l.entries[i].name == '\0')
			abort();
	}
	free(cause);
	propfind_free(pf);
	name_list_clear(&l);
	return 0;
}
