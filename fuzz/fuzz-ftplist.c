/*
 * fuzz-ftplist.c: the FTP listing path of the ftp:// driver (transports/
 * ftp.c). The listing's text is parsed by libcurl's wildcard matching (Unix
 * and Windows LIST formats), which hands each entry to ftp_chunk_cb; so
 * this target runs the driver itself against an FTP server on loopback
 * (ftpserve.c) whose LIST answer is the input: transport_open (which logs
 * in and lists) and transport_list_temporary. Input: a LIST answer.
 *
 * Properties: every object listed has a valid name and a file size (at
 * most INT64_MAX), every temporary a temporary's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transports/transport.h"
#include "transports/transport.intern.h"
#include "ftpserve.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transport_options o = { .connect_timeout = 5,
				    .idle_timeout = 5, .retries = 1 };
	struct transport	*t;
	struct name_list	 l = { NULL, 0 };
	char			 url[64], *cause = NULL;
	size_t			 i;

	snprintf(url, sizeof url, "ftp://fuzz:pw@127.0.0.1:%d/dir",
	    ftpserve_start());
	ftpserve_listing(data, size);
	if ((t = transport_open(url, &o, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		goto out;
	}
	if (transport_list(t, &l, &cause) == 0) {
		for (i = 0; i < l.count; i++) {
			if (!transport_name_valid(l.entries[i].name) ||
			    l.entries[i].size > INT64_MAX)
				abort();
		}
	} else if (cause == NULL)
		abort();
	name_list_clear(&l);
	free(cause);
	cause = NULL;
	if (transport_list_temporary(t, &l, &cause) == 0) {
		for (i = 0; i < l.count; i++) {
			if (!transport_name_temporary(l.entries[i].name))
				abort();
		}
	} else if (cause == NULL)
		abort();
	name_list_clear(&l);
	transport_close(t);
out:
	free(cause);
	return 0;
}
