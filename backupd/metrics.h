/*
 * metrics.h: the Prometheus textfile (node_exporter's textfile collector)
 * with the appliance's metric names, so its dashboards and alerts keep
 * working. Written to a temporary file in the same directory, synced and
 * renamed: a scraper sees the old file or the new one, never half of one.
 */
#ifndef TRESOR_BACKUPD_METRICS_H
#define TRESOR_BACKUPD_METRICS_H

#include <stdint.h>
#include <time.h>

struct metrics {
	time_t		last_start_time;	/* backup_last_start_time */
	time_t		last_end_time;		/* backup_last_end_time */
	double		last_duration;		/* seconds */
	int		last_success;		/* 1 or 0 */
	uint64_t	last_size;		/* bytes stored by the last set */
	uint64_t	last_volumes;
	uint64_t	last_data_size;		/* bytes read from the sources */
	uint64_t	bytes_uploaded;		/* counter, all runs */
	uint64_t	sets;			/* complete sets on the target */
	double		chain_age_seconds;	/* age of the current full */
	int		deadline_exceeded;	/* a job ran past the deadline */
};

/* Write m to path atomically; 0, or -1 with *cause set. */
int	metrics_write(const char *path, const struct metrics *m, char **cause);
/* Read back what a previous metrics_write left (missing: zeroes, 0). */
int	metrics_read(const char *path, struct metrics *m, char **cause);

#endif
