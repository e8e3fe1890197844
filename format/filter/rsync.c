/*
 * rsync.c: the librsync stages (see rsync.h). One pump drives every
 * librsync job with fixed-size buffers: it feeds the job the input at hand,
 * hands each full output buffer on, and insists that every rs_job_iter call
 * either consumes input or produces output, so a malformed stream fails
 * instead of spinning. Each rs_job_t belongs to one pump and each
 * rs_signature_t to one loader or rsync_signature; their free functions
 * release them.
 */
#include <errno.h>
#include <inttypes.h>
#include <librsync.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "rsync.h"

/* Output (and read) buffer of every stage. */
#define RSYNC_BUF_SIZE		(64 * 1024)
/*
 * rs_job_iter returns only when its output is full, its input is used up
 * or it is done; a pump allows this many returns that are none of these
 * (each must still have made some progress) before giving up.
 */
#define RSYNC_MAX_STALLS	64
/* Largest block length a loaded signature may ask for (files to 4 PiB). */
#define RSYNC_MAX_BLOCK_LEN	(64U * 1024 * 1024)
/*
 * Shortest strong sum a loaded signature may use: shorter ones make
 * crafted block collisions cheap again. Ours are always 32 bytes.
 */
#define RSYNC_MIN_STRONG_LEN	16
/* Magic, block length and strong sum length, each 4 bytes big-endian. */
#define RSYNC_SIG_HEADER_LEN	12

struct pump {
	rs_job_t	*job;
	const char	*what;		/* prefix of librsync's errors */
	int		(*emit)(void *, const void *, size_t, char **);
	void		*arg;
	char		*out;
	size_t		 out_size;
	uint64_t	 max_out;	/* output past this is an error */
	const char	*out_name;	/* what exceeds max_out */
	uint64_t	 total_out;
	int		 done;
};

struct rsync_stage {
	struct sink	 sink;
	struct sink	*next;
	struct pump	 pump;
};

struct rsync_signature {
	rs_signature_t	*sig;
};

struct loader {
	struct pump	 pump;
	rs_signature_t	*sig;		/* until handed to an rsync_signature */
	uint8_t		 head[RSYNC_SIG_HEADER_LEN];
	size_t		 head_len;
	int		 head_checked;	/* 1: magic, 2: whole header */
};

struct patch {
	rsync_basis_fn	*read;
	void		*read_arg;
	int64_t		 basis_size;
	struct sink	*out;
	char		**cause;
};

/* A dry run's basis: where its copies start and end. */
struct forward {
	uint64_t	 end;		/* of the copy before */
	int		 backward;	/* a copy started before it */
};

static pthread_once_t	rsync_quiet_once = PTHREAD_ONCE_INIT;

static void
rsync_log_nothing(rs_loglevel level, const char *msg)
{
	(void)level;
	(void)msg;
}

/* librsync prints its errors to stderr; ours carry them in the cause. */
static void
rsync_quiet(void)
{
	rs_trace_to(rsync_log_nothing);
}

static void
pump_init(struct pump *p, rs_job_t *job, const char *what, size_t out_size,
    int (*emit)(void *, const void *, size_t, char **), void *arg)
{
	pthread_once(&rsync_quiet_once, rsync_quiet);
	memset(p, 0, sizeof *p);
	if (job == NULL)
		abort();
	p->job = job;
	p->what = what;
	p->emit = emit;
	p->arg = arg;
	p->out_size = out_size;
	p->out = xmalloc(out_size);
	p->max_out = UINT64_MAX;
	p->out_name = "output";
}

static void
pump_free(struct pump *p)
{
	if (p->job != NULL)
		rs_job_free(p->job);
	free(p->out);
	memset(p, 0, sizeof *p);
}

/*
 * Run the job over `len` bytes of input (`eof`: nothing comes after them)
 * until it needs more input or is done; at eof it must be done. Sets
 * *left (if not NULL) to the input a finished job did not consume.
 */
