/*
 * job.c: one nightly job (see job.h). The steps are the engine's own
 * runs (cleanup, backup, purge, verify) called as a library, quiet, each
 * summarised in one log line here; the daemon turns the report into
 * metrics.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "backup/backup.h"
#include "backup/purge.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "repo/catalog.h"
#include "repo/lock.h"
#include "repo/target.h"
#include "restore/verify.h"
#include "config.h"
#include "job.h"
#include "mount.h"
#include "state.h"

/* nftw's callback has no argument: the sum it adds to. */
static uint64_t	job_du_total;

static int
job_du_entry(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	job_du_total += (uint64_t)sb->st_blocks * 512;
	return 0;
}

/*
 * The cache needs room for what it holds (a new chain writes as much
 * again before the old is pruned) plus a margin.
 */
static int
job_check_cache_space(const char *dir, uint64_t min_free, char **cause)
{
	struct statvfs	sv;
	uint64_t	avail, need;

	if (state_make_dir(dir, cause) != 0)
		return -1;
	if (statvfs(dir, &sv) != 0)
		return error_sys(cause, "unable to check free space in the "
		    "cache directory '%s'", dir);
	job_du_total = 0;
	nftw(dir, job_du_entry, 16, FTW_PHYS);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	need = job_du_total + min_free;
	if (avail < need)
		return error_set(cause, "the cache directory '%s' has %" PRIu64
		    " MiB free, the cache needs %" PRIu64 " MiB (it holds %"
		    PRIu64 " MiB)", dir, avail >> 20, need >> 20,
		    job_du_total >> 20);
	return 0;
}

/* Complete sets on the target and the start of the newest chain. */
static int
job_target_info(const struct config *cfg, uint64_t *sets, time_t *chain_start,
    char **cause)
{
	struct transport_options o;
	struct transport	*t;
	struct catalog		 cat;
	const struct catalog_set *latest;
	ssize_t			 start;
	size_t			 i;
	int			 rc = -1;

	memset(&cat, 0, sizeof cat);
	*sets = 0;
	*chain_start = 0;
	config_transport(cfg, &o);
	if ((t = target_open(cfg->url, &o, cause)) == NULL)
		goto out;
	if (catalog_load(t, &cat, cause) != 0)
		goto out;
	for (i = 0; i < cat.nsets; i++)
		*sets += cat.sets[i].has_manifest;
	if ((latest = catalog_latest(&cat)) != NULL) {
		start = catalog_chain_start(&cat, (size_t)(latest - cat.sets));
		if (start >= 0)
			*chain_start = cat.sets[start].time;
	}
	rc = 0;
out:
	catalog_clear(&cat);
	target_close(t);
	return rc;
}

static void
job_backup_options(const struct config *cfg, const struct job_keys *keys,
    struct backup_options *bo, struct backup_result *result)
{
	memset(bo, 0, sizeof *bo);
	bo->url = cfg->url;
	config_transport(cfg, &bo->transport);
	bo->crypto.key_file = keys->key_file;
	bo->sources = cfg->sources;
	bo->nsources = cfg->nsources;
	bo->volsize = cfg->volsize != 0 ? cfg->volsize :
	    BACKUP_DEFAULT_VOLSIZE;
	bo->level = BACKUP_DEFAULT_LEVEL;
	bo->quiet = 1;
	bo->full_if_older_than = cfg->full_every;
	bo->delta_min = BACKUP_DEFAULT_DELTA_MIN;
	bo->cache_dir = cfg->cache_dir;
	bo->lock.stale_after = LOCK_DEFAULT_STALE;
	bo->pg.dbname = cfg->database.name;
	bo->pg.pg.host = cfg->database.host;
	bo->pg.pg.port = cfg->database.port;
	bo->pg.pg.user = cfg->database.user;
	/* An empty vault means a missing mount, never "nothing to do". */
	bo->require_nonempty = cfg->sources;
	bo->nrequire_nonempty = cfg->nsources;
	bo->one_file_system = cfg->one_file_system;
	bo->full_if_cache_lost = 1;
	bo->result = result;
	bo->seals.sign_key = keys->sign_key_file;
	bo->seals.sign_key_data = keys->sign_key_data;
	bo->seals.sign_key_len = keys->sign_key_len;
}

static void
job_purge_options(const struct config *cfg, const struct job_keys *keys,
    struct purge_options *po)
{
	memset(po, 0, sizeof *po);
	po->url = cfg->url;
	config_transport(cfg, &po->transport);
	po->older_than = cfg->keep;
	po->force = 1;
	po->quiet = 1;
	po->cache_dir = cfg->cache_dir;
	po->lock.stale_after = LOCK_DEFAULT_STALE;
	po->seals.sign_key = keys->sign_key_file;
	po->seals.sign_key_data = keys->sign_key_data;
	po->seals.sign_key_len = keys->sign_key_len;
}

