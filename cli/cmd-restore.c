/* cmd-restore.c: tresor restore. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "restore/restore.h"

enum { OPT_TO = OPT_FIRST_VERB_OPTION, OPT_FORCE };

static int
cmd_restore_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		CLI_POINT_OPTIONS,
		{ "to", required_argument, NULL, OPT_TO },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 }
	};
	struct restore_options	 o = { 0 };
	char			*url = NULL, *cause = NULL;
	int			 opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_restore, opt, optarg, &o.crypto,
		    &o.quiet))
			continue;
		if (cli_transport_option(&cmd_restore, opt, optarg, &o.transport,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		if (cli_point_option(&cmd_restore, opt, optarg, &o, &url,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_TO:
			o.dest = optarg;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		default:
			rc = cli_usage_error(&cmd_restore, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (o.url == NULL) {
		rc = cli_usage_error(&cmd_restore, "--from URL is required");
		goto out;
	}
	if (o.dest == NULL) {
		rc = cli_usage_error(&cmd_restore, "--to DIR is required");
		goto out;
	}
	o.paths = argv + optind;
	o.npaths = (size_t)(argc - optind);
	rc = restore_run(&o, &cause);
	rc = cli_finish(rc, cause);
out:
	free(url);
	return rc;
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
	CLI_POINT_HELP
	"  --to DIR                where to restore (created if missing)\n"
	"  --force                 overwrite files that exist in DIR\n"
	CLI_TRANSPORT_HELP
	CLI_KEY_HELP,
	.exec = cmd_restore_exec,
};
