/* cmd-backup.c: tresor backup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "backupd/backup.h"
#include "backupd/lock.h"
#include "cli.h"
#include "common/error.h"

enum { OPT_TO = OPT_FIRST_VERB_OPTION, OPT_VOLSIZE, OPT_LEVEL, OPT_FULL,
    OPT_FULL_AGE, OPT_CACHE_DIR, OPT_BREAK_LOCK, OPT_LOCK_STALE };

static int
cmd_backup_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "to", required_argument, NULL, OPT_TO },
		{ "volsize", required_argument, NULL, OPT_VOLSIZE },
		{ "compress-level", required_argument, NULL, OPT_LEVEL },
		{ "full", no_argument, NULL, OPT_FULL },
		{ "full-if-older-than", required_argument, NULL, OPT_FULL_AGE },
		{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
		{ "break-lock", no_argument, NULL, OPT_BREAK_LOCK },
		{ "lock-stale-after", required_argument, NULL, OPT_LOCK_STALE },
		{ NULL, 0, NULL, 0 }
	};
	struct backup_options	 o = { 0 };
	char			*cause = NULL, *end;
	unsigned long long	 v;
	int			 opt, rc;

	o.volsize = BACKUP_DEFAULT_VOLSIZE;
	o.level = BACKUP_DEFAULT_LEVEL;
	o.full_if_older_than = BACKUP_DEFAULT_FULL_AGE;
	o.cache_dir = cli_default_cache_dir();
	o.lock_stale_after = LOCK_DEFAULT_STALE;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_backup, opt, optarg, &o.crypto,
		    &o.quiet))
			continue;
		switch (opt) {
		case OPT_TO:
			o.url = optarg;
			break;
		case OPT_VOLSIZE:
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 4096)
				return cli_usage_error(&cmd_backup, "--volsize "
				    "takes MiB from 1 to 4096, not '%s'", optarg);
			o.volsize = v * 1024 * 1024;
			break;
		case OPT_LEVEL:
			v = strtoull(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 19)
				return cli_usage_error(&cmd_backup,
				    "--compress-level takes 1 to 19, not '%s'",
				    optarg);
			o.level = (int)v;
			break;
		case OPT_FULL:
			o.force_full = 1;
			break;
		case OPT_FULL_AGE:
			if (cli_interval(&cmd_backup, "--full-if-older-than",
			    optarg, &o.full_if_older_than) != 0)
				return EXIT_USAGE;
			break;
		case OPT_CACHE_DIR:
			o.cache_dir = optarg;
			break;
		case OPT_BREAK_LOCK:
			o.break_lock = 1;
			break;
		case OPT_LOCK_STALE:
			if (cli_interval(&cmd_backup, "--lock-stale-after",
			    optarg, &o.lock_stale_after) != 0)
				return EXIT_USAGE;
			break;
		default:
			return cli_usage_error(&cmd_backup, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (o.url == NULL)
		return cli_usage_error(&cmd_backup, "--to URL is required");
	if (optind >= argc)
		return cli_usage_error(&cmd_backup, "no SOURCE given");
	o.sources = argv + optind;
	o.nsources = (size_t)(argc - optind);
	rc = backup_run(&o, &cause);
	return cli_finish(rc, cause);
}

const struct cmd cmd_backup = {
	.name = "backup",
	.summary = "back up directories or files to a target URL",
	.usage =
	"usage: tresor backup --to URL [KEY OPTIONS] [--volsize MIB] SOURCE...\n"
	"\n"
	"Back up each SOURCE (stored under its last path component) as a new\n"
	"encrypted set in URL (file:///path). Volumes are written and checked\n"
	"first, the manifest last: a set exists only once it is complete.\n"
	"The set is incremental if URL holds a chain whose full set is younger\n"
	"than --full-if-older-than: unchanged files cost a stat, changed ones a\n"
	"librsync delta, new ones are stored whole.\n"
	"\n"
	"  --to URL                target, e.g. file:///srv/backup\n"
	"  --full                  make a full set whatever the chain\n"
	"  --full-if-older-than T  start a new chain when its full is older\n"
	"                          than T (s m h D W M Y; default 2M)\n"
	"  --volsize MIB           target size of a volume (default 64)\n"
	"  --compress-level N      zstd level 1-19 (default 3)\n"
	CLI_LOCK_HELP
	CLI_KEY_HELP
	"\n"
	"exit: 0 done, 1 failed (nothing published), 2 usage, 3 done but some\n"
	"entries could not be read and are missing from the set\n",
	.exec = cmd_backup_exec,
};
