/*
 * storageop.h: numbering of storage operations, for the crash and fault
 * tests (docs/TESTING.md). Off unless one of these is in the environment:
 *
 *	TRESOR_TEST_RECORD=FILE		append one line per operation to FILE:
 *					"SEQ WHO KIND NAME"; reads that are
 *					not crash points as "- WHO KIND NAME";
 *					WHO is "PID.START" (when the process
 *					started recording, in microseconds)
 *	TRESOR_TEST_CRASH_AFTER=K	SIGKILL this process right after
 *					operation K succeeded
 *	TRESOR_TEST_FAULT=KIND:K	operation K fails instead, as KIND:
 *					enospc, eio, short (a short write),
 *					drop (connection reset), timeout,
 *					eacces
 *
 * Operations on the target are numbered by the recording driver
 * (transports/record.c); the others (the local cache's files, backupd's
 * state file) by their writers, which call storageop_begin/done around the
 * system call that makes the change visible. Both share one sequence per
 * process. Without the variables a call costs one comparison.
 */
#ifndef TRESOR_STORAGEOP_H
#define TRESOR_STORAGEOP_H

/* A short write: what storageop_begin returns for the fault "short". */
#define STORAGEOP_SHORT	(-1)

/* Whether any of the variables is set (the recording driver is wanted). */
int		storageop_enabled(void);
/*
 * Number and record an operation of kind KIND (put, publish, delete,
 * delete-tmp, cache-write, cache-delete, cache-mkdir, fsync, state-write)
 * on NAME. *seq gets its number (0 when disabled). Returns 0 to perform
 * it, or the fault to fail it with: an errno value, or STORAGEOP_SHORT.
 */
int		storageop_begin(const char *kind, const char *name,
		    unsigned long *seq);
/* Operation seq succeeded: the crash point. */
void		storageop_done(unsigned long seq);
/*
 * The same for a local file's operation, in one call before it: 0, or -1
 * with errno set to the injected fault (a short write is ENOSPC, as a
 * full local disk gives it; a dropped connection or a timeout is EIO).
 * storageop_local_done after it succeeded.
 */
int		storageop_local(const char *kind, const char *name,
		    unsigned long *seq);
#define storageop_local_done(seq)	storageop_done(seq)
/* Record a read that is no crash point ("get", "stat"). */
void		storageop_note(const char *kind, const char *name);

#endif
