/* applyq.c: apply's regular-file calls in a writer thread (see applyq.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "applyq.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/xmalloc.h"

#define APPLYQ_OPS	64
#define APPLYQ_CHUNK	(APPLYQ_BYTES / APPLYQ_OPS)	/* each op's buffer */

enum applyq_kind {
	APPLYQ_BEGIN,
	APPLYQ_DATA,
	APPLYQ_HOLE,
	APPLYQ_COMMIT,
	APPLYQ_HOLD,
	APPLYQ_PUBLISH,
	APPLYQ_ABORT,
};

struct applyq_op {
	enum applyq_kind	 kind;
	struct entry		 e;	/* BEGIN: a deep copy */
	uint8_t			*data;	/* APPLYQ_CHUNK bytes, kept */
	size_t			 len;	/* DATA: bytes in data */
	uint64_t		 n;	/* HOLE: length; COMMIT, HOLD: size */
	uint8_t			 sha256[HASH_LEN];	/* HOLD */
};

struct applyq {
	struct apply		*apply;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct applyq_op	 ops[APPLYQ_OPS];
	unsigned		 head;		/* next op to fill */
	unsigned		 tail;		/* next op to run */
	unsigned		 count;		/* queued, including the running one */
	int			 stopping;
	int			 failed;
	char			*cause;		/* the first failure */
};

static void
applyq_op_clear(struct applyq_op *op)
{
	if (op->kind == APPLYQ_BEGIN)
		entry_clear(&op->e);
	op->len = 0;
}

/* Run one op against apply; after a failure only aborts still run. */
static void
applyq_run(struct applyq *q, struct applyq_op *op, int failed, char **cause)
{
	if (failed) {
		if (op->kind == APPLYQ_ABORT || op->kind == APPLYQ_BEGIN)
			apply_abort(q->apply);
		if (op->kind == APPLYQ_PUBLISH)
			apply_discard(q->apply);
		return;
	}
	switch (op->kind) {
	case APPLYQ_BEGIN:
		(void)apply_begin(q->apply, &op->e, cause);
		break;
	case APPLYQ_DATA:
		(void)apply_data(q->apply, op->data, op->len, cause);
		break;
	case APPLYQ_HOLE:
		(void)apply_hole(q->apply, op->n, cause);
		break;
	case APPLYQ_COMMIT:
		(void)apply_commit(q->apply, op->n, cause);
		break;
	case APPLYQ_HOLD:
		(void)apply_hold(q->apply, op->n, op->sha256, cause);
		break;
	case APPLYQ_PUBLISH:
		(void)apply_publish(q->apply, NULL, NULL, cause);
		break;
	case APPLYQ_ABORT:
		apply_abort(q->apply);
		break;
	}
}

static void *
applyq_main(void *arg)
{
	struct applyq		*q = arg;
	struct applyq_op	*op;
	char			*cause;
	int			 failed;

	(void)pthread_setname_np(pthread_self(), "apply-write");
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->count == 0 && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->count == 0)
			break;
		op = &q->ops[q->tail];
		failed = q->failed;
		pthread_mutex_unlock(&q->lock);

		cause = NULL;
		applyq_run(q, op, failed, &cause);

		pthread_mutex_lock(&q->lock);
		if (cause != NULL && !q->failed) {
			q->failed = 1;
			q->cause = cause;
		} else
			free(cause);
		applyq_op_clear(op);
		q->tail = (q->tail + 1) % APPLYQ_OPS;
		q->count--;
		pthread_cond_broadcast(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct applyq *
applyq_new(struct apply *a, char **cause)
{
	struct applyq	*q = xcalloc(1, sizeof *q);
	unsigned	 i;

	q->apply = a;
	for (i = 0; i < APPLYQ_OPS; i++)
		q->ops[i].data = xmalloc(APPLYQ_CHUNK);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pthread_create(&q->thread, NULL, applyq_main, q) != 0) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		for (i = 0; i < APPLYQ_OPS; i++)
			free(q->ops[i].data);
		free(q);
		error_set(cause, "unable to start the file writer thread");
		return NULL;
	}
	return q;
}

/*
 * Queue an op: wait for a free slot (the thread only touches the slots it
 * has to run), fill it outside the lock, then hand it over. DATA's bytes
 * are copied into the slot's own buffer, so nothing is allocated per call.
 */
static int
applyq_push(struct applyq *q, enum applyq_kind kind, const struct entry *e,
    const void *data, size_t len, uint64_t n, char **cause)
{
	struct applyq_op	*op;

	pthread_mutex_lock(&q->lock);
	while (q->count == APPLYQ_OPS && (!q->failed || kind == APPLYQ_ABORT))
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->failed && kind != APPLYQ_ABORT) {
		error_set(cause, "%s", q->cause);
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	op = &q->ops[q->head];
	pthread_mutex_unlock(&q->lock);

	op->kind = kind;
	op->n = n;
	op->len = len;
	if (kind == APPLYQ_HOLD)
		memcpy(op->sha256, data, HASH_LEN);
	else if (len > 0)
		memcpy(op->data, data, len);
	if (kind == APPLYQ_BEGIN) {
		op->e = *e;
		op->e.path = xstrdup(e->path);
		op->e.target = e->target != NULL ? xstrdup(e->target) : NULL;
	}

	pthread_mutex_lock(&q->lock);
	q->head = (q->head + 1) % APPLYQ_OPS;
	q->count++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int
applyq_begin(struct applyq *q, const struct entry *e, char **cause)
{
	/* A safe point: between files. */
	if (interrupt_check(cause) != 0)
		return -1;
	return applyq_push(q, APPLYQ_BEGIN, e, NULL, 0, 0, cause);
}

int
applyq_data(struct applyq *q, const void *buf, size_t len, char **cause)
{
	const uint8_t	*p = buf;
	size_t		 n;

	for (; len > 0; p += n, len -= n) {
		n = len < APPLYQ_CHUNK ? len : APPLYQ_CHUNK;
		if (applyq_push(q, APPLYQ_DATA, NULL, p, n, 0, cause) != 0)
			return -1;
	}
	return 0;
}

int
applyq_hole(struct applyq *q, uint64_t len, char **cause)
{
	return applyq_push(q, APPLYQ_HOLE, NULL, NULL, 0, len, cause);
}

int
applyq_commit(struct applyq *q, uint64_t size, char **cause)
{
	return applyq_push(q, APPLYQ_COMMIT, NULL, NULL, 0, size, cause);
}

int
applyq_hold(struct applyq *q, uint64_t size, const uint8_t sha256[HASH_LEN],
    char **cause)
{
	return applyq_push(q, APPLYQ_HOLD, NULL, sha256, HASH_LEN, size,
	    cause);
}

int
applyq_publish(struct applyq *q, char **cause)
{
	return applyq_push(q, APPLYQ_PUBLISH, NULL, NULL, 0, 0, cause);
}

int
applyq_abort(struct applyq *q, char **cause)
{
	return applyq_push(q, APPLYQ_ABORT, NULL, NULL, 0, 0, cause);
}

int
applyq_sync(struct applyq *q, char **cause)
{
	int	rc = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count > 0)
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->failed)
		rc = error_set(cause, "%s", q->cause);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void
applyq_free(struct applyq *q)
{
	unsigned	i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (i = 0; i < APPLYQ_OPS; i++)
		free(q->ops[i].data);
	free(q->cause);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
