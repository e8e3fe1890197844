/* cmd-restore-db.c: tresor restore-db. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "restore/restoredb.h"

enum { OPT_DBNAME = OPT_FIRST_VERB_OPTION, OPT_LOCALE, OPT_OWNER,
    OPT_DUMP_PATH, OPT_ORIGINAL };

static int
cmd_restore_db_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		CLI_POINT_OPTIONS,
		CLI_PG_OPTIONS,
		{ "dbname", required_argument, NULL, OPT_DBNAME },
		{ "locale", required_argument, NULL, OPT_LOCALE },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "pg-dump-path", required_argument, NULL, OPT_DUMP_PATH },
		{ "pg-database", required_argument, NULL, OPT_ORIGINAL },
		{ NULL, 0, NULL, 0 }
	};
	struct restore_options		 o = { 0 };
	struct restoredb_options	 dbo = { 0 };
	char				*url = NULL, *cause = NULL;
	int				 opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_restore_db, opt, optarg, &o.crypto,
		    &o.quiet) || cli_pg_option(opt, optarg, &dbo.pg))
			continue;
		if (cli_transport_option(&cmd_restore_db, opt, optarg, &o.transport,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		if (cli_point_option(&cmd_restore_db, opt, optarg, &o, &url,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_DBNAME:
			dbo.dbname = optarg;
			break;
		case OPT_LOCALE:
			dbo.locale = optarg;
			break;
		case OPT_OWNER:
			dbo.owner = optarg;
			break;
		case OPT_DUMP_PATH:
			dbo.dump_path = optarg;
			break;
		case OPT_ORIGINAL:
			dbo.dump_dbname = optarg;
			break;
		default:
			rc = cli_usage_error(&cmd_restore_db, "unknown option "
			    "'%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (o.url == NULL) {
		rc = cli_usage_error(&cmd_restore_db, "--from URL is required");
		goto out;
	}
	if (dbo.dbname == NULL) {
		rc = cli_usage_error(&cmd_restore_db, "--dbname NAME (the new "
		    "database) is required");
		goto out;
	}
	if (optind != argc) {
		rc = cli_usage_error(&cmd_restore_db, "unexpected argument "
		    "'%s'", argv[optind]);
		goto out;
	}
	rc = restoredb_run(&o, &dbo, &cause);
	rc = cli_finish(rc, cause);
out:
	free(url);
	return rc;
}

const struct cmd cmd_restore_db = {
	.name = "restore-db",
	.summary = "restore a database dump into a new PostgreSQL database",
	.usage =
	"usage: tresor restore-db --from URL [KEY OPTIONS] [--time T | --set ID]\n"
	"                         --dbname NAME [--locale L] [--owner ROLE]\n"
	"                         [PG OPTIONS] [--pg-database ORIGINAL |\n"
	"                         --pg-dump-path PATH]\n"
	"\n"
	"Create database NAME from template0 (UTF8, with locale L if given,\n"
	"owned by ROLE if given) and stream the dump from the backup into\n"
	"pg_restore --exit-on-error, with no dump file on disk. NAME must not\n"
	"exist. If anything fails the new database is dropped again, so NAME\n"
	"exists afterwards only as a complete restore (a signal drops it too).\n"
	"Until it is complete it carries the comment 'tresor restore-db in\n"
	"progress: host H pid N': if that run was killed (SIGKILL), the next\n"
	"restore-db of NAME on host H drops it with a warning; elsewhere it\n"
	"refuses, naming the run. The dump is the one of\n"
	"--pg-database ORIGINAL, the one at --pg-dump-path, or the only one\n"
	"under ecs-pgdump/.\n"
	"\n"
	CLI_POINT_HELP
	"  --dbname NAME           the database to create\n"
	"  --locale L              its locale, e.g. de_DE.utf8 (must exist on\n"
	"                          the server's host)\n"
	"  --owner ROLE            its owner\n"
	"  --pg-database ORIGINAL  restore ecs-pgdump/ORIGINAL.pgdump\n"
	"  --pg-dump-path PATH     restore this stored path\n"
	CLI_PG_HELP
	CLI_TRANSPORT_HELP
	CLI_KEY_HELP,
	.exec = cmd_restore_db_exec,
};
