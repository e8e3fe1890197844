/*
 * daemon.c: backupd's scheduler loop, its configuration and key, and what
 * a job leaves behind: the metrics file, the state file, the failure hook
 * (see daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/filter/sign.h"
#include "calendar.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "metrics.h"
#include "state.h"

/* The longest the idle loop sleeps before it looks at the clock again. */
#define DAEMON_IDLE_MAX		60
/* A job's progress in the log this often (TRESOR_PROGRESS_INTERVAL wins). */
#define DAEMON_PROGRESS_INTERVAL	60

struct daemon {
	const struct daemon_options	*opts;
	struct config			*cfg;
	struct calendar			*cal;
	struct job_keys			 keys;
	char				*key_file;	/* the keyring's copy */
	char				*sign_file;	/* keyring/sign.asc */
	char				*sign_fpr;
	/* The clock: TRESOR_NOW at start plus the time since, if set. */
	int				 fake_clock;
	time_t				 fake_base;
	struct timespec			 mono_base;
	int				 lock_fd;	/* STATE_DIR/backupd.lock */
};

static time_t
daemon_now(const struct daemon *d)
{
	struct timespec	ts;

	if (!d->fake_clock)
		return time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return d->fake_base + (ts.tv_sec - d->mono_base.tv_sec);
}

static void
daemon_format_local(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm);
}

/* A configuration with its schedule and key, or NULL with *cause. */
struct daemon_config {
	struct config	*cfg;
	struct calendar	*cal;
	struct job_keys	 keys;
	char		*key_file;
	char		*sign_file;	/* the keyring's signing key, or NULL */
	char		*sign_fpr;
};

static void
daemon_config_clear(struct daemon_config *dc)
{
	config_free(dc->cfg);
	calendar_free(dc->cal);
	free(dc->keys.public_armor);
	free(dc->key_file);
	free(dc->sign_file);
	free(dc->sign_fpr);
	memset(dc, 0, sizeof *dc);
}

/*
 * The public part of the configured key goes into the daemon's keyring
 * directory (0700): that is all a backup needs. A key pair's secret part
 * stays in the configuration file only.
 */
