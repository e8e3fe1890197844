/* cmd-purge.c: tresor purge and tresor cleanup (the same options). */
#include <stdlib.h>

#include "backup/purge.h"
#include "cli/cli.h"
#include "common/error.h"
#include "repo/lock.h"
#include "repo/retention.h"

/* purge and cleanup: the same options; only purge needs --older-than. */
#define P struct purge_options
#define CMD_PURGE_OPTS(older_than) \
	CLI_OUTPUT_OPTS(P, quiet), \
	CLI_TRANSPORT_OPTS(P, transport), \
	CLI_LOCK_OPTS(P, lock, cache_dir), \
	CLI_SIGN_OPTS(P, seals), \
	CLI_FROM_OPT(P, url), \
	older_than, \
	CLI_OPT("force", CLI_FLAG, CLI_AT(P, force)), \
	CLI_OPTS_END
static const struct cli_opt cmd_purge_opts[] = {
	CMD_PURGE_OPTS(CLI_OPT_REQUIRED("older-than", CLI_INTERVAL,
	    CLI_AT(P, older_than), "--older-than T is required (the "
	    "appliance keeps 4M)"))
};
static const struct cli_opt cmd_cleanup_opts[] = {
	CMD_PURGE_OPTS(CLI_OPT("older-than", CLI_INTERVAL,
	    CLI_AT(P, older_than)))
};
#undef CMD_PURGE_OPTS
#undef P

static void
cmd_purge_defaults(void *arg)
{
	struct purge_options	*o = arg;

	o->older_than = RETENTION_DEFAULT_AGE;
	o->cache_dir = cli_default_cache_dir();
	o->lock.stale_after = LOCK_DEFAULT_STALE;
}

static int
cmd_purge_run(void *o, char **cause)
{
	return purge_run(o, cause);
}

static int
cmd_cleanup_run(void *o, char **cause)
{
	return cleanup_run(o, cause);
}

const struct cmd cmd_purge = {
	.name = "purge",
	.summary = "remove chains older than a cutoff (dry run unless --force)",
	.usage =
	"usage: tresor purge --from URL --older-than T [--force]\n"
	"\n"
	"Remove the chains (a full set and its incrementals) whose newest set\n"
	"is older than T (s m h D W M Y, e.g. 4M). A set a kept set depends on\n"
	"is never removed, and the newest chain is always kept. Without\n"
	"--force, only lists what it would remove. Before sealed sets go, a\n"
	"purge record signed with --sign-key lists them (their absence is then\n"
	"no alarm for verify).\n"
	"\n"
	"  --from URL              the target\n"
	"  --older-than T          the cutoff\n"
	"  --force                 really remove\n"
	CLI_LOCK_HELP
	CLI_SIGN_HELP
	CLI_TRANSPORT_HELP,
	.opts = cmd_purge_opts,
	.size = sizeof (struct purge_options),
	.defaults = cmd_purge_defaults,
	.run = cmd_purge_run,
};

const struct cmd cmd_cleanup = {
	.name = "cleanup",
	.summary = "remove debris of interrupted runs (dry run unless --force)",
	.usage =
	"usage: tresor cleanup --from URL [--force]\n"
	"\n"
	"Remove what interrupted runs left in URL: sets without a manifest and\n"
	"temporary objects. Takes the target's lock, so it never touches a run\n"
	"in progress. Without --force, only lists what it would remove.\n"
	"\n"
	"  --from URL              the target\n"
	"  --force                 really remove\n"
	CLI_LOCK_HELP
	CLI_TRANSPORT_HELP,
	.opts = cmd_cleanup_opts,
	.size = sizeof (struct purge_options),
	.defaults = cmd_purge_defaults,
	.run = cmd_cleanup_run,
};
