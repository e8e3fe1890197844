/* cmd-verify.c: tresor verify. */
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "common/error.h"
#include "restore/verify.h"

#define V struct verify_options
static const struct cli_opt cmd_verify_opts[] = {
	CLI_OUTPUT_OPTS(V, quiet),
	CLI_KEY_OPTS(V, crypto),
	CLI_TRANSPORT_OPTS(V, transport),
	{ "from", CLI_URL, CLI_AT(V, url), 0, 0, 0 },
	{ "set", CLI_STRING, CLI_AT(V, set), 0, 0, 0 },
	{ "read-data", CLI_FLAG, CLI_AT(V, read_data), 0, 0, 0 },
	CLI_OPTS_END
};
#undef V

static int
cmd_verify_exec(int argc, char **argv)
{
	struct verify_options	 o = { 0 };
	struct cli_parsed	 p;
	char			*cause = NULL;
	int			 rc;

	if ((rc = cli_parse(&cmd_verify, cmd_verify_opts, argc, argv, &o,
	    &p)) != 0)
		goto out;
	if (o.url == NULL)
		rc = cli_usage_error(&cmd_verify, "--from URL is required");
	else if (p.noperands != 0)
		rc = cli_usage_error(&cmd_verify, "unexpected '%s'",
		    p.operands[0]);
	if (rc == 0)
		rc = cli_finish(verify_run(&o, &cause), cause);
out:
	cli_parsed_free(&p);
	return rc;
}

const struct cmd cmd_verify = {
	.name = "verify",
	.summary = "check that the sets on a target are intact",
	.usage =
	"usage: tresor verify --from URL [KEY OPTIONS] [--set ID] [--read-data]\n"
	"\n"
	"For every complete set (or --set ID): decrypt the manifest and read\n"
	"back every volume it lists, comparing stored size and SHA-256. With\n"
	"--read-data also decrypt every volume and check every file's SHA-256,\n"
	"as a restore would, writing nothing.\n"
	"\n"
	"  --from URL              the target to check\n"
	"  --set ID                only this set\n"
	"  --read-data             decrypt and check all file contents too\n"
	CLI_TRANSPORT_HELP
	CLI_KEY_HELP,
	.exec = cmd_verify_exec,
};
