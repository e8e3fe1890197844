/* applyq.c: apply's regular-file calls in a writer thread (see applyq.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "applyq.h"
#include "common/error.h"
#include "common/xmalloc.h"

#define APPLYQ_OPS	256

enum applyq_kind {
	APPLYQ_BEGIN,
	APPLYQ_DATA,
	APPLYQ_HOLE,
	APPLYQ_COMMIT,
	APPLYQ_ABORT,
};

struct applyq_op {
	enum applyq_kind	 kind;
	struct entry		 e;	/* BEGIN: a deep copy */
	uint8_t			*data;	/* DATA: a copy */
	size_t			 len;
	uint64_t		 n;	/* HOLE: length; COMMIT: size */
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
	size_t			 bytes;		/* data queued */
	int			 stopping;
	int			 failed;
	char			*cause;		/* the first failure */
};

static void
applyq_op_clear(struct applyq_op *op)
{
	if (op->kind == APPLYQ_BEGIN)
		entry_clear(&op->e);
	free(op->data);
	memset(op, 0, sizeof *op);
}

/* Run one op against apply; after a failure only aborts still run. */
static void
applyq_run(struct applyq *q, struct applyq_op *op, int failed, char **cause)
{
	if (failed) {
		if (op->kind == APPLYQ_ABORT || op->kind == APPLYQ_BEGIN)
			apply_abort(q->apply);
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
		q->bytes -= op->len;
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

	q->apply = a;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pthread_create(&q->thread, NULL, applyq_main, q) != 0) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		error_set(cause, "unable to start the file writer thread");
		return NULL;
	}
	return q;
}

/* The first failure so far, as this call's (q->lock held). */
static int
applyq_failure(struct applyq *q, char **cause)
{
	return error_set(cause, "%s", q->cause);
}

/* Queue an op (filled by the caller from *op, which is then emptied). */
static int
applyq_push(struct applyq *q, struct applyq_op *op, char **cause)
{
	int	rc = 0;

	pthread_mutex_lock(&q->lock);
	/* Room for the op, and for its bytes unless the queue is empty. */
	while (!q->failed && (q->count == APPLYQ_OPS || (q->count > 0 &&
	    q->bytes + op->len > APPLYQ_BYTES)))
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->failed && op->kind != APPLYQ_ABORT) {
		rc = applyq_failure(q, cause);
		applyq_op_clear(op);
		goto out;
	}
	while (q->count == APPLYQ_OPS)	/* an abort after a failure */
		pthread_cond_wait(&q->cond, &q->lock);
	q->ops[q->head] = *op;
	memset(op, 0, sizeof *op);
	q->bytes += q->ops[q->head].len;
	q->head = (q->head + 1) % APPLYQ_OPS;
	q->count++;
	pthread_cond_broadcast(&q->cond);
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int
applyq_begin(struct applyq *q, const struct entry *e, char **cause)
{
	struct applyq_op	op = { .kind = APPLYQ_BEGIN };

	op.e = *e;
	op.e.path = xstrdup(e->path);
	op.e.target = e->target != NULL ? xstrdup(e->target) : NULL;
	return applyq_push(q, &op, cause);
}

int
applyq_data(struct applyq *q, const void *buf, size_t len, char **cause)
{
	struct applyq_op	op = { .kind = APPLYQ_DATA };

	if (len == 0)
		return 0;
	op.data = xmalloc(len);
	memcpy(op.data, buf, len);
	op.len = len;
	return applyq_push(q, &op, cause);
}

int
applyq_hole(struct applyq *q, uint64_t len, char **cause)
{
	struct applyq_op	op = { .kind = APPLYQ_HOLE, .n = len };

	return applyq_push(q, &op, cause);
}

int
applyq_commit(struct applyq *q, uint64_t size, char **cause)
{
	struct applyq_op	op = { .kind = APPLYQ_COMMIT, .n = size };

	return applyq_push(q, &op, cause);
}

int
applyq_abort(struct applyq *q, char **cause)
{
	struct applyq_op	op = { .kind = APPLYQ_ABORT };

	return applyq_push(q, &op, cause);
}

int
applyq_sync(struct applyq *q, char **cause)
{
	int	rc = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count > 0)
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->failed)
		rc = applyq_failure(q, cause);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void
applyq_free(struct applyq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	free(q->cause);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
