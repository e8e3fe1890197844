/*
 * lock.h: one writer per target. A run that changes a target (backup,
 * purge, cleanup) holds two locks: the local cache's flock (two runs on
 * this machine) and the object `tresor.lock` on the target (runs from
 * different machines, or a run whose machine died). The object says who
 * holds it: host, pid, time and operation. A lock older than the stale age
 * is reported as stale, but only --break-lock removes it: a careful
 * operator checks that its holder is really gone first.
 */
#ifndef TRESOR_LOCK_H
#define TRESOR_LOCK_H

#include <stdint.h>
#include <time.h>

#define LOCK_OBJECT		"tresor.lock"
#define LOCK_DEFAULT_STALE	(24 * 3600)

struct transport;
struct lock;

struct lock	*lock_acquire(struct transport *, const char *operation,
		     time_t now, int64_t stale_after, int break_lock,
		     char **cause);
/* Remove the lock object; -1 (with cause) if that failed. */
int		 lock_release(struct lock *, char **cause);
void		 lock_free(struct lock *);

#endif
