/* cmd-verify.c: tresor verify. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "restore/verify.h"

#define V struct verify_options
static const struct cli_opt cmd_verify_opts[] = {
	CLI_KEYED_OPTS(V, ),
	CLI_CHECK_OPTS(V, seals),
	CLI_FROM_OPT(V, url),
	CLI_OPT("set", CLI_STRING, CLI_AT(V, set)),
	CLI_OPT("read-data", CLI_FLAG, CLI_AT(V, read_data)),
	CLI_OPT("seals-only", CLI_FLAG, CLI_AT(V, seals_only)),
	CLI_OPTS_END
};
#undef V

static int
cmd_verify_run(void *o, char **cause)
{
	return verify_run(o, cause);
}

static void
cmd_verify_seal_defaults(void *arg)
{
	struct verify_options	*o = arg;

	o->seals.cache_dir = cli_default_cache_dir();
}

const struct cmd cmd_verify = {
	.name = "verify",
	.summary = "check that the sets on a target are intact",
	.usage =
	"usage: tresor verify --from URL [KEY OPTIONS] [--set ID] [--read-data |\n"
	"                     --seals-only]\n"
	"\n"
	"For every complete set (or --set ID): decrypt the manifest and read\n"
	"back every volume it lists, comparing stored size and SHA-256. With\n"
	"--read-data also decrypt every volume and check every file's SHA-256,\n"
	"as a restore would, writing nothing. First, always: the seals (the\n"
	"newest one's signature, the hash chain down from it) against the\n"
	"newest head seen, and each manifest object against its seal;\n"
	"--seals-only stops there (no key). A set that points into a set\n"
	"without a manifest fails; sets with volumes but no manifest (an\n"
	"interrupted run, or a lost manifest) are named in a warning.\n"
	"\n"
	"  --from URL              the target to check\n"
	"  --set ID                only this set\n"
	"  --read-data             decrypt and check all file contents too\n"
	"  --seals-only            check seals, chain and manifest hashes only\n"
	CLI_TRANSPORT_HELP
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_verify_opts,
	.size = sizeof (struct verify_options),
	.run = cmd_verify_run,
	.defaults = cmd_verify_seal_defaults,
};