static int
pump_run(struct pump *p, const void *in, size_t len, int eof, size_t *left,
    char **cause)
{
	rs_buffers_t	 b;
	rs_result	 r;
	size_t		 room, made, in_before;
	unsigned	 stalls = 0;
	int		 rc = -1;

	memset(&b, 0, sizeof b);
	b.next_in = (char *)in;
	b.avail_in = len;
	b.eof_in = eof;
	while (!p->done) {
		/* Never let the job write more than one byte past max_out. */
		room = p->out_size;
		if (p->max_out - p->total_out < room)
			room = (size_t)(p->max_out - p->total_out) + 1;
		b.next_out = p->out;
		b.avail_out = room;
		in_before = b.avail_in;
		r = rs_job_iter(p->job, &b);
		made = room - b.avail_out;
		if (made > p->max_out - p->total_out) {
			error_set(cause, "%s exceeds the recorded size of "
			    "%" PRIu64 " bytes", p->out_name, p->max_out);
			goto out;
		}
		if (made > 0) {
			if (p->emit == NULL) {
				error_set(cause, "%s: librsync produced output",
				    p->what);
				goto out;
			}
			if (p->emit(p->arg, p->out, made, cause) != 0)
				goto out;
			p->total_out += made;
		}
		if (r == RS_DONE) {
			p->done = 1;
			break;
		}
		if (r != RS_BLOCKED) {
			error_set(cause, "%s: %s", p->what, rs_strerror(r));
			goto out;
		}
		if (made == room)
			continue;	/* the output is full: drain the job */
		if (b.avail_in == 0 && !eof)
			break;		/* it wants more input */
		/* Blocked with room to write and input (or eof) at hand. */
		if ((made == 0 && b.avail_in == in_before) ||
		    ++stalls > RSYNC_MAX_STALLS) {
			error_set(cause, "%s: librsync makes no progress%s",
			    p->what, eof ? " at the end of its input" : "");
			goto out;
		}
	}
	if (left != NULL)
		*left = b.avail_in;
	rc = 0;
out:
	return rc;
}

static int
stage_emit(void *arg, const void *buf, size_t len, char **cause)
{
	return sink_write(arg, buf, len, cause);
}

