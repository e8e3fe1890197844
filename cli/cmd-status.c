/* cmd-status.c: tresor status. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "repo/retention.h"
#include "restore/verify.h"

#define S struct status_options
static const struct cli_opt cmd_status_opts[] = {
	CLI_OUTPUT_OPTS(S, quiet),
	CLI_TRANSPORT_OPTS(S, transport),
	CLI_FROM_OPT(S, url),
	CLI_OPT("json", CLI_FLAG, CLI_AT(S, json)),
	CLI_OPT("head", CLI_FLAG, CLI_AT(S, head)),
	CLI_OPT("cache-dir", CLI_STRING, CLI_AT(S, cache_dir)),
	CLI_OPT("older-than", CLI_INTERVAL, CLI_AT(S, older_than)),
	CLI_OPTS_END
};
#undef S

static void
cmd_status_defaults(void *arg)
{
	struct status_options	*o = arg;

	o->older_than = RETENTION_DEFAULT_AGE;
	o->cache_dir = cli_default_cache_dir();
}

static int
cmd_status_run(void *o, char **cause)
{
	return status_run(o, cause);
}

const struct cmd cmd_status = {
	.name = "status",
	.summary = "list the sets on a target (no key needed)",
	.usage =
	"usage: tresor status --from URL [--json] [--older-than T]\n"
	"       tresor status --from URL --head [--cache-dir DIR]\n"
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
	"  --head                  print the newest seal this host's cache saw\n"
	"                          (tresor-head 1 TARGET SEQUENCE SHA256 SET):\n"
	"                          keep a copy elsewhere, give it to verify or\n"
	"                          restore as --head (docs/SECURITY.md)\n"
	"  --cache-dir DIR         the cache (default $TRESOR_CACHE_DIR or\n"
	"                          /var/cache/tresor)\n"
	"\n"
	CLI_TRANSPORT_HELP,
	.opts = cmd_status_opts,
	.size = sizeof (struct status_options),
	.defaults = cmd_status_defaults,
	.run = cmd_status_run,
};
