/* cmd-status.c: tresor status. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "backupd/purge.h"
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
	const char		*url = NULL;
	char			*cause = NULL;
	int64_t			 older = PURGE_DEFAULT_AGE;
	int			 opt, json = 0, quiet = 0, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_status, opt, optarg, &co, &quiet))
			continue;
		if (cli_transport_option(&cmd_status, opt, optarg, &to,
		    &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (opt) {
		case OPT_FROM:
			url = cli_target_url(optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_OLDER:
			if (cli_interval(&cmd_status, "--older-than", optarg,
			    &older) != 0)
				return EXIT_USAGE;
			break;
		default:
			return cli_usage_error(&cmd_status, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (url == NULL)
		return cli_usage_error(&cmd_status, "--from URL is required");
	if (optind < argc)
		return cli_usage_error(&cmd_status, "unexpected '%s'",
		    argv[optind]);
	rc = status_run(url, &to, json, older, &cause);
	return cli_finish(rc, cause);
}

const struct cmd cmd_status = {
	.name = "status",
	.summary = "list the sets on a target (no key needed)",
	.usage =
	"usage: tresor status --from URL [--json] [--older-than T]\n"
	"\n"
	"List the backup chains in URL and their sets: type, time, id, volumes\n"
	"and stored bytes; incomplete sets left by interrupted runs; and what\n"
	"tresor purge --older-than T (default 4M) would remove. Reads object\n"
	"names and sizes only; needs no key.\n"
	"\n"
	CLI_TRANSPORT_HELP,
	.exec = cmd_status_exec,
};
