/* cmd-purge.c: tresor purge and tresor cleanup (the same options). */
#include <stdio.h>
#include <stdlib.h>

#include "repo/lock.h"
#include "backup/purge.h"
#include "repo/retention.h"
#include "cli.h"
#include "common/error.h"

enum { OPT_FROM = OPT_FIRST_VERB_OPTION, OPT_OLDER, OPT_FORCE, OPT_CACHE_DIR };

/* Fill o; *url is --from's copy, which the caller frees. */
static int
cmd_purge_parse(const struct cmd *cmd, int argc, char **argv,
    struct purge_options *o, char **url)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "older-than", required_argument, NULL, OPT_OLDER },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
		CLI_LOCK_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct crypto_options	co = { 0 };
	int			opt, rc, have_age = 0;

	o->older_than = RETENTION_DEFAULT_AGE;
	o->cache_dir = cli_default_cache_dir();
	o->lock.stale_after = LOCK_DEFAULT_STALE;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(cmd, opt, optarg, &co, &o->quiet))
			continue;
		if (cli_transport_option(cmd, opt, optarg, &o->transport,
		    &rc) || cli_lock_option(cmd, opt, optarg, &o->lock, &rc)) {
			if (rc != 0)
				return -1;
			continue;
		}
		switch (opt) {
		case OPT_FROM:
			free(*url);
			o->url = *url = cli_target_url(optarg);
			break;
		case OPT_OLDER:
			if (cli_interval(cmd, "--older-than", optarg,
			    &o->older_than) != 0)
				return -1;
			have_age = 1;
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case OPT_CACHE_DIR:
			o->cache_dir = optarg;
			break;
		default:
			cli_usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (o->url == NULL) {
		cli_usage_error(cmd, "--from URL is required");
		return -1;
	}
	if (cmd == &cmd_purge && !have_age) {
		cli_usage_error(cmd, "--older-than T is required (the "
		    "appliance keeps 4M)");
		return -1;
	}
	if (optind < argc) {
		cli_usage_error(cmd, "unexpected '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

static int
cmd_purge_exec(int argc, char **argv)
{
	struct purge_options	 o = { 0 };
	char			*url = NULL, *cause = NULL;
	int			 rc;

	if (cmd_purge_parse(&cmd_purge, argc, argv, &o, &url) != 0)
		rc = EXIT_USAGE;
	else {
		rc = purge_run(&o, &cause);
		rc = cli_finish(rc, cause);
	}
	free(url);
	return rc;
}

static int
cmd_cleanup_exec(int argc, char **argv)
{
	struct purge_options	 o = { 0 };
	char			*url = NULL, *cause = NULL;
	int			 rc;

	if (cmd_purge_parse(&cmd_cleanup, argc, argv, &o, &url) != 0)
		rc = EXIT_USAGE;
	else {
		rc = cleanup_run(&o, &cause);
		rc = cli_finish(rc, cause);
	}
	free(url);
	return rc;
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
