/* cmd-restore.c: tresor restore. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "restore/restore.h"

#define R struct restore_options
static const struct cli_opt cmd_restore_opts[] = {
	CLI_KEYED_OPTS(R, ),
	CLI_CHECK_OPTS(R, seals),
	CLI_POINT_OPTS(R, ),
	CLI_OPT_REQUIRED("to", CLI_STRING, CLI_AT(R, dest),
	    "--to DIR is required"),
	CLI_OPT("force", CLI_FLAG, CLI_AT(R, force)),
	CLI_OPTS_END
};
#undef R

static int
cmd_restore_run(void *o, char **cause)
{
	return restore_run(o, cause);
}

static void
cmd_restore_seal_defaults(void *arg)
{
	struct restore_options	*o = arg;

	o->seals.cache_dir = cli_default_cache_dir();
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
	"hold them are fetched. Every file is checked against the manifest\n"
	"(its volume's SHA-256, or its own) before it appears under its\n"
	"name. A damaged volume loses only the files in it: the others are\n"
	"restored, each lost file is named on a line of its own, and the\n"
	"exit status is 1.\n"
	"\n"
	CLI_POINT_HELP
	"  --to DIR                where to restore (created if missing)\n"
	"  --force                 overwrite files that exist in DIR\n"
	CLI_TRANSPORT_HELP
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_restore_opts,
	.size = sizeof (struct restore_options),
	.max_operands = -1,
	.operands_at = CLI_AT(struct restore_options, paths),
	.noperands_at = CLI_AT(struct restore_options, npaths),
	.run = cmd_restore_run,
	.defaults = cmd_restore_seal_defaults,
};