static int
stage_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct rsync_stage	*st = (struct rsync_stage *)s;
	int			 rc = -1;

	if (len == 0)
		return 0;
	if (st->pump.done) {
		error_set(cause, "%s: input after the end", st->pump.what);
		goto out;
	}
	if (pump_run(&st->pump, buf, len, 0, NULL, cause) != 0)
		goto out;
	if (st->pump.done) {
		error_set(cause, "%s: librsync ended before its input",
		    st->pump.what);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static int
stage_finish(struct sink *s, char **cause)
{
	struct rsync_stage	*st = (struct rsync_stage *)s;
	int			 rc = -1;

	if (!st->pump.done &&
	    pump_run(&st->pump, NULL, 0, 1, NULL, cause) != 0)
		goto out;
	if (sink_finish(st->next, cause) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

static void
stage_free(struct sink *s)
{
	struct rsync_stage	*st = (struct rsync_stage *)s;

	sink_free(st->next);
	pump_free(&st->pump);
	free(st);
}

static const struct sink_ops rsync_signature_ops = {
	.name = "rsync-signature",
	.write = stage_write,
	.finish = stage_finish,
	.free = stage_free,
};

static const struct sink_ops rsync_delta_ops = {
	.name = "rsync-delta",
	.write = stage_write,
	.finish = stage_finish,
	.free = stage_free,
};

static struct sink *
stage_new(const struct sink_ops *ops, rs_job_t *job, const char *what,
    struct sink *next)
{
	struct rsync_stage	*st = xcalloc(1, sizeof *st);

	st->sink.ops = ops;
	st->next = next;
	pump_init(&st->pump, job, what, RSYNC_BUF_SIZE, stage_emit, next);
	return &st->sink;
}

void
rsync_signature_params(uint64_t file_size, size_t *block_len,
    size_t *strong_len)
{
	rs_magic_number	magic = RS_BLAKE2_SIG_MAGIC;
	rs_long_t	size;

	size = file_size > INTMAX_MAX ? INTMAX_MAX : (rs_long_t)file_size;
	*block_len = 0;		/* recommended for the size */
	*strong_len = 0;	/* the whole BLAKE2 sum, 32 bytes */
	if (rs_sig_args(size, &magic, block_len, strong_len) != RS_DONE)
		abort();
}

struct sink *
rsync_signature_sink_new_block(size_t block_len, struct sink *next)
{
	return stage_new(&rsync_signature_ops, rs_sig_begin(block_len, 0,
	    RS_BLAKE2_SIG_MAGIC), "unable to compute the signature", next);
}

struct sink *
rsync_signature_sink_new(uint64_t file_size, struct sink *next)
{
	size_t	block_len, strong_len;

	rsync_signature_params(file_size, &block_len, &strong_len);
	return stage_new(&rsync_signature_ops, rs_sig_begin(block_len,
	    strong_len, RS_BLAKE2_SIG_MAGIC), "unable to compute the signature",
	    next);
}

struct sink *
rsync_delta_sink_new(const struct rsync_signature *sig, struct sink *next)
{
	/* librsync only counts its lookups in the signature. */
	return stage_new(&rsync_delta_ops, rs_delta_begin(sig->sig),
	    "unable to compute the delta", next);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Check the header as far as it has come in; at eof it must be whole. */
static int
loader_check_head(struct loader *l, int eof, char **cause)
{
	uint32_t	magic, block_len, strong_len;
	int		rc = -1;

	if (l->head_len >= 4 && l->head_checked == 0) {
		magic = get_be32(l->head);
		switch (magic) {
		case RS_BLAKE2_SIG_MAGIC:
			break;
		case RS_MD4_SIG_MAGIC:
		case RS_RK_MD4_SIG_MAGIC:
			error_set(cause, "refusing an md4 signature (magic "
			    "0x%08" PRIx32 "): md4 allows crafted collisions "
			    "(CVE-2014-8242)", magic);
			goto out;
		default:
			error_set(cause, "not a blake2 rsync signature (magic "
			    "0x%08" PRIx32 ")", magic);
			goto out;
		}
		l->head_checked = 1;
	}
	if (l->head_len == sizeof l->head && l->head_checked == 1) {
		block_len = get_be32(l->head + 4);
		if (block_len == 0 || block_len > RSYNC_MAX_BLOCK_LEN) {
			error_set(cause, "malformed signature: block length %"
			    PRIu32 " is out of range", block_len);
			goto out;
		}
		strong_len = get_be32(l->head + 8);
		if (strong_len < RSYNC_MIN_STRONG_LEN ||
		    strong_len > RS_MAX_STRONG_SUM_LENGTH) {
			error_set(cause, "malformed signature: strong sum "
			    "length %" PRIu32 " is out of range (%d to %d)",
			    strong_len, RSYNC_MIN_STRONG_LEN,
			    RS_MAX_STRONG_SUM_LENGTH);
			goto out;
		}
		l->head_checked = 2;
	}
	if (eof && l->head_checked != 2) {
		error_set(cause, "malformed signature: %zu bytes are too short "
		    "for its header", l->head_len);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static void
loader_init(struct loader *l)
{
	memset(l, 0, sizeof *l);
	/* A loader writes nothing: a small output buffer is enough. */
	pump_init(&l->pump, rs_loadsig_begin(&l->sig), "malformed signature",
	    64, NULL, NULL);
}

static int
loader_feed(struct loader *l, const void *buf, size_t len, int eof,
    char **cause)
{
	size_t	n, left;
	int	rc = -1;

	n = sizeof l->head - l->head_len;
	if (n > len)
		n = len;
	if (n > 0)
		memcpy(l->head + l->head_len, buf, n);
	l->head_len += n;
	if (loader_check_head(l, eof, cause) != 0)
		goto out;
	if (pump_run(&l->pump, buf, len, eof, &left, cause) != 0)
		goto out;
	if (l->pump.done && (!eof || left != 0)) {
		error_set(cause, "malformed signature: data after its end");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* Index the loaded signature and hand it over. */
static struct rsync_signature *
loader_finish(struct loader *l, char **cause)
{
	struct rsync_signature	*rsig = NULL;
	rs_result		 r;

	r = rs_build_hash_table(l->sig);
	if (r != RS_DONE) {
		error_set(cause, "unable to index the signature: %s",
		    rs_strerror(r));
		goto out;
	}
	rsig = xcalloc(1, sizeof *rsig);
	rsig->sig = l->sig;
	l->sig = NULL;
out:
	return rsig;
}

static void
loader_free(struct loader *l)
{
	pump_free(&l->pump);
	if (l->sig != NULL)
		rs_free_sumset(l->sig);
	l->sig = NULL;
}

struct rsync_signature *
rsync_signature_load(const void *sig, size_t len, char **cause)
{
	struct loader		 l;
	struct rsync_signature	*rsig = NULL;

	loader_init(&l);
	if (loader_feed(&l, sig, len, 1, cause) != 0)
		goto out;
	rsig = loader_finish(&l, cause);
out:
	loader_free(&l);
	return rsig;
}

struct rsync_signature *
rsync_signature_load_fd(int fd, uint64_t len, char **cause)
{
	struct loader		 l;
	struct rsync_signature	*rsig = NULL;
	uint8_t			*buf = xmalloc(RSYNC_BUF_SIZE);
	uint64_t		 done = 0;
	size_t			 want;
	ssize_t			 n;

	loader_init(&l);
	while (done < len) {
		want = len - done < RSYNC_BUF_SIZE ? (size_t)(len - done) :
		    RSYNC_BUF_SIZE;
		n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(cause, "unable to read the signature");
			goto out;
		}
		if (n == 0) {
			error_set(cause, "signature is truncated: %" PRIu64
			    " of %" PRIu64 " bytes", done, len);
			goto out;
		}
		done += (uint64_t)n;
		if (loader_feed(&l, buf, (size_t)n, done == len, cause) != 0)
			goto out;
	}
	if (len == 0 && loader_feed(&l, NULL, 0, 1, cause) != 0)
		goto out;
	rsig = loader_finish(&l, cause);
out:
	loader_free(&l);
	free(buf);
	return rsig;
}

void
rsync_signature_free(struct rsync_signature *rsig)
{
	if (rsig == NULL)
		return;
	rs_free_sumset(rsig->sig);
	free(rsig);
}

/* librsync's rs_copy_cb: basis bytes, from whatever serves them. */
static rs_result
patch_copy(void *arg, rs_long_t pos, size_t *len, void **buf)
{
	struct patch	*pa = arg;
	rs_result	 r = RS_CORRUPT;

	if (*len == 0) {
		r = RS_DONE;
		goto out;
	}
	/*
	 * Never answer RS_DONE with nothing copied: librsync would call
	 * again for the same bytes, without end.
	 */
	if (pos < 0 || pos >= pa->basis_size) {
		error_set(pa->cause, "malformed delta: it copies from offset "
		    "%jd, past the end of the %" PRId64 "-byte basis",
		    (intmax_t)pos, pa->basis_size);
		goto out;
	}
	if ((uint64_t)(pa->basis_size - pos) < *len)
		*len = (size_t)(pa->basis_size - pos);
	if (pa->read(pa->read_arg, (uint64_t)pos, len, buf, pa->cause) != 0) {
		r = RS_IO_ERROR;
		goto out;
	}
	r = *len > 0 ? RS_DONE : RS_INPUT_ENDED;
out:
	return r;
}

/* A basis in a file: pread straight into librsync's output. */
static int
patch_read_fd(void *arg, uint64_t pos, size_t *len, void **buf, char **cause)
{
	int	fd = *(int *)arg;
	ssize_t	n;

	do
		n = pread(fd, *buf, *len, (off_t)pos);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return error_sys(cause, "unable to read the basis at offset "
		    "%" PRIu64, pos);
	if (n == 0)
		return error_set(cause, "the basis ends at offset %" PRIu64
		    ": it shrank while being patched", pos);
	*len = (size_t)n;
	return 0;
}

/*
 * A dry run's basis: zeros, noting whether each copy starts at or after
 * the end of the one before. A backward copy stops the run.
 */
static int
patch_read_forward(void *arg, uint64_t pos, size_t *len, void **buf,
    char **cause)
{
	static const uint8_t	 zeros[RSYNC_BUF_SIZE];
	struct forward		*f = arg;

	if (pos < f->end) {
		f->backward = 1;
		return error_set(cause, "a copy runs backward");
	}
	if (*len > sizeof zeros)
		*len = sizeof zeros;
	*buf = (void *)zeros;	/* librsync only reads it */
	f->end = pos + *len;
	return 0;
}

static int
patch_emit(void *arg, const void *buf, size_t len, char **cause)
{
	struct patch	*pa = arg;

	if (pa->out == NULL)
		return 0;	/* a dry run */
	return sink_write(pa->out, buf, len, cause);
}

int
rsync_patch_from(rsync_basis_fn *read_basis, void *arg, int64_t basis_size,
    int delta_fd, uint64_t max_output, struct sink *out, char **cause)
{
	struct patch	 pa;
	struct pump	 pump;
	uint8_t		*buf = NULL;
	ssize_t		 n;
	size_t		 left;
	int		 rc = -1;

	memset(&pump, 0, sizeof pump);
	memset(&pa, 0, sizeof pa);
	pa.read = read_basis;
	pa.read_arg = arg;
	pa.basis_size = basis_size;
	pa.out = out;
	pa.cause = cause;
	pump_init(&pump, rs_patch_begin(patch_copy, &pa), "malformed delta",
	    RSYNC_BUF_SIZE, patch_emit, &pa);
	pump.max_out = max_output;
	pump.out_name = "delta output";
	buf = xmalloc(RSYNC_BUF_SIZE);
	for (;;) {
		n = read(delta_fd, buf, RSYNC_BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(cause, "unable to read the delta");
			goto out;
		}
		if (pump.done) {
			if (n != 0) {
				error_set(cause, "malformed delta: data after "
				    "its end");
				goto out;
			}
			break;
		}
		if (pump_run(&pump, buf, (size_t)n, n == 0, &left, cause) != 0)
			goto out;
		if (pump.done && left != 0) {
			error_set(cause, "malformed delta: data after its end");
			goto out;
		}
		if (n == 0)
			break;
	}
	rc = 0;
out:
	pump_free(&pump);
	free(buf);
	return rc;
}

int
rsync_patch(int basis_fd, int delta_fd, uint64_t max_output,
    struct sink *out, char **cause)
{
	struct stat	sb;
	int64_t		basis_size = 0;

	if (basis_fd != -1) {
		if (fstat(basis_fd, &sb) != 0)
			return error_sys(cause, "unable to stat the basis");
		basis_size = (int64_t)sb.st_size;
	}
	return rsync_patch_from(patch_read_fd, &basis_fd, basis_size, delta_fd,
	    max_output, out, cause);
}

int
rsync_delta_runs_forward(int delta_fd, uint64_t basis_size,
    uint64_t max_output, char **cause)
{
	struct forward	 f = { 0, 0 };
	char		*why = NULL;

	if (basis_size > INT64_MAX)
		return error_set(cause, "a basis of %" PRIu64 " bytes is too "
		    "large", basis_size);
	if (rsync_patch_from(patch_read_forward, &f, (int64_t)basis_size,
	    delta_fd, max_output, NULL, &why) == 0)
		return 1;
	if (f.backward) {
		free(why);
		return 0;
	}
	error_set(cause, "%s", why);
	free(why);
	return -1;
}
