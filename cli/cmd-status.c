/* cmd-status.c: tresor status. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "repo/retention.h"
#include "restore/verify.h"

enum { OPT_FROM = OPT_FIRST_VERB_OPTION, OPT_JSON, OPT_OLDER };

static int
cmd_status_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "older-than", required_argument, NULL, OPT_OLDER },
		{ NULL, 0, NULL, 0 }
	};
	struct crypto_options	 co = { 0 };
	struct transport_options to = { 0 };
	char			*url = NULL, *cause = NULL;
	int64_t			 older = RETENTION_DEFAULT_AGE;
	int			 opt, json = 0, quiet = 0, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_status, opt, optarg, &co, &quiet))
			continue;
		if (cli_transport_option(&cmd_status, opt, optarg, &to,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_FROM:
			free(url);
			url = cli_target_url(optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_OLDER:
			if (cli_interval(&cmd_status, "--older-than", optarg,
			    &older) != 0) {
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		default:
			rc = cli_usage_error(&cmd_status, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (url == NULL) {
		rc = cli_usage_error(&cmd_status, "--from URL is required");
		goto out;
	}
	if (optind < argc) {
		rc = cli_usage_error(&cmd_status, "unexpected '%s'",
		    argv[optind]);
		goto out;
	}
	rc = status_run(url, &to, json, older, &cause);
	rc = cli_finish(rc, cause);
out:
	free(url);
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
