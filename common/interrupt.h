/*
 * interrupt.h: SIGINT, SIGTERM and SIGHUP stop a run at its next safe point.
 *
 * The handler only records the signal (and arms a grace timer). Long loops
 * call interrupt_check() between steps: a record, a file, an object, a
 * retry. It fails with "interrupted by SIGTERM", so the run leaves through
 * its ordinary error path: unfinished objects are aborted (their temporary
 * names removed), scratch files deleted, the target lock released. The
 * verb then exits with 128 + the signal (130, 143, 129) and one line saying
 * what was left.
 *
 * A second signal, or a run that has not reached a safe point within the
 * grace period (a child that never answers), means nobody can wait: the
 * emergency hooks run (async-signal-safe calls only: they remove what must
 * not outlive the process, such as a GnuPG home holding a secret key) and
 * the process dies of the signal. The lock it leaves names this host and a
 * dead pid, so the next run takes it over (lock.c).
 */
#ifndef TRESOR_INTERRUPT_H
#define TRESOR_INTERRUPT_H

/* Seconds between the first signal and the hard stop. */
#define INTERRUPT_GRACE	30

/* Install the handlers; call once at start, before any thread exists. */
void	interrupt_install(void);
/*
 * For the daemon: SIGHUP asks for the configuration to be read again
 * instead of stopping the run; interrupt_reload_requested() says whether
 * it came since the last call.
 */
void	interrupt_hup_reloads(void);
int	interrupt_reload_requested(void);
int	interrupt_reload_pending(void);		/* the same, not cleared */
/* The signal received, or 0. */
int	interrupt_received(void);
/* 0, or -1 with cause "interrupted by SIGxxx" once a signal came. */
int	interrupt_check(char **cause);
/* 128 + the signal received (the shell's convention), or 0. */
int	interrupt_exit_code(void);
/* "SIGINT", "SIGTERM", "SIGHUP" or "signal N". */
const char *interrupt_name(void);
/* Run fn (async-signal-safe calls only) before a hard stop; at most 4. */
void	interrupt_on_hard_stop(void (*fn)(void));

#endif
