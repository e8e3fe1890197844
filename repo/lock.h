/*
 * lock.h: one writer per target. A run that changes a target (backup,
 * purge, cleanup) holds two locks: the local cache's flock (two runs on
 * this machine) and the object `tresor.lock` on the target (runs from
 * different machines, or a run whose machine died). The object says who
 * holds it: host, boot id, pid, program, time and operation.
 *
 * An unattended nightly run must not stay blocked by a run that died, so a
 * lock whose holder is known to be gone is taken over with a warning, as
 * restic does:
 * - this host's lock whose pid is not running, runs another program, or
 *   belongs to an earlier boot of this host;
 * - another host's lock older than stale_after (it cannot be checked from
 *   here), unless no_takeover is set.
 * Anything else is refused, naming the holder; --break-lock removes it.
 */
#ifndef TRESOR_LOCK_H
#define TRESOR_LOCK_H

#include <stdint.h>
#include <time.h>

#define LOCK_OBJECT		"tresor.lock"
#define LOCK_DEFAULT_STALE	(24 * 3600)

struct transport;
struct lock;

struct lock_options {
	int64_t	stale_after;	/* seconds; 0 means LOCK_DEFAULT_STALE */
	int	break_lock;	/* remove whatever lock is there first */
	int	no_takeover;	/* report another host's stale lock only */
};

struct lock	*lock_acquire(struct transport *, const char *operation,
		     time_t now, const struct lock_options *, char **cause);
/* Remove the lock object; -1 (with cause) if that failed. */
int		 lock_release(struct lock *, char **cause);
void		 lock_free(struct lock *);

#endif
