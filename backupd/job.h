/*
 * job.h: one nightly job, as the appliance's backup script did it and
 * more: mount (if configured), preflight (the vault is there and not
 * empty, the database answers and exists, the target is reachable, the
 * cache has room), cleanup of debris, the backup (full or incremental by
 * the rotation rule), purge by the retention rule, a verify of the new
 * set, then the metrics file. Each step's failure is one line; the job's
 * exit code is the first failing step's.
 */
#ifndef TRESOR_BACKUPD_JOB_H
#define TRESOR_BACKUPD_JOB_H

#include <stddef.h>
#include <time.h>

#include "backup/backup.h"

struct config;

struct job_keys {
	char		*public_armor;	/* the configured key's public part */
	size_t		 public_len;
	const char	*key_file;	/* the same in the daemon's keyring:
					   what the backup encrypts to */
	int		 have_secret;	/* the config's key is a pair: a
					   read-data verify can decrypt */
	/*
	 * The signing key: the config's `sign` (in memory), else the one the
	 * daemon made in its keyring (a file).
	 */
	const char	*sign_key_file;
	const char	*sign_key_data;
	size_t		 sign_key_len;
};

struct job_report {
	time_t			 start;
	time_t			 end;
	int			 rc;		/* exit code */
	struct backup_result	 backup;	/* set_id "" if none */
	int			 read_data;	/* verify read the data */
	uint64_t		 sets;		/* complete sets afterwards */
	time_t			 chain_start;	/* the newest full's time */
};

/*
 * Run one job at `now` (the daemon's clock). read_data: verify reads the
 * data back too. Returns the exit code; *cause is the failure line.
 */
int	job_run(const struct config *, const struct job_keys *, time_t now,
	    int read_data, struct job_report *, char **cause);

#endif
