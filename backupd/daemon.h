/*
 * daemon.h: backupd's life: the configuration and its key, the schedule,
 * the jobs, the metrics, the signals.
 *
 * Time: the daemon's clock is the system's, or, for tests, TRESOR_NOW at
 * start plus the time elapsed since (common/clock.h); each job runs with
 * TRESOR_NOW set to the daemon's time, so sets are named by it.
 *
 * Signals: SIGTERM and SIGINT while idle end the daemon (exit 0); during a
 * job they stop the job at its next safe point (the engine's, see
 * common/interrupt.h) and the daemon exits with 128 + the signal. SIGHUP
 * reads the configuration again, after the running job if there is one;
 * a bad new configuration is logged and the old one kept.
 */
#ifndef TRESOR_BACKUPD_DAEMON_H
#define TRESOR_BACKUPD_DAEMON_H

struct daemon_options {
	const char	*config;	/* --config, or NULL: the usual lookup */
	int		 once;		/* run one job now, exit with its code */
	int		 check_config;	/* print the effective config, exit */
	int		 foreground;
};

/* The exit code of the daemon (or of the one job). */
int	daemon_main(const struct daemon_options *);

#endif
