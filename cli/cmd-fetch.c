/* cmd-fetch.c: tresor fetch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "restore/fetch.h"

#define R struct restore_options
static const struct cli_opt cmd_fetch_opts[] = {
	CLI_KEYED_OPTS(R, ),
	CLI_CHECK_OPTS(R, seals),
	CLI_POINT_OPTS(R, ),
	CLI_OPT("force", CLI_FLAG, CLI_AT(R, force)),
	CLI_OPTS_END
};
#undef R

static int
cmd_fetch_run(void *arg, char **cause)
{
	struct restore_options	*o = arg;
	int			 rc, reader_gone;

	o->npaths = 1;		/* paths[0] is PATH, paths[1] DEST */
	rc = fetch_run(o, o->paths[1], &reader_gone, cause);
	if (rc != EXIT_OK && reader_gone && !interrupt_received()) {
		/*
		 * The reader stopped early (head, pg_restore --list): its
		 * choice, not our error. Die of SIGPIPE as cat does, with no
		 * message; the shell reports 141. Everything is cleaned up.
		 */
		fflush(stderr);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return rc;
}

static void
cmd_fetch_seal_defaults(void *arg)
{
	struct restore_options	*o = arg;

	o->seals.cache_dir = cli_default_cache_dir();
}

const struct cmd cmd_fetch = {
	.name = "fetch",
	.summary = "one file (such as the database dump) to a file or stdout",
	.usage =
	"usage: tresor fetch --from URL [KEY OPTIONS] [--time T | --set ID]\n"
	"                    [--force] PATH DEST\n"
	"\n"
	"Write the stored file PATH (for example ecs-pgdump/app.pgdump) as of\n"
	"the newest set, or the newest at or before T, to DEST; DEST - is\n"
	"stdout. Only the volumes that hold it are read. A file DEST appears\n"
	"only once its content matched its SHA-256; on stdout a mismatch can\n"
	"only be reported by the exit status. A summary goes to stderr.\n"
	"\n"
	"If the reader of stdout stops early (fetch ... - | head), fetch\n"
	"stops quietly the way cat does: it is killed by SIGPIPE (the shell\n"
	"shows status 141), with no message. Under set -o pipefail that status\n"
	"marks the pipeline as failed, since not all of PATH was delivered and\n"
	"checked; the reader's own status says whether it got what it wanted.\n"
	"\n"
	CLI_POINT_HELP
	"  --force                 replace an existing DEST\n"
	CLI_TRANSPORT_HELP
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_fetch_opts,
	.size = sizeof (struct restore_options),
	.min_operands = 2,
	.max_operands = 2,
	.operands = "one PATH and one DEST",
	.operands_at = CLI_AT(struct restore_options, paths),
	.noperands_at = CLI_AT(struct restore_options, npaths),
	.run = cmd_fetch_run,
	.defaults = cmd_fetch_seal_defaults,
};
