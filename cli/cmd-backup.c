/* cmd-backup.c: tresor backup. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "backup/backup.h"
#include "repo/lock.h"
#include "cli.h"
#include "common/error.h"
#include "common/xmalloc.h"

enum { OPT_TO = OPT_FIRST_VERB_OPTION, OPT_VOLSIZE, OPT_LEVEL, OPT_FULL,
    OPT_FULL_AGE, OPT_CACHE_DIR, OPT_DELTA_MIN, OPT_PG_DATABASE, OPT_PG_DUMP_PATH, OPT_REQUIRE_NONEMPTY };

static int
cmd_backup_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		{ "to", required_argument, NULL, OPT_TO },
		{ "volsize", required_argument, NULL, OPT_VOLSIZE },
		{ "compress-level", required_argument, NULL, OPT_LEVEL },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "full-if-older-than", required_argument, NULL, OPT_FULL_AGE },
		{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
		CLI_LOCK_OPTIONS,
		{ "delta-min-size", required_argument, NULL, OPT_DELTA_MIN },
		{ "pg-database", required_argument, NULL, OPT_PG_DATABASE },
		{ "pg-dump-path", required_argument, NULL, OPT_PG_DUMP_PATH },
		{ "require-nonempty", required_argument, NULL,
		    OPT_REQUIRE_NONEMPTY },
		CLI_PG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct backup_options	 o = { 0 };
	char			*url = NULL, *cause = NULL, *end, **nonempty;
	unsigned long long	 v;
	int			 shift;
	int			 opt, rc;

	o.volsize = BACKUP_DEFAULT_VOLSIZE;
	o.level = BACKUP_DEFAULT_LEVEL;
	o.full_if_older_than = BACKUP_DEFAULT_FULL_AGE;
	o.delta_min = BACKUP_DEFAULT_DELTA_MIN;
	o.cache_dir = cli_default_cache_dir();
	o.lock.stale_after = LOCK_DEFAULT_STALE;
	nonempty = xcalloc((size_t)argc, sizeof *nonempty);
	o.require_nonempty = nonempty;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_backup, opt, optarg, &o.crypto,
		    &o.quiet) || cli_pg_option(opt, optarg, &o.pg.pg))
			continue;
		if (cli_transport_option(&cmd_backup, opt, optarg, &o.transport,
		    &rc) || cli_lock_option(&cmd_backup, opt, optarg, &o.lock,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_TO:
			free(url);
			o.url = url = cli_target_url(optarg);
			break;
		case OPT_VOLSIZE:
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 4096) {
				rc = cli_usage_error(&cmd_backup, "--volsize "
				    "takes MiB from 1 to 4096, not '%s'", optarg);
				goto out;
			}
			o.volsize = v * 1024 * 1024;
			break;
		case OPT_LEVEL:
			v = strtoull(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 19) {
				rc = cli_usage_error(&cmd_backup,
				    "--compress-level takes 1 to 19, not '%s'",
				    optarg);
				goto out;
			}
			o.level = (int)v;
			break;
		case OPT_FULL:
			o.force_full = 1;
			break;
		case OPT_FULL_AGE:
			if (cli_interval(&cmd_backup, "--full-if-older-than",
			    optarg, &o.full_if_older_than) != 0) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_CACHE_DIR:
			o.cache_dir = optarg;
			break;
		case OPT_DELTA_MIN:
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*end == 'K' || *end == 'M' || *end == 'G') {
				shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
				if (v > (ULLONG_MAX >> shift))
					errno = ERANGE;
				v <<= shift;
				end++;
			}
			if (errno != 0 || *end != '\0' || end == optarg) {
				rc = cli_usage_error(&cmd_backup,
				    "--delta-min-size takes bytes, K, M or G, "
				    "not '%s'", optarg);
				goto out;
			}
			o.delta_min = v;
			break;
		case OPT_PG_DATABASE:
			o.pg.dbname = optarg;
			break;
		case OPT_PG_DUMP_PATH:
			o.pg.path = optarg;
			break;
		case OPT_REQUIRE_NONEMPTY:
			nonempty[o.nrequire_nonempty++] = optarg;
			break;
		default:
			rc = cli_usage_error(&cmd_backup, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (o.url == NULL) {
		rc = cli_usage_error(&cmd_backup, "--to URL is required");
		goto out;
	}
	if (optind >= argc && o.pg.dbname == NULL) {
		rc = cli_usage_error(&cmd_backup, "no SOURCE or --pg-database "
		    "given");
		goto out;
	}
	if (o.pg.path != NULL && o.pg.dbname == NULL) {
		rc = cli_usage_error(&cmd_backup, "--pg-dump-path needs "
		    "--pg-database");
		goto out;
	}
	o.sources = argv + optind;
	o.nsources = (size_t)(argc - optind);
	rc = backup_run(&o, &cause);
	rc = cli_finish(rc, cause);
out:
	free(nonempty);
	free(url);
	return rc;
}

const struct cmd cmd_backup = {
	.name = "backup",
	.summary = "back up directories or files to a target URL",
	.usage =
	"usage: tresor backup --to URL [KEY OPTIONS] [--volsize MIB]\n"
	"                     [--pg-database NAME [PG OPTIONS]] SOURCE...\n"
	"\n"
	"Back up each SOURCE (stored under its last path component) and the\n"
	"database, if one is named, as a new encrypted set in URL (see Target\n"
	"URLs below). Volumes are written and checked first, the manifest\n"
	"last: a set exists only once it is complete.\n"
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
	CLI_KEY_HELP
	"\n"
	CLI_URL_HELP
	"\n"
	CLI_TRANSPORT_HELP
	"\n"
	"exit: 0 done, 1 failed (nothing published), 2 usage, 3 done but some\n"
	"entries could not be read and are missing from the set\n",
	.exec = cmd_backup_exec,
};