static int
daemon_write_key(const struct config *cfg, struct daemon_config *dc,
    char **cause)
{
	char	*dir = xasprintf("%s/keyring", cfg->state_dir), *tmp = NULL;
	int	 fd = -1, rc = -1;
	ssize_t	 n;

	if (state_make_dir(cfg->state_dir, cause) != 0)
		goto out;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		error_sys(cause, "unable to create the keyring '%s'", dir);
		goto out;
	}
	if (chmod(dir, 0700) != 0) {
		error_sys(cause, "unable to restrict the keyring '%s'", dir);
		goto out;
	}
	dc->key_file = xasprintf("%s/encrypt.asc", dir);
	tmp = xasprintf("%s/.encrypt.asc.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1) {
		error_sys(cause, "unable to write '%s'", dc->key_file);
		goto out;
	}
	n = write(fd, dc->keys.public_armor, dc->keys.public_len);
	if (n != (ssize_t)dc->keys.public_len || fsync(fd) != 0) {
		error_sys(cause, "unable to write '%s'", dc->key_file);
		goto out;
	}
	if (rename(tmp, dc->key_file) != 0) {
		error_sys(cause, "unable to write '%s'", dc->key_file);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

/* Write a keyring file atomically with the given mode. */
static int
daemon_write_file(const char *path, const char *data, size_t len,
    mode_t mode, char **cause)
{
	char	*tmp = xasprintf("%s.XXXXXX", path);
	int	 fd, rc = -1;

	if ((fd = mkstemp(tmp)) == -1 || fchmod(fd, mode) != 0 ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		if (fd != -1)
			unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(tmp);
	return rc;
}

/*
 * The key that signs the seals (repo/seals.h): the configuration's `sign`,
 * else keyring/sign.asc, made once (the first run) with its public part
 * beside it as sign.pub.asc, for restores elsewhere.
 */
static int
daemon_sign_key(const struct config *cfg, struct daemon_config *dc,
    char **cause)
{
	char	*dir = xasprintf("%s/keyring", cfg->state_dir);
	char	*path = xasprintf("%s/sign.asc", dir), *pubpath = NULL;
	char	*secret = NULL, *pub = NULL, *uid = NULL, host[256];
	size_t	 len = 0, publen;
	int	 rc = -1, is_secret;
	FILE	*f;

	if (cfg->sign != NULL) {
		dc->keys.sign_key_data = cfg->sign;
		dc->keys.sign_key_len = strlen(cfg->sign);
		rc = crypto_inspect_key(cfg->sign, strlen(cfg->sign),
		    &is_secret, &dc->sign_fpr, cause);
		goto out;
	}
	if ((f = fopen(path, "re")) != NULL) {
		secret = xmalloc(65536);
		len = fread(secret, 1, 65535, f);
		fclose(f);
		if (crypto_inspect_key(secret, len, &is_secret, &dc->sign_fpr,
		    cause) != 0) {
			error_prefix(cause, "%s", path);
			goto out;
		}
	} else {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "backupd");
		host[sizeof host - 1] = '\0';
		uid = xasprintf("tresor backupd seals <backupd@%s>", host);
		pubpath = xasprintf("%s/sign.pub.asc", dir);
		if (signer_generate(uid, &secret, &len, &dc->sign_fpr,
		    cause) != 0 ||
		    crypto_export_public(secret, len, &pub, &publen,
		    &is_secret, cause) != 0 ||
		    daemon_write_file(pubpath, pub, publen, 0644, cause) != 0 ||
		    daemon_write_file(path, secret, len, 0600, cause) != 0)
			goto out;
		log_notice("made the signing key for the seals: %s, fingerprint "
		    "%s; keep its public part %s with the encryption key (a "
		    "restore elsewhere checks the seals with it: "
		    "--sign-pubkey)", path, dc->sign_fpr, pubpath);
	}
	dc->sign_file = path;
	path = NULL;
	dc->keys.sign_key_file = dc->sign_file;
	rc = 0;
out:
	if (secret != NULL) {
		explicit_bzero(secret, len);
		free(secret);
	}
	free(pub);
	free(uid);
	free(pubpath);
	free(path);
	free(dir);
	return rc;
}

static int
daemon_config_load(const char *explicit_path, struct daemon_config *dc,
    char **cause)
{
	char	*path = NULL;
	int	 secret, rc = -1;

	memset(dc, 0, sizeof *dc);
	if ((path = config_find(explicit_path, cause)) == NULL ||
	    (dc->cfg = config_load(path, cause)) == NULL)
		goto out;
	if ((dc->cal = calendar_parse(dc->cfg->schedule, cause)) == NULL) {
		error_prefix(cause, "%s: appliance.backup.schedule", path);
		goto out;
	}
	if (crypto_export_public(dc->cfg->encrypt, strlen(dc->cfg->encrypt),
	    &dc->keys.public_armor, &dc->keys.public_len, &secret,
	    cause) != 0) {
		error_prefix(cause, "%s: appliance.backup.encrypt", path);
		goto out;
	}
	dc->keys.have_secret = secret;
	rc = 0;
out:
	free(path);
	if (rc != 0)
		daemon_config_clear(dc);
	return rc;
}

static void
daemon_warn_default_url(const struct config *cfg)
{
	if (cfg->url_is_default)
		log_warn("%s has no appliance.backup.url: backing up to the "
		    "appliance's local test target %s, which is lost with "
		    "this machine", cfg->path, cfg->url);
}

/* Take over a loaded configuration; say what matters about it. */
static int
daemon_config_use(struct daemon *d, struct daemon_config *dc, char **cause)
{
	if (daemon_write_key(dc->cfg, dc, cause) != 0 ||
	    daemon_sign_key(dc->cfg, dc, cause) != 0)
		return -1;
	config_free(d->cfg);
	calendar_free(d->cal);
	free(d->keys.public_armor);
	free(d->key_file);
	free(d->sign_file);
	free(d->sign_fpr);
	d->cfg = dc->cfg;
	d->cal = dc->cal;
	d->keys = dc->keys;
	d->key_file = dc->key_file;
	d->sign_file = dc->sign_file;
	d->sign_fpr = dc->sign_fpr;
	memset(dc, 0, sizeof *dc);
	daemon_warn_default_url(d->cfg);
	log_notice("configuration %s: schedule %s, %s key %s, signing key %s",
	    d->cfg->path, calendar_text(d->cal), d->keys.have_secret ?
	    "secret" : "public", d->cfg->encrypt_fpr != NULL ?
	    d->cfg->encrypt_fpr : "", d->sign_fpr != NULL ? d->sign_fpr : "");
	return 0;
}

/* SIGHUP: the new configuration, or the old one and why. */
static void
daemon_reload(struct daemon *d)
{
	struct daemon_config	 dc;
	char			*cause = NULL;

	if (daemon_config_load(d->opts->config, &dc, &cause) != 0 ||
	    daemon_config_use(d, &dc, &cause) != 0) {
		log_error("SIGHUP: keeping the previous configuration: %s",
		    cause);
		free(cause);
		daemon_config_clear(&dc);
		return;
	}
	log_notice("SIGHUP: configuration reloaded");
}

/*
 * One daemon per state directory, and one job at a time even with a
 * `backupd --once` started beside it: a lock file held with flock.
 */
static int
daemon_lock(const char *dir, const char *name, int *fd, char **cause)
{
	char	*path = xasprintf("%s/%s", dir, name);
	int	 rc = -1;

	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd == -1) {
		error_sys(cause, "unable to open '%s'", path);
		goto out;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			error_set(cause, "another backupd runs with the state "
			    "directory %s (%s is locked)", dir, path);
		else
			error_sys(cause, "unable to lock '%s'", path);
		close(*fd);
		*fd = -1;
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

/* The failure hook: the admin's command, the line in $TRESOR_FAILURE. */
static void
daemon_on_failure(const struct config *cfg, int rc, const char *line)
{
	char		*argv[] = { "/bin/sh", "-c", cfg->on_failure, NULL };
	char		 code[16], *cause = NULL;
	struct child	*child;

	snprintf(code, sizeof code, "%d", rc);
	setenv("TRESOR_FAILURE", line, 1);
	setenv("TRESOR_EXIT", code, 1);
	child = child_spawn(argv, -1, -1, -1, &cause);
	unsetenv("TRESOR_FAILURE");
	unsetenv("TRESOR_EXIT");
	if (child == NULL || child_finish(child, NULL, &cause) != 0) {
		log_error("on_failure command failed: %s", cause);
		free(cause);
	}
}

/*
 * The deadline (the appliance updates at 06:30): a thread that wakes
 * then and, if the job still runs, says so in the log and the metrics.
 */
struct deadline {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct timespec	 at;		/* CLOCK_MONOTONIC */
	int		 done;
	int		 fired;
	const char	*metrics;
	char		 when[16];
};

static void *
deadline_main(void *arg)
{
	struct deadline	*dl = arg;
	struct metrics	 m;
	char		*cause = NULL;
	int		 fire = 0;

	pthread_mutex_lock(&dl->lock);
	while (!dl->done) {
		if (pthread_cond_timedwait(&dl->cond, &dl->lock, &dl->at) ==
		    ETIMEDOUT) {
			fire = !dl->done;
			dl->fired = fire;
			break;
		}
	}
	pthread_mutex_unlock(&dl->lock);
	if (!fire)
		return NULL;
	log_warn("the backup job is still running at %s, when the "
	    "appliance's update may start", dl->when);
	if (metrics_read(dl->metrics, &m, &cause) == 0) {
		m.deadline_exceeded = 1;
		if (metrics_write(dl->metrics, &m, &cause) == 0)
			return NULL;
	}
	log_warn("%s", cause);
	free(cause);
	return NULL;
}

static int
deadline_start(struct deadline *dl, const struct config *cfg, time_t now)
{
	pthread_condattr_t	 attr;
	struct calendar		*cal;
	char			 expr[32], *cause = NULL;
	time_t			 at;

	memset(dl, 0, sizeof *dl);
	if (cfg->deadline_minutes < 0)
		return 0;
	snprintf(dl->when, sizeof dl->when, "%02d:%02d",
	    cfg->deadline_minutes / 60, cfg->deadline_minutes % 60);
	snprintf(expr, sizeof expr, "*-*-* %s:00", dl->when);
	if ((cal = calendar_parse(expr, &cause)) == NULL) {
		log_warn("deadline: %s", cause);
		free(cause);
		return 0;
	}
	at = calendar_next(cal, now);
	calendar_free(cal);
	if (at == -1)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &dl->at);
	dl->at.tv_sec += at - now;
	dl->metrics = cfg->metrics;
	pthread_mutex_init(&dl->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&dl->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&dl->thread, NULL, deadline_main, dl) != 0) {
		pthread_cond_destroy(&dl->cond);
		pthread_mutex_destroy(&dl->lock);
		return 0;
	}
	return 1;
}

