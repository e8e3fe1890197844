/*
 * async.c: a stage that runs the rest of the chain in its own thread.
 *
 * Writes are copied into a small ring of fixed buffers (a bounded queue)
 * and return at once; a worker thread feeds them to the next stage. So a
 * slow stage (zstd, a signature) runs beside its producer instead of after
 * it, and memory stays bounded: ASYNC_SLOTS x ASYNC_SLOT_SIZE. The next
 * stage's first failure is reported by the next write or by finish; after
 * it, the worker drops what it is given.
 *
 * Locking: the ring's indexes, `closing`, `finish`, `discard`, `failed` and
 * `cause` are read and written only under `lock`, by both threads. A slot's
 * bytes are touched outside it only by the thread that owns the slot at the
 * time (the producer fills free slots, the worker drains the oldest full one).
 * The next stage's cause is allocated in the worker and handed to the struct
 * under the lock; from then on the struct owns it, the producer copies it into
 * its own cause, and async_free frees it. A cause the struct cannot take (a
 * failure after the first, or after discard) is freed where it is made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "filter.h"

#define ASYNC_SLOTS		4
#define ASYNC_SLOT_SIZE		(1024 * 1024)

struct async_slot {
	uint8_t	*data;
	size_t	 len;
};

struct async {
	struct sink		 sink;
	struct sink		*next;
	pthread_t		 thread;
	int			 running;
	int			 sync;		/* no worker: inline */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct async_slot	 slots[ASYNC_SLOTS];
	unsigned		 head;		/* next slot to fill */
	unsigned		 tail;		/* next slot to drain */
	unsigned		 count;		/* full slots */
	int			 closing;	/* no more input */
	int			 finish;	/* finish next at the end */
	int			 discard;	/* being freed: drop the queue */
	int			 failed;	/* the next stage failed */
	char			*cause;		/* its first cause (owned) */
	uint64_t		 bytes_in;	/* accepted (producer only) */
};

/*
 * Record the next stage's failure (worker, under the lock). Takes *cause:
 * the first failure's cause is kept, any later one is freed.
 */
static void
async_set_failed(struct async *a, char **cause)
{
	if (!a->failed) {
		a->failed = 1;
		a->cause = *cause;
	} else
		free(*cause);
	*cause = NULL;
}

static void *
async_main(void *arg)
{
	struct async		*a = arg;
	struct async_slot	*slot;
	char			*cause = NULL;
	char			 name[16];
	int			 rc, drop;

	/* Named after the stage it runs, for top -H and perf. */
	snprintf(name, sizeof name, "%s", a->next->ops->name);
	(void)pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (a->count == 0 && !a->closing)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->count == 0)
			break;
		slot = &a->slots[a->tail];
		drop = a->failed || a->discard;
		pthread_mutex_unlock(&a->lock);
		rc = drop ? 0 : sink_write(a->next, slot->data, slot->len,
		    &cause);
		pthread_mutex_lock(&a->lock);
		if (rc != 0)
			async_set_failed(a, &cause);
		a->tail = (a->tail + 1) % ASYNC_SLOTS;
		a->count--;
		pthread_cond_broadcast(&a->cond);
	}
	if (a->finish && !a->failed && !a->discard) {
		pthread_mutex_unlock(&a->lock);
		rc = sink_finish(a->next, &cause);
		pthread_mutex_lock(&a->lock);
		if (rc != 0)
			async_set_failed(a, &cause);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* The producer's view of a failure: a copy of the cause (under the lock). */
static int
async_failure(struct async *a, char **cause)
{
	return error_set(cause, "%s", a->cause != NULL ? a->cause :
	    "a later stage failed");
}

static int
async_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct async		*a = (struct async *)s;
	struct async_slot	*slot;
	const uint8_t		*p = buf;
	size_t			 n;
	int			 rc = 0;

	a->bytes_in += len;
	if (a->sync)
		return sink_write(a->next, buf, len, cause);
	pthread_mutex_lock(&a->lock);
	while (len > 0 && !a->failed) {
		/* Top up the newest slot, else take a free one. */
		slot = a->count > 0 ? &a->slots[(a->head + ASYNC_SLOTS - 1) %
		    ASYNC_SLOTS] : NULL;
		if (slot != NULL && a->count > 1 && slot->len < ASYNC_SLOT_SIZE) {
			n = ASYNC_SLOT_SIZE - slot->len;
			n = n < len ? n : len;
			memcpy(slot->data + slot->len, p, n);
			slot->len += n;
			p += n;
			len -= n;
			continue;
		}
		while (a->count == ASYNC_SLOTS && !a->failed)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->failed)
			break;
		slot = &a->slots[a->head];
		n = len < ASYNC_SLOT_SIZE ? len : ASYNC_SLOT_SIZE;
		memcpy(slot->data, p, n);
		slot->len = n;
		p += n;
		len -= n;
		a->head = (a->head + 1) % ASYNC_SLOTS;
		a->count++;
		pthread_cond_broadcast(&a->cond);
	}
	if (a->failed)
		rc = async_failure(a, cause);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Stop the worker; with finish, it finishes the next stage first. */
static void
async_stop(struct async *a, int finish)
{
	if (!a->running)
		return;
	pthread_mutex_lock(&a->lock);
	a->closing = 1;
	a->finish = finish;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	a->running = 0;
}

static int
async_finish(struct sink *s, char **cause)
{
	struct async	*a = (struct async *)s;
	int		 rc = 0;

	if (a->sync)
		return sink_finish(a->next, cause);
	async_stop(a, 1);
	pthread_mutex_lock(&a->lock);
	if (a->failed)
		rc = async_failure(a, cause);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static void
async_free(struct sink *s)
{
	struct async	*a = (struct async *)s;
	int		 i;

	/* Unfinished: drop what is queued, then free (aborts) the rest. */
	pthread_mutex_lock(&a->lock);
	a->discard = 1;
	pthread_mutex_unlock(&a->lock);
	async_stop(a, 0);
	sink_free(a->next);
	for (i = 0; i < ASYNC_SLOTS; i++)
		free(a->slots[i].data);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a->cause);
	free(a);
}

static const struct sink_ops async_ops = {
	.name = "async",
	.write = async_write,
	.finish = async_finish,
	.free = async_free,
};

struct sink *
async_sink_new(struct sink *next)
{
	struct async	*a = xcalloc(1, sizeof *a);
	int		 i;

	a->sink.ops = &async_ops;
	a->next = next;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	for (i = 0; i < ASYNC_SLOTS; i++)
		a->slots[i].data = xmalloc(ASYNC_SLOT_SIZE);
	/*
	 * No thread (EAGAIN: a process or memory limit): the rest of the
	 * chain runs in the caller's thread instead, slower but the same.
	 */
	if (pthread_create(&a->thread, NULL, async_main, a) != 0) {
		a->sync = 1;
		return &a->sink;
	}
	a->running = 1;
	return &a->sink;
}

uint64_t
async_sink_bytes_in(const struct sink *s)
{
	return ((const struct async *)s)->bytes_in;
}
