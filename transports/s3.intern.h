/*
 * s3.intern.h: what the s3 driver's files share (s3.c: target, listing,
 * reads, removal; s3req.c: signed requests and S3's errors; s3put.c:
 * uploads). See s3.c for the driver's design.
 */
#ifndef TRESOR_S3_INTERN_H
#define TRESOR_S3_INTERN_H

#include <stddef.h>

#include "xfer.h"

#define S3_DEFAULT_REGION	"us-east-1"
#define S3_DEFAULT_PART_MIB	8
#define S3_DEFAULT_PARALLEL	4
#define S3_MAX_PARTS		10000
#define S3_MAX_BODY		(16 * 1024 * 1024)
#define S3_PUMP_EVERY		(256 * 1024)
/*
 * Parts (and single PUTs) of a part size above this are gathered in an
 * unlinked temporary file in $TMPDIR, not in memory (s3put.c): memory
 * stays bounded whatever --s3-part-size says.
 */
#define S3_SPOOL_ABOVE		(64 * 1024 * 1024)
#define S3_TMP_MARK		".u"
#define S3_UNLOCKED_SUFFIX	".lock"

struct s3_target {
	CURLM		*multi;
	int		 flags;		/* XFER_HTTP [| XFER_TLS] */
	char		*base;		/* the bucket's URL, ending in '/' */
	char		*bucket;
	char		*prefix;	/* "" or "a/b/", as in keys */
	char		*prefix_esc;	/* the same for a URL's path */
	char		*sigv4;		/* "aws:amz:REGION:s3" */
	char		*userpwd;	/* "key:secret": a secret */
	char		*token;		/* the session token header, or NULL */
	size_t		 part_size;
	int		 parallel;
	int		 lock_days;
	const char	*lock_mode;
};

/* A request with its answer's body and the headers of interest. */
struct s3_req {
	struct xfer	*x;
	char		*body;
	size_t		 bodylen;
	int		 collect;	/* body goes to `body`, not x->out */
	char		 etag[128];
	char		 retain[64];	/* x-amz-object-lock-retain-until-date */
	char		 version[256];	/* x-amz-version-id */
	int		 fd;		/* s3_req_send_fd's file, or -1 */
	size_t		 fdlen, fdoff;	/* its length, and what was read */
};

struct s3_delete_arg {
	const char	*name;
	const char	*query;		/* "uploadId=..." or "versionId=..." */
	const char	*verb;
};

/* s3req.c */
char		*s3_strndup(const char *, size_t);
/* A query value, %-escaped as SigV4 wants it, allocated. */
char		*s3_qesc(const char *);
/*
 * A signed request of a key (name NULL: the bucket) with a query (sorted,
 * encoded "k=v&..."; SigV4 signs it as it stands); method NULL: GET (PUT
 * once a body is given); collect: the answer's body goes to r->body.
 */
struct s3_req	*s3_req_new(struct transport *, const char *name,
		    const char *query, const char *method, int collect);
void		 s3_req_header(struct s3_req *, const char *);
/* A body to send, held by the caller until the request ends. */
void		 s3_req_send(struct s3_req *, const void *, size_t);
/* The first len bytes of a file as the body, read with pread (the file's
   offset untouched); the file stays the caller's. */
void		 s3_req_send_fd(struct s3_req *, int fd, size_t len);
void		 s3_req_free(struct s3_req *);
long		 s3_status(struct s3_req *);
/* The HTTP status, or TRANSPORT_TRANSIENT or -1 (cause set). */
long		 s3_perform(struct s3_req *, const char *what, char **cause);
/* A failed answer worded: TRANSPORT_TRANSIENT or -1. */
int		 s3_http_error(struct s3_req *, long code, const char *what,
		    char **cause);
/* "unable to <verb> 'name' in <display>", allocated. */
char		*s3_what(struct transport *, const char *verb,
		    const char *name);

/* s3.c: steps for transport_retry */
int		 s3_stat_step(struct transport *, void *, char **);
int		 s3_delete_step(struct transport *, void *, char **);

/* s3put.c */
struct sink	*s3_put(struct transport *, const char *, char **);

#endif
