/* cmd-purge.c: tresor purge and tresor cleanup (the same options). */
#include <stdlib.h>

#include "backup/purge.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "common/error.h"
#include "repo/lock.h"
#include "repo/retention.h"

#define P struct purge_options
static const struct cli_opt cmd_purge_opts[] = {
	CLI_OUTPUT_OPTS(P, quiet),
	CLI_TRANSPORT_OPTS(P, transport),
	CLI_LOCK_OPTS(P, lock, cache_dir),
	{ "from", CLI_URL, CLI_AT(P, url), 0, 0, 0 },
	{ "older-than", CLI_INTERVAL, CLI_AT(P, older_than), 0, 0, 0 },
	{ "force", CLI_FLAG, CLI_AT(P, force), 0, 0, 0 },
	CLI_OPTS_END
};
#undef P

/* purge and cleanup: the same options, a different run. */
static int
cmd_purge_common(const struct cmd *cmd, int argc, char **argv,
    int (*run)(const struct purge_options *, char **))
{
	struct purge_options	 o = { 0 };
	struct cli_parsed	 p;
	char			*cause = NULL;
	int			 rc;

	o.older_than = -1;	/* purge must be told */
	o.cache_dir = cli_default_cache_dir();
	o.lock.stale_after = LOCK_DEFAULT_STALE;
	if ((rc = cli_parse(cmd, cmd_purge_opts, argc, argv, &o, &p)) != 0)
		goto out;
	if (o.url == NULL)
		rc = cli_usage_error(cmd, "--from URL is required");
	else if (run == purge_run && o.older_than < 0)
		rc = cli_usage_error(cmd, "--older-than T is required (the "
		    "appliance keeps 4M)");
	else if (p.noperands != 0)
		rc = cli_usage_error(cmd, "unexpected '%s'", p.operands[0]);
	if (rc != 0)
		goto out;
	if (o.older_than < 0)
		o.older_than = RETENTION_DEFAULT_AGE;
	rc = cli_finish(run(&o, &cause), cause);
out:
	cli_parsed_free(&p);
	return rc;
}

static int
cmd_purge_exec(int argc, char **argv)
{
	return cmd_purge_common(&cmd_purge, argc, argv, purge_run);
}

static int
cmd_cleanup_exec(int argc, char **argv)
{
	return cmd_purge_common(&cmd_cleanup, argc, argv, cleanup_run);
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
	"--force, only lists what it would remove.\n"
	"\n"
	"  --from URL              the target\n"
	"  --older-than T          the cutoff\n"
	"  --force                 really remove\n"
	CLI_LOCK_HELP
	CLI_TRANSPORT_HELP,
	.exec = cmd_purge_exec,
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
	.exec = cmd_cleanup_exec,
};