static int
deadline_stop(struct deadline *dl, int started)
{
	struct timespec	now;
	int		fired;

	if (!started)
		return 0;
	pthread_mutex_lock(&dl->lock);
	dl->done = 1;
	pthread_cond_signal(&dl->cond);
	pthread_mutex_unlock(&dl->lock);
	pthread_join(dl->thread, NULL);
	fired = dl->fired;
	if (!fired) {
		/*
		 * The job ended as the deadline came, before the thread
		 * could say so (or the process was stopped across it).
		 */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > dl->at.tv_sec || (now.tv_sec ==
		    dl->at.tv_sec && now.tv_nsec >= dl->at.tv_nsec)) {
			log_warn("the backup job ran past %s, when the "
			    "appliance's update may start", dl->when);
			fired = 1;
		}
	}
	pthread_cond_destroy(&dl->cond);
	pthread_mutex_destroy(&dl->lock);
	return fired;
}

/* The metrics after a job: the last good run's figures stay on failure. */
static void
daemon_write_metrics(const struct config *cfg, const struct job_report *r,
    time_t end, int deadline_fired)
{
	struct metrics	 m;
	char		*cause = NULL;
	int		 ok = r->rc == EXIT_OK || r->rc == EXIT_WARNINGS;

	if (metrics_read(cfg->metrics, &m, &cause) != 0) {
		/* A damaged file is replaced, not kept forever. */
		log_warn("%s", cause);
		free(cause);
		cause = NULL;
		memset(&m, 0, sizeof m);
	}
	m.last_start_time = r->start;
	m.last_end_time = end;
	m.last_duration = (double)(end - r->start);
	m.last_success = ok;
	m.deadline_exceeded = deadline_fired;
	if (r->backup.set_id[0] != '\0') {
		m.last_size = r->backup.stored;
		m.last_volumes = r->backup.volumes;
		m.last_data_size = r->backup.bytes_read;
		m.bytes_uploaded += r->backup.stored;
	}
	if (r->sets > 0 || ok) {
		m.sets = r->sets;
		m.chain_age_seconds = r->chain_start != 0 ?
		    (double)(end - r->chain_start) : 0;
	}
	if (metrics_write(cfg->metrics, &m, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
}

/*
 * Whether this job reads the data back. Jobs start a little later or
 * earlier from night to night (a slow preflight, a missed run): a week's
 * verify is due within half a day of the week (at most half the period),
 * or it would slip to the next night whenever last week's job started a
 * few seconds later than this one.
 */
static int
daemon_read_data_due(int64_t every, time_t last, time_t now)
{
	int64_t	slack = every / 2 < 12 * 3600 ? every / 2 : 12 * 3600;

	if (every <= 0)
		return 0;
	return now - last >= every - slack;
}

/* One job now; the state and metrics brought up to date. */
static int
daemon_job(struct daemon *d, struct state *st)
{
	struct job_report	 report;
	struct deadline		 dl;
	struct job_keys		 keys = d->keys;
	char			*cause = NULL, stamp[32];
	time_t			 now = daemon_now(d), end;
	int			 rc, fd = -1, read_data, started, fired;

	if (daemon_lock(d->cfg->state_dir, "job.lock", &fd, &cause) != 0) {
		log_error("job not started: %s", cause);
		free(cause);
		return EXIT_FAILURE_;
	}
	if (d->fake_clock) {
		snprintf(stamp, sizeof stamp, "%lld", (long long)now);
		setenv("TRESOR_NOW", stamp, 1);
	}
	read_data = daemon_read_data_due(d->cfg->read_data_every,
	    st->last_read_data, now);
	if (read_data && !keys.have_secret) {
		log_notice("verify --read-data is due, but the configured key "
		    "is public only: run `tresor verify --read-data` where the "
		    "secret key is");
		read_data = 0;
	}
	log_notice("job started: backup to %s%s%s", d->cfg->url_is_default ?
	    "the local test target" : "the configured target",
	    d->cfg->database.name != NULL ? ", database " : "",
	    d->cfg->database.name != NULL ? d->cfg->database.name : "");
	/* The engine reads the key from the keyring's public copy. */
	keys.key_file = d->key_file;
	started = deadline_start(&dl, d->cfg, now);
	rc = job_run(d->cfg, &keys, now, read_data, &report,
	    &cause);
	fired = deadline_stop(&dl, started);
	end = daemon_now(d);
	if (report.read_data)
		st->last_read_data = now;
	daemon_write_metrics(d->cfg, &report, end, fired);
	if (rc == EXIT_OK)
		log_notice("job done in %lld s: set %s", (long long)(end - now),
		    report.backup.set_id);
	else {
		log_error("job failed: %s", cause != NULL ? cause :
		    "(no reason given)");
		if (d->cfg->on_failure != NULL)
			daemon_on_failure(d->cfg, rc, cause != NULL ? cause :
			    "job failed");
	}
	free(cause);
	close(fd);
	return rc;
}

/* Sleep until `until` (daemon time) or a signal, at most a minute. */
static void
daemon_sleep(struct daemon *d, time_t until)
{
	struct timespec	ts;
	sigset_t	block, old;
	time_t		left = until - daemon_now(d);

	if (left <= 0)
		return;
	ts.tv_sec = left < DAEMON_IDLE_MAX ? left : DAEMON_IDLE_MAX;
	ts.tv_nsec = 0;
	/* No signal may slip in between the check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!interrupt_received() && !interrupt_reload_pending())
		ppoll(NULL, 0, &ts, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The loop: wait for the next slot, run, repeat. */
static int
daemon_loop(struct daemon *d)
{
	struct state	 st;
	char		*cause = NULL, when[64];
	time_t		 now, due, slot, next, announced = 0;

	if (state_load(d->cfg->state_dir, &st, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return EXIT_FAILURE_;
	}
	if (st.last_slot == 0) {
		/* A first start: the schedule counts from now. */
		st.last_slot = daemon_now(d);
		if (state_save(d->cfg->state_dir, &st, &cause) != 0)
			goto fail;
	}
	for (;;) {
		if (interrupt_received()) {
			log_notice("stopped by %s", interrupt_name());
			return EXIT_OK;
		}
		if (interrupt_reload_requested())
			daemon_reload(d);
		now = daemon_now(d);
		if ((due = calendar_next(d->cal, st.last_slot)) == -1) {
			error_set(&cause, "the schedule %s never fires",
			    calendar_text(d->cal));
			goto fail;
		}
		if (due > now) {
			if (due != announced) {
				daemon_format_local(due, when, sizeof when);
				log_notice("next job at %s", when);
				announced = due;
			}
			daemon_sleep(d, due);
			continue;
		}
		/* Every slot up to now is this one job: no catching up. */
		slot = due;
		while ((next = calendar_next(d->cal, slot)) != -1 &&
		    next <= now)
			slot = next;
		if (now - due > DAEMON_IDLE_MAX) {
			daemon_format_local(due, when, sizeof when);
			log_notice("the job due at %s was missed (the machine "
			    "or the daemon was down): running it now", when);
		}
		/* A failed job is logged and reported; the daemon goes on. */
		daemon_job(d, &st);
		st.last_slot = slot;
		if (state_save(d->cfg->state_dir, &st, &cause) != 0)
			goto fail;
		if (interrupt_received()) {
			log_notice("stopped by %s during the job",
			    interrupt_name());
			return interrupt_exit_code();
		}
	}
fail:
	log_error("%s", cause);
	free(cause);
	return EXIT_FAILURE_;
}

static int
daemon_check_config(struct daemon *d)
{
	char	*text, when[64];
	time_t	 next;

	text = config_describe(d->cfg);
	fputs(text, stdout);
	free(text);
	if ((next = calendar_next(d->cal, daemon_now(d))) != -1) {
		daemon_format_local(next, when, sizeof when);
		printf("# next run: %s\n", when);
	}
	printf("# key: %s\n", d->keys.have_secret ? "a secret key pair: "
	    "the nightly job uses its public part only; keeping the secret "
	    "key offline and giving it to recover-from-backup with "
	    "--key-file is the safer choice" : "a public key: the secret "
	    "key is kept elsewhere (recover-from-backup --key-file)");
	return EXIT_OK;
}

int
daemon_main(const struct daemon_options *o)
{
	struct daemon		 d;
	struct daemon_config	 dc;
	struct state		 st;
	char			*cause = NULL, *env;
	int			 rc = EXIT_FAILURE_;

	memset(&d, 0, sizeof d);
	memset(&dc, 0, sizeof dc);
	d.opts = o;
	d.lock_fd = -1;
	if ((env = getenv("TRESOR_NOW")) != NULL && *env != '\0') {
		if (clock_now(&d.fake_base, &cause) != 0) {
			rc = EXIT_USAGE;
			goto fail;
		}
		d.fake_clock = 1;
		clock_gettime(CLOCK_MONOTONIC, &d.mono_base);
	}
	if (daemon_config_load(o->config, &dc, &cause) != 0) {
		rc = EXIT_USAGE;
		goto fail;
	}
	if (o->check_config) {
		d.cfg = dc.cfg;
		d.cal = dc.cal;
		d.keys = dc.keys;
		memset(&dc, 0, sizeof dc);
		daemon_warn_default_url(d.cfg);
		rc = daemon_check_config(&d);
		goto out;
	}
	if (daemon_config_use(&d, &dc, &cause) != 0)
		goto fail;
	progress_set_log_interval(DAEMON_PROGRESS_INTERVAL);
	if (o->once) {
		if (state_load(d.cfg->state_dir, &st, &cause) != 0)
			goto fail;
		rc = daemon_job(&d, &st);
		/*
		 * Unsaved, the next start would run this night's job again:
		 * a failure, even after a good job (found by faults.sh).
		 */
		if (state_save(d.cfg->state_dir, &st, &cause) != 0) {
			rc = EXIT_FAILURE_;
			goto fail;
		}
		goto out;
	}
	if (daemon_lock(d.cfg->state_dir, "backupd.lock", &d.lock_fd,
	    &cause) != 0)
		goto fail;
	if (!o->foreground && daemon(0, 1) != 0) {
		error_sys(&cause, "unable to go into the background");
		goto fail;
	}
	rc = daemon_loop(&d);
	goto out;
fail:
	log_error("%s", cause);
	free(cause);
out:
	daemon_config_clear(&dc);
	if (d.lock_fd != -1)
		close(d.lock_fd);
	config_free(d.cfg);
	calendar_free(d.cal);
	free(d.keys.public_armor);
	free(d.key_file);
	free(d.sign_file);
	free(d.sign_fpr);
	return rc;
}