/* A step's failure: its exit code, its line prefixed with the step. */
static int
job_failed(int rc, const char *step, char **cause)
{
	if (interrupt_received())
		return interrupt_exit_code();
	error_prefix(cause, "%s", step);
	return rc == EXIT_OK ? EXIT_FAILURE_ : rc;
}

static int
job_steps(const struct config *cfg, const struct job_keys *keys,
    int read_data, struct job_report *r, char **cause)
{
	struct backup_options	 bo;
	struct purge_options	 po;
	struct verify_options	 vo;
	int			 rc, warnings = 0;

	/* Preflight: nothing is touched before everything answers. */
	if (job_check_cache_space(cfg->cache_dir, cfg->cache_min_free,
	    cause) != 0)
		return job_failed(EXIT_FAILURE_, "preflight", cause);
	job_backup_options(cfg, keys, &bo, &r->backup);
	if ((rc = backup_check(&bo, cause)) != EXIT_OK)
		return job_failed(rc, "preflight", cause);
	if (job_target_info(cfg, &r->sets, &r->chain_start, cause) != 0)
		return job_failed(EXIT_FAILURE_, "preflight", cause);

	job_purge_options(cfg, keys, &po);
	if ((rc = cleanup_run(&po, cause)) != EXIT_OK)
		return job_failed(rc, "cleanup", cause);

	rc = backup_run(&bo, cause);
	if (rc != EXIT_OK && rc != EXIT_WARNINGS)
		return job_failed(rc, "backup", cause);
	log_notice("backup: %s set %s: %" PRIu64 " entries, %" PRIu64
	    " bytes read, %" PRIu64 " volumes, %" PRIu64 " bytes stored, "
	    "%.1f s", r->backup.full ? "full" : "incremental",
	    r->backup.set_id, r->backup.entries, r->backup.bytes_read,
	    r->backup.volumes, r->backup.stored, r->backup.seconds);
	if (rc == EXIT_WARNINGS) {
		/* The set is complete but short: say so, go on. */
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
		warnings = 1;
	}

	if ((rc = purge_run(&po, cause)) != EXIT_OK)
		return job_failed(rc, "purge", cause);

	memset(&vo, 0, sizeof vo);
	vo.url = cfg->url;
	config_transport(cfg, &vo.transport);
	vo.set = r->backup.set_id;
	vo.quiet = 1;
	vo.cache_dir = cfg->cache_dir;
	/* The chain against this host's head; its keys are in the cache. */
	vo.seals.cache_dir = cfg->cache_dir;
	if (read_data && keys->have_secret) {
		vo.read_data = 1;
		vo.crypto.key_data = cfg->encrypt;
		vo.crypto.key_data_len = strlen(cfg->encrypt);
	}
	if ((rc = verify_run(&vo, cause)) != EXIT_OK)
		return job_failed(rc, "verify", cause);
	r->read_data = vo.read_data;
	log_notice("verify: set %s: volumes %s", r->backup.set_id,
	    vo.read_data ? "and every file's data ok" : "ok (sizes and "
	    "SHA-256)");

	if (job_target_info(cfg, &r->sets, &r->chain_start, cause) != 0)
		return job_failed(EXIT_FAILURE_, "after the backup", cause);
	return warnings ? EXIT_WARNINGS : EXIT_OK;
}

int
job_run(const struct config *cfg, const struct job_keys *keys, time_t now,
    int read_data, struct job_report *r, char **cause)
{
	struct mount_plan	 mp;
	char			*why = NULL;
	int			 mounted = 0;

	memset(r, 0, sizeof *r);
	memset(&mp, 0, sizeof mp);
	r->start = now;
	if (cfg->mount.type != NULL) {
		if (mount_plan(&cfg->mount, &mp, cause) != 0 ||
		    mount_run(&mp, 1, cause) != 0) {
			r->rc = EXIT_FAILURE_;
			error_prefix(cause, "preflight");
			goto out;
		}
		mounted = 1;
	}
	r->rc = job_steps(cfg, keys, read_data, r, cause);
out:
	if (mounted && mount_run(&mp, 0, &why) != 0) {
		/* Worth a line of its own; the job's result stands. */
		log_warn("%s", why);
		free(why);
	}
	mount_plan_clear(&mp);
	return r->rc;
}
