/*
 * xfer.h: libcurl transfers for the ftp:// and ftps:// driver (ftp.c) and
 * the webdav:// and webdavs:// one (webdav.c), several on one multi handle
 * so they share its connections. Streams are
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

/* xfer_new's flags. */
#define XFER_TLS	0x1	/* ftp: explicit TLS required; http: https */
#define XFER_HTTP	0x2	/* http:// or https://, not ftp:// */

struct xfer {
	CURLM			*multi;
	struct transport	*t;
	CURL			*easy;
	struct curl_slist	*quote;
	struct curl_slist	*headers;
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

/*
 * A path for a URL, allocated: each segment %-escaped and followed by '/',
 * empty segments dropped ("a//b c" gives "a/b%20c/", "/" gives "").
 */
char	*xfer_escape_path(const char *);
/* Once per process, before a multi handle is made: 0 or -1. */
int	xfer_global_init_once(char **cause);

/*
 * What a libcurl driver's target holds (ftp.c, webdav.c): the multi handle
 * its transfers share, and its URLs.
 */
struct xfer_target {
	struct transport	*t;
	CURLM			*multi;
	char			*origin;	/* scheme://host:port */
	char			*base;		/* the directory, ending in
						   '/': the driver's to set */
	int			 flags;		/* XFER_ flags of transfers */
};
/*
 * Start a target: libcurl (once), the multi handle (its wakeup sockets
 * made close-on-exec) and the origin, with the URL's host (an IPv6 address
 * in brackets) and port (else default_port). 0, or -1 if libcurl cannot
 * start.
 */
int	xfer_target_init(struct xfer_target *, struct transport *,
	    const char *scheme, int default_port, int flags, char **cause);
void	xfer_target_clear(struct xfer_target *);
/* A transfer of `name` in the directory (NULL: the directory itself). */
struct xfer *xfer_target_xfer(struct xfer_target *, const char *name);
/*
 * A transfer of url (XFER_ flags) with the transport's login, timeouts and
 * TLS options.
 */
struct xfer *xfer_new(CURLM *, struct transport *, const char *url, int);
void	xfer_free(struct xfer *);
/*
 * Run the multi handle's transfers until `until` holds for x (NULL: until
 * x is done): 0, or x's failure as xfer_error words it.
 */
int	xfer_run(struct xfer *, int (*until)(struct xfer *), char **cause,
	    const char *what);
/*
 * Start x on its multi handle without waiting (s3.c's parallel parts), and
 * let a multi handle's transfers move on without waiting: what xfer_run
 * does each round, marking the transfers that ended done.
 */
void	xfer_start(struct xfer *);
void	xfer_pump(CURLM *);
/* Conditions for xfer_run: an upload took all of `in`; a download has
   half a buffer to hand out, or a full one. */
int	xfer_taken(struct xfer *);
int	xfer_ready(struct xfer *);
/*
 * Hand curl len bytes of an upload and run it until it took them (or, once
 * x->eof is set, until it is done): 0, or -1 with "<what>: why". An upload
 * the server ends before eof is an error.
 */
int	xfer_push(struct xfer *, const uint8_t *, size_t, char **cause,
	    const char *what);
/*
 * A streamed upload: bytes are gathered in a buffer of XFER_BUFFER and each
 * full buffer is pushed to x. The driver makes x (and sets what, "unable to
 * write 'name' to URL"); xfer_upload_clear frees all.
 */
struct xfer_upload {
	struct xfer	*x;
	uint8_t		*buf;
	size_t		 len;
	uint64_t	 total;
	char		*what;
};
int	xfer_upload_write(struct xfer_upload *, const void *, size_t,
	    char **cause);
/* Push the rest and run the upload to its end: 0 or -1. */
int	xfer_upload_finish(struct xfer_upload *, char **cause);
void	xfer_upload_clear(struct xfer_upload *);
/*
 * A driver's writer over a streamed upload (ftp.c, webdav.c): its sink ops
 * are the driver's finish with xfer_writer_write and xfer_writer_free. The
 * driver makes up.x (in a create step) and, once the upload is finished,
 * publishes the temporary with xfer_writer_publish.
 */
struct xfer_writer {
	struct sink		 sink;
	struct transport	*t;
	struct xfer_upload	 up;
	char			*name;
	char			*tmpname;
	int			 published;	/* or nothing to remove */
	/* Removes the temporary (given its name): one try when freed. */
	int			(*remove_step)(struct transport *, void *,
				    char **);
};
/* A writer of name (its temporary name and up.what set), not started. */
struct xfer_writer *xfer_writer_new(struct transport *,
	    const struct sink_ops *, const char *name,
	    int (*remove_step)(struct transport *, void *, char **));
int	xfer_writer_write(struct sink *, const void *, size_t, char **cause);
/* Run publish_step (given the writer) through transport_retry; once it
   succeeds the writer is published: 0 or -1. */
int	xfer_writer_publish(struct xfer_writer *,
	    int (*publish_step)(struct transport *, void *, char **),
	    char **cause);
/*
 * Stop the upload and, unless published, remove the temporary (best
 * effort: cleanup removes what a lost connection leaves); free the writer.
 */
void	xfer_writer_free(struct sink *);

/*
 * A driver's reader over a download (ftp.c, webdav.c). xfer_get makes one
 * for name from offset and runs open_step (given the reader) through
 * transport_retry: the step (re)makes x and runs it to its first block, or
 * sets at_end when there is nothing to read. Reads pull from x.
 */
struct xfer_reader {
	struct transport_reader	 reader;
	struct xfer		*x;
	char			*name;
	char			*what;	/* "unable to read 'name' from URL" */
	uint64_t		 offset;
	int			 at_end;
};
struct transport_reader *xfer_get(struct transport *, const char *name,
	    uint64_t offset, int (*open_step)(struct transport *, void *,
	    char **), char **cause);

/*
 * Up to len downloaded bytes, running the transfer for more: the count, 0
 * at the end, -1 with "<what>: why".
 */
ssize_t	xfer_pull(struct xfer *, void *, size_t, char **cause,
	    const char *what);
/*
 * "<what>: <curl's reason>": TRANSPORT_TRANSIENT for failures of the
 * network (refused, reset, timed out), -1 for the server's answers (login
 * denied, no such file, permission).
 */
int	xfer_error(struct xfer *, char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
