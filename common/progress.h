/*
 * progress.h: how far a long run is, for the operator. An engine tells a
 * reporter the bytes and files done so far (and, if it knows one, a total
 * in bytes); the reporter either redraws one live line on a terminal
 *
 *   backup: 1.2 GB, 12345 files, 85 MB/s
 *
 * at most four times a second, cleared at the end, or, in log mode, writes
 * a line through log.h every N seconds:
 *
 *   tresor: progress: 1.2 GB of 3.4 GB (35%), 12345 files, 85 MB/s, ETA 0:00:26
 *
 * Log mode is on when TRESOR_PROGRESS_INTERVAL=N is set or the process
 * asked for it (progress_set_log_interval: the daemon); it replaces the
 * live line. Without a total there is no percentage and no ETA. The rate
 * is the average since the reporter started.
 *
 * Updates are cheap: a store of two counters, and a read of the monotonic
 * clock only every 64 updates or 1 MiB. So lines come as the work moves:
 * a run stalled for minutes (a slow upload) prints nothing meanwhile, and
 * its next line shows the lower rate.
 *
 * One thread updates a reporter (the one that counts); log lines from any
 * thread take the live line away first (log_set_hook) and it is redrawn
 * at the next update.
 */
#ifndef TRESOR_PROGRESS_H
#define TRESOR_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* The live line is redrawn at most this often, the first time after 0.5 s. */
#define PROGRESS_LIVE_NSEC	(250ULL * 1000 * 1000)
#define PROGRESS_FIRST_NSEC	(500ULL * 1000 * 1000)
/* The clock is read every this many updates or bytes, whichever first. */
#define PROGRESS_CHECK_CALLS	64
#define PROGRESS_CHECK_BYTES	(1024 * 1024)

struct progress;

struct progress_config {
	const char	*verb;		/* "backup": the live line's label */
	int		 live;		/* redraw one line on live_out */
	int		 log_interval;	/* seconds between log lines; 0: none */
	/* Tests replace these; zero/NULL: the defaults. */
	uint64_t	(*clock)(void *);	/* monotonic, nanoseconds */
	void		(*log)(void *, const char *line); /* log_notice */
	FILE		*live_out;	/* stderr */
	int		 width;		/* columns; 0: the terminal's, or 80 */
	void		*arg;		/* for clock and log */
};

/*
 * Log mode for every later reporter of the process: a line every `seconds`
 * (0: off, back to the live line on a terminal). TRESOR_PROGRESS_INTERVAL,
 * when set, wins over it.
 */
void		 progress_set_log_interval(int seconds);

/*
 * The reporter an engine uses for `verb`: log mode if it is on, else the
 * live line if stderr is a terminal and not quiet, else none (NULL, which
 * every function below accepts and ignores).
 */
struct progress	*progress_start(const char *verb, int quiet);
/* A reporter as configured (NULL if it would show nothing). */
struct progress	*progress_new(const struct progress_config *);
/* What the run will amount to in bytes (0: unknown, the default). */
void		 progress_set_total(struct progress *, uint64_t bytes);
/* Bytes and files done so far (absolute counts, not increments). */
void		 progress_update(struct progress *, uint64_t bytes,
		     uint64_t files);
/* Clear the live line (if drawn) and free. */
void		 progress_free(struct progress *);

/* "512 B", "9.9 kB", "85 MB", "1.2 GB": decimal units, 2 or 3 digits. */
void		 progress_format_bytes(char *, size_t, uint64_t);
/* "0:00:26", "12:03:00": hours, minutes, seconds. */
void		 progress_format_duration(char *, size_t, uint64_t seconds);
/* The line without prefix, as of `now` (the clock's nanoseconds). */
void		 progress_format(const struct progress *, uint64_t now, char *,
		     size_t);

#endif
