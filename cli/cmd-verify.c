/* cmd-verify.c: tresor verify. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "restore/verify.h"

#define V struct verify_options
static const struct cli_opt cmd_verify_opts[] = {
	CLI_KEYED_OPTS(V, ),
	CLI_FROM_OPT(V, url),
	CLI_OPT("set", CLI_STRING, CLI_AT(V, set)),
	CLI_OPT("read-data", CLI_FLAG, CLI_AT(V, read_data)),
	CLI_OPTS_END
};
#undef V

static int
cmd_verify_run(void *o, char **cause)
{
	return verify_run(o, cause);
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
	"as a restore would, writing nothing. A set that points into a set\n"
	"without a manifest fails; sets with volumes but no manifest (an\n"
	"interrupted run, or a lost manifest) are named in a warning.\n"
	"\n"
	"  --from URL              the target to check\n"
	"  --set ID                only this set\n"
	"  --read-data             decrypt and check all file contents too\n"
	CLI_TRANSPORT_HELP
	CLI_KEY_HELP,
	.opts = cmd_verify_opts,
	.size = sizeof (struct verify_options),
	.run = cmd_verify_run,
};
