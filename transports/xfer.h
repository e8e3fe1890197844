/*
 * xfer.h: libcurl transfers for the ftp:// and ftps:// driver (ftp.c),
 * several on one multi handle so they share its connections. Streams are
 * pushed and pulled through curl's pause mechanism: an upload takes the
 * bytes in `in` and pauses when they are gone (until the writer has more,
 * or eof); a download fills `out` (XFER_BUFFER at most) and pauses when it
 * is full (until the reader has taken some).
 */
#ifndef TRESOR_XFER_H
#define TRESOR_XFER_H

#include <curl/curl.h>

#include "transport.intern.h"

#define XFER_BUFFER	(1024 * 1024)

struct xfer {
	CURLM			*multi;
	struct transport	*t;
	CURL			*easy;
	struct curl_slist	*quote;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 running, done, paused;
	CURLcode		 result;
	/* Upload: bytes curl may take; eof once the writer finished. */
	const uint8_t		*in;
	size_t			 inlen;
	int			 eof;
	/* Download: what curl delivered (XFER_BUFFER at most), and read. */
	uint8_t			*out;
	size_t			 outlen, outoff;
	/* Listing. */
	struct name_list	*list;
	int			 temporaries;
};

/* Once per process, before a multi handle is made: 0 or -1. */
int	xfer_global_init_once(char **cause);
/* A transfer of url with the transport's login, timeouts and TLS options. */
struct xfer *xfer_new(CURLM *, struct transport *, const char *url, int tls);
void	xfer_free(struct xfer *);
/*
 * Run the multi handle's transfers until `until` holds for x (NULL: until
 * x is done): 0, or x's failure as xfer_error words it.
 */
int	xfer_run(struct xfer *, int (*until)(struct xfer *), char **cause,
	    const char *what);
/*
 * "<what>: <curl's reason>": TRANSPORT_TRANSIENT for failures of the
 * network (refused, reset, timed out), -1 for the server's answers (login
 * denied, no such file, permission).
 */
int	xfer_error(struct xfer *, char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
