/* cmd-backup.c: tresor backup. */
#include <stdlib.h>

#include "backup/backup.h"
#include "cli/cli.h"
#include "common/error.h"
#include "repo/lock.h"

#define B struct backup_options
static const struct cli_opt cmd_backup_opts[] = {
	CLI_KEYED_OPTS(B, ),
	CLI_LOCK_OPTS(B, lock, cache_dir),
	CLI_SIGN_OPTS(B, seals),
	CLI_PG_OPTS(B, pg.pg),
	CLI_OPT_REQUIRED("to", CLI_URL, CLI_AT(B, url), "--to URL is required"),
	CLI_OPT_RANGE("volsize", CLI_MIB, CLI_AT(B, volsize), 1, 4096),
	CLI_OPT_RANGE("compress-level", CLI_INT, CLI_AT(B, level), 1, 19),
	CLI_OPT("full", CLI_FLAG, CLI_AT(B, force_full)),
	CLI_OPT("full-if-older-than", CLI_INTERVAL,
	    CLI_AT(B, full_if_older_than)),
	CLI_OPT("delta-min-size", CLI_BYTES, CLI_AT(B, delta_min)),
	CLI_OPT("pg-database", CLI_STRING, CLI_AT(B, pg.dbname)),
	CLI_OPT("pg-dump-path", CLI_STRING, CLI_AT(B, pg.path)),
	CLI_OPT_PAIR("require-nonempty", CLI_LIST, CLI_AT(B, require_nonempty),
	    CLI_AT(B, nrequire_nonempty)),
	CLI_OPTS_END
};
#undef B

static void
cmd_backup_defaults(void *arg)
{
	struct backup_options	*o = arg;

	o->volsize = BACKUP_DEFAULT_VOLSIZE;
	o->level = BACKUP_DEFAULT_LEVEL;
	o->full_if_older_than = BACKUP_DEFAULT_FULL_AGE;
	o->delta_min = BACKUP_DEFAULT_DELTA_MIN;
	o->cache_dir = cli_default_cache_dir();
	o->lock.stale_after = LOCK_DEFAULT_STALE;
}

static int
cmd_backup_run(void *arg, char **cause)
{
	struct backup_options	*o = arg;

	if (o->nsources == 0 && o->pg.dbname == NULL)
		return cli_usage_error(&cmd_backup, "no SOURCE or "
		    "--pg-database given");
	if (o->pg.path != NULL && o->pg.dbname == NULL)
		return cli_usage_error(&cmd_backup, "--pg-dump-path needs "
		    "--pg-database");
	return backup_run(o, cause);
}

const struct cmd cmd_backup = {
	.name = "backup",
	.summary = "back up directories or files to a target URL",
	.usage =
	"usage: tresor backup --to URL --sign-key FILE [KEY OPTIONS]\n"
	"                     [--volsize MIB]\n"
	"                     [--pg-database NAME [PG OPTIONS]] SOURCE...\n"
	"\n"
	"Back up each SOURCE (stored under its last path component) and the\n"
	"database, if one is named, as a new encrypted set in URL (see Target\n"
	"URLs below). Volumes are written and checked first, the manifest\n"
	"last: a set exists only once it is complete. Its seal, signed with\n"
	"--sign-key, follows the manifest and chains it to the sets before.\n"
	"The set is incremental if URL holds a chain whose full set is younger\n"
	"than --full-if-older-than: unchanged files cost a stat, changed ones a\n"
	"librsync delta, new ones are stored whole.\n"
	"\n"
	"  --to URL                target, e.g. file:///srv/backup or\n"
	"                          sftp://backup@host//srv/backup\n"
	"  --full                  make a full set whatever the chain\n"
	"  --full-if-older-than T  start a new chain when its full is older\n"
	"                          than T (s m h D W M Y; default 2M)\n"
	"  --volsize MIB           target size of a volume (default 64)\n"
	"  --compress-level N      zstd level 1-19 (default 1)\n"
	"  --delta-min-size N      smallest file (bytes, K, M, G) that gets a\n"
	"                          signature and so a delta when it changes;\n"
	"                          smaller ones are stored whole (default 16M)\n"
	"  --require-nonempty DIR  refuse to start if DIR is empty (repeatable)\n"
	"  --pg-database NAME      also back up this PostgreSQL database: pg_dump\n"
	"                          --format=custom streamed into the set, with no\n"
	"                          dump file on disk; a delta after the first\n"
	"  --pg-dump-path PATH     stored path of the dump (default\n"
	"                          ecs-pgdump/NAME.pgdump)\n"
	CLI_PG_HELP
	CLI_LOCK_HELP
	CLI_SIGN_HELP
	CLI_KEY_HELP
	"\n"
	CLI_URL_HELP
	"\n"
	CLI_TRANSPORT_HELP
	"\n"
	"exit: 0 done, 1 failed (nothing published), 2 usage, 3 done but some\n"
	"entries could not be read and are missing from the set\n",
	.opts = cmd_backup_opts,
	.size = sizeof (struct backup_options),
	.max_operands = -1,
	.operands_at = CLI_AT(struct backup_options, sources),
	.noperands_at = CLI_AT(struct backup_options, nsources),
	.defaults = cmd_backup_defaults,
	.run = cmd_backup_run,
};
