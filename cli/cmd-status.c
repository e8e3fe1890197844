/* cmd-status.c: tresor status. */
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "common/error.h"
#include "repo/retention.h"
#include "restore/verify.h"

#define S struct status_options
static const struct cli_opt cmd_status_opts[] = {
	CLI_OUTPUT_OPTS(S, quiet),
	CLI_TRANSPORT_OPTS(S, transport),
	{ "from", CLI_URL, CLI_AT(S, url), 0, 0, 0 },
	{ "json", CLI_FLAG, CLI_AT(S, json), 0, 0, 0 },
	{ "older-than", CLI_INTERVAL, CLI_AT(S, older_than), 0, 0, 0 },
	CLI_OPTS_END
};
#undef S

static int
cmd_status_exec(int argc, char **argv)
{
	struct status_options	 o = { 0 };
	struct cli_parsed	 p;
	char			*cause = NULL;
	int			 rc;

	o.older_than = RETENTION_DEFAULT_AGE;
	if ((rc = cli_parse(&cmd_status, cmd_status_opts, argc, argv, &o,
	    &p)) != 0)
		goto out;
	if (o.url == NULL)
		rc = cli_usage_error(&cmd_status, "--from URL is required");
	else if (p.noperands != 0)
		rc = cli_usage_error(&cmd_status, "unexpected '%s'",
		    p.operands[0]);
	if (rc == 0)
		rc = cli_finish(status_run(&o, &cause), cause);
out:
	cli_parsed_free(&p);
	return rc;
}

const struct cmd cmd_status = {
	.name = "status",
	.summary = "list the sets on a target (no key needed)",
	.usage =
	"usage: tresor status --from URL [--json] [--older-than T]\n"
	"\n"
	"List the backup chains in URL and their sets: type, time, id, volumes\n"
	"and stored bytes; incomplete sets left by interrupted runs; and what\n"
	"tresor purge --older-than T would remove. Reads object names and\n"
	"sizes only; needs no key.\n"
	"\n"
	"  --from URL              the target (see tresor backup --help for the\n"
	"                          URL forms)\n"
	"  --json                  one JSON object on stdout instead of the text:\n"
	"                          target, purge_older_than (seconds), chains\n"
	"                          (full set id and sets: id, time, type,\n"
	"                          complete, volumes, bytes, purge), incomplete,\n"
	"                          purge_would_remove, purge_would_free\n"
	"  --older-than T          the cutoff for the purge preview: which sets\n"
	"                          purge --older-than T would remove (s m h D W M\n"
	"                          Y, e.g. 30D; default 4M); removes nothing\n"
	"\n"
	CLI_TRANSPORT_HELP,
	.exec = cmd_status_exec,
};
