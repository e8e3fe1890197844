/* cmd-restore.c: tresor restore. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/timespec.h"
#include "restore/restore.h"

enum { OPT_FROM = OPT_FIRST_VERB_OPTION, OPT_TO, OPT_SET, OPT_FORCE, OPT_TIME };

static int
cmd_restore_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "set", required_argument, NULL, OPT_SET },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "time", required_argument, NULL, OPT_TIME },
		{ NULL, 0, NULL, 0 }
	};
	struct restore_options	 o = { 0 };
	char			*cause = NULL;
	time_t			 now;
	int			 opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_restore, opt, optarg, &o.crypto,
		    &o.quiet))
			continue;
		switch (opt) {
		case OPT_FROM:
			o.url = optarg;
			break;
		case OPT_TO:
			o.dest = optarg;
			break;
		case OPT_SET:
			o.set = optarg;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		case OPT_TIME:
			if (clock_now(&now, &cause) != 0 ||
			    timespec_parse(optarg, now, &o.time, &cause) != 0) {
				rc = cli_usage_error(&cmd_restore, "--time: %s",
				    cause);
				free(cause);
				return rc;
			}
			o.has_time = 1;
			break;
		default:
			return cli_usage_error(&cmd_restore, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (o.url == NULL)
		return cli_usage_error(&cmd_restore, "--from URL is required");
	if (o.dest == NULL)
		return cli_usage_error(&cmd_restore, "--to DIR is required");
	o.paths = argv + optind;
	o.npaths = (size_t)(argc - optind);
	rc = restore_run(&o, &cause);
	return cli_finish(rc, cause);
}

const struct cmd cmd_restore = {
	.name = "restore",
	.summary = "restore a set, or selected paths, into a directory",
	.usage =
	"usage: tresor restore --from URL --to DIR [KEY OPTIONS] [--time T |\n"
	"                      --set ID] [--force] [PATH...]\n"
	"\n"
	"Restore the state of the newest complete set, or of the newest one at\n"
	"or before --time T (2M, 2026-11-01, 2026-11-01T00:30:00Z, ...), or\n"
	"--set ID (see tresor status) into DIR. Files deleted by then stay\n"
	"deleted. PATHs are stored paths such as ecs-storage-vault/ab/cd: only\n"
	"they (and what they contain) are restored, and only the volumes that\n"
	"hold them are fetched. Every file is checked against its SHA-256\n"
	"before it appears under its name.\n"
	"\n"
	"  --from URL              the target the backup was written to\n"
	"  --to DIR                where to restore (created if missing)\n"
	"  --time T                the state as of T (duplicity time syntax)\n"
	"  --set ID                a set id instead of the newest\n"
	"  --force                 overwrite files that exist in DIR\n"
	CLI_KEY_HELP,
	.exec = cmd_restore_exec,
};
