/* cmd-restore-db.c: tresor restore-db. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "restore/restoredb.h"

/* restore-db fills two structs: which set (r), and the database (db). */
struct cmd_restore_db_args {
	struct restore_options		r;
	struct restoredb_options	db;
};

#define A struct cmd_restore_db_args
static const struct cli_opt cmd_restore_db_opts[] = {
	CLI_KEYED_OPTS(A, r.),
	CLI_CHECK_OPTS(A, r.seals),
	CLI_POINT_OPTS(A, r.),
	CLI_PG_OPTS(A, db.pg),
	CLI_OPT_REQUIRED("dbname", CLI_STRING, CLI_AT(A, db.dbname),
	    "--dbname NAME (the new database) is required"),
	CLI_OPT("locale", CLI_STRING, CLI_AT(A, db.locale)),
	CLI_OPT("owner", CLI_STRING, CLI_AT(A, db.owner)),
	CLI_OPT("pg-dump-path", CLI_STRING, CLI_AT(A, db.dump_path)),
	CLI_OPT("pg-database", CLI_STRING, CLI_AT(A, db.dump_dbname)),
	CLI_OPTS_END
};
#undef A

static int
cmd_restore_db_run(void *arg, char **cause)
{
	struct cmd_restore_db_args	*a = arg;

	return restoredb_run(&a->r, &a->db, cause);
}

static void
cmd_restore_db_seal_defaults(void *arg)
{
	struct cmd_restore_db_args	*o = arg;

	o->r.seals.cache_dir = cli_default_cache_dir();
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
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_restore_db_opts,
	.size = sizeof (struct cmd_restore_db_args),
	.run = cmd_restore_db_run,
	.defaults = cmd_restore_db_seal_defaults,
};
