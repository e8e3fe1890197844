/*
 * patchstream.c: applying a delta while its basis streams in (see
 * rsync_patch_stream_new in rsync.h).
 *
 * librsync pulls basis bytes (rs_copy_cb) while restore pushes them as
 * they are decrypted, so librsync runs in a thread of its own and the two
 * meet in a ring. The ring holds basis bytes [low, high): high is what
 * has arrived, low where the copy being served starts. Copies run forward
 * (checked beforehand), so nothing under low is ever asked for again:
 * the writer overwrites it, and skips arriving bytes that are still under
 * low. The byte at basis offset x lives at ring[x % PATCH_RING_SIZE].
 *
 * Why not write the basis to a scratch file and patch from there: for the
 * database dump that is one write and one read of the whole file more
 * than restoring it whole, and a restore is when an administrator waits.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "rsync.h"

#define PATCH_RING_SIZE		(8U * 1024 * 1024)

struct patch_stream {
	struct sink	 sink;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	uint8_t		*ring;
	uint64_t	 low;		/* under it: never needed again */
	uint64_t	 high;		/* basis bytes that have arrived */
	int		 eof;		/* the basis is complete */
	int		 stop;		/* abandoned: the patch must end */
	int		 done;		/* the patch ended: rc, cause */
	int		 rc;
	char		*cause;
	int		 joined;
	/* What the thread patches with. */
	int		 delta_fd;
	uint64_t	 basis_size;
	uint64_t	 max_output;
	struct sink	*out;
};

/* In the patch thread: serve basis bytes at pos, waiting for them. */
static int
patch_stream_read(void *arg, uint64_t pos, size_t *len, void **buf,
    char **cause)
{
	struct patch_stream	*ps = arg;
	uint64_t		 n;
	int			 rc = -1;

	pthread_mutex_lock(&ps->lock);
	if (pos < ps->low) {
		error_set(cause, "malformed delta: it copies backward, from "
		    "offset %" PRIu64 " after %" PRIu64, pos, ps->low);
		goto out;
	}
	/* The bytes librsync copied from last time are done with. */
	ps->low = pos;
	pthread_cond_broadcast(&ps->cond);
	while (!ps->stop && !ps->eof && ps->high <= pos)
		pthread_cond_wait(&ps->cond, &ps->lock);
	if (ps->stop) {
		error_set(cause, "the basis stopped arriving");
		goto out;
	}
	if (ps->high <= pos) {
		error_set(cause, "the basis ends at offset %" PRIu64 ", before "
		    "the delta's copy from offset %" PRIu64, ps->high, pos);
		goto out;
	}
	n = ps->high - pos;
	if (n > PATCH_RING_SIZE - pos % PATCH_RING_SIZE)
		n = PATCH_RING_SIZE - pos % PATCH_RING_SIZE;
	if (n < *len)
		*len = (size_t)n;
	*buf = ps->ring + pos % PATCH_RING_SIZE;
	rc = 0;
out:
	pthread_mutex_unlock(&ps->lock);
	return rc;
}

