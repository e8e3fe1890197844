/*
 * applyq.h: the regular-file part of apply.h, run in a thread of its own.
 *
 * Writing restored files into new page cache is the dearest step of a
 * restore (on the VMs we measured, more CPU than decrypting). Queuing
 * begin/data/hole/commit/abort for one writer thread lets the caller's
 * thread parse and hash the next records meanwhile. The queue holds at most
 * APPLYQ_BYTES of data, so memory stays bounded.
 *
 * The calls keep their order and their meaning; only their failures arrive
 * late: a call returns the first failure of any earlier call, and
 * applyq_sync returns it after everything queued was done. After a failure
 * the remaining calls are skipped, except that an open temporary file is
 * always removed (apply_abort).
 */
#ifndef TRESOR_APPLYQ_H
#define TRESOR_APPLYQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "format/record.h"

struct apply;
struct applyq;

#define APPLYQ_BYTES	(8 * 1024 * 1024)

/* Queue in front of `a` (borrowed; only the queue's thread touches it). */
struct applyq	*applyq_new(struct apply *a, char **cause);
int		 applyq_begin(struct applyq *, const struct entry *, char **);
int		 applyq_data(struct applyq *, const void *, size_t, char **);
int		 applyq_hole(struct applyq *, uint64_t, char **);
int		 applyq_commit(struct applyq *, uint64_t size, char **);
int		 applyq_hold(struct applyq *, uint64_t size,
		     const uint8_t sha256[HASH_LEN], char **);
/* apply_publish without a check: names every file held so far. */
int		 applyq_publish(struct applyq *, char **);
int		 applyq_abort(struct applyq *, char **);
/* Wait until everything queued is done; then `a` may be used directly. */
int		 applyq_sync(struct applyq *, char **);
/* Sync (dropping any failure) and stop the thread. */
void		 applyq_free(struct applyq *);

#endif