static void *
patch_stream_main(void *arg)
{
	struct patch_stream	*ps = arg;
	char			*cause = NULL;
	int			 rc;

	(void)pthread_setname_np(pthread_self(), "rsync-patch");
	rc = rsync_patch_from(patch_stream_read, ps, (int64_t)ps->basis_size,
	    ps->delta_fd, ps->max_output, ps->out, &cause);
	pthread_mutex_lock(&ps->lock);
	ps->rc = rc;
	ps->cause = cause;
	ps->done = 1;
	pthread_cond_broadcast(&ps->cond);
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

static int
patch_stream_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct patch_stream	*ps = (struct patch_stream *)s;
	const uint8_t		*p = buf;
	uint64_t		 n, at;

	while (len > 0) {
		pthread_mutex_lock(&ps->lock);
		while (!ps->done && ps->high >= ps->low &&
		    ps->high - ps->low >= PATCH_RING_SIZE)
			pthread_cond_wait(&ps->cond, &ps->lock);
		if (ps->done) {
			pthread_mutex_unlock(&ps->lock);
			break;		/* the rest is not needed */
		}
		if (ps->high < ps->low) {
			/* Bytes no copy wants: skip them. */
			n = ps->low - ps->high < len ? ps->low - ps->high : len;
			ps->high += n;
			pthread_mutex_unlock(&ps->lock);
			p += n;
			len -= (size_t)n;
			continue;
		}
		at = ps->high % PATCH_RING_SIZE;
		n = PATCH_RING_SIZE - (ps->high - ps->low);
		if (n > PATCH_RING_SIZE - at)
			n = PATCH_RING_SIZE - at;
		if (n > len)
			n = len;
		pthread_mutex_unlock(&ps->lock);
		/*
		 * Outside the lock: the thread reads only under high, and
		 * these slots held bytes under low.
		 */
		memcpy(ps->ring + at, p, (size_t)n);
		pthread_mutex_lock(&ps->lock);
		ps->high += n;
		pthread_cond_broadcast(&ps->cond);
		pthread_mutex_unlock(&ps->lock);
		p += n;
		len -= (size_t)n;
	}
	/* A patch that failed fails the stream at once. */
	pthread_mutex_lock(&ps->lock);
	if (ps->done && ps->rc != 0) {
		error_set(cause, "%s", ps->cause);
		pthread_mutex_unlock(&ps->lock);
		return -1;
	}
	pthread_mutex_unlock(&ps->lock);
	return 0;
}

static void
patch_stream_join(struct patch_stream *ps, int stop)
{
	if (ps->joined)
		return;
	pthread_mutex_lock(&ps->lock);
	if (stop)
		ps->stop = 1;
	else
		ps->eof = 1;
	pthread_cond_broadcast(&ps->cond);
	pthread_mutex_unlock(&ps->lock);
	pthread_join(ps->thread, NULL);
	ps->joined = 1;
}

static int
patch_stream_finish(struct sink *s, char **cause)
{
	struct patch_stream	*ps = (struct patch_stream *)s;

	patch_stream_join(ps, 0);
	if (ps->rc != 0) {
		error_set(cause, "%s", ps->cause);
		return -1;
	}
	return 0;
}

static void
patch_stream_free(struct sink *s)
{
	struct patch_stream	*ps = (struct patch_stream *)s;

	patch_stream_join(ps, 1);
	pthread_cond_destroy(&ps->cond);
	pthread_mutex_destroy(&ps->lock);
	free(ps->cause);
	free(ps->ring);
	free(ps);
}

static const struct sink_ops patch_stream_ops = {
	.name = "rsync-patch-stream",
	.write = patch_stream_write,
	.finish = patch_stream_finish,
	.free = patch_stream_free,
};

struct sink *
rsync_patch_stream_new(int delta_fd, uint64_t basis_size, uint64_t max_output,
    struct sink *out, char **cause)
{
	struct patch_stream	*ps;
	sigset_t		 all, old;
	int			 err;

	if (basis_size > INT64_MAX) {
		error_set(cause, "a basis of %" PRIu64 " bytes is too large",
		    basis_size);
		return NULL;
	}
	ps = xcalloc(1, sizeof *ps);
	ps->sink.ops = &patch_stream_ops;
	ps->ring = xmalloc(PATCH_RING_SIZE);
	ps->delta_fd = delta_fd;
	ps->basis_size = basis_size;
	ps->max_output = max_output;
	ps->out = out;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->cond, NULL);
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&ps->thread, NULL, patch_stream_main, ps);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		error_sys(cause, "unable to start a thread to patch with");
		pthread_cond_destroy(&ps->cond);
		pthread_mutex_destroy(&ps->lock);
		free(ps->ring);
		free(ps);
		return NULL;
	}
	return &ps->sink;
}
