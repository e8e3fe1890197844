/* cmd-verify.c: tresor verify. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "restore/verify.h"

enum { OPT_FROM = OPT_FIRST_VERB_OPTION, OPT_SET, OPT_READ_DATA };

static int
cmd_verify_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "set", required_argument, NULL, OPT_SET },
		{ "read-data", no_argument, NULL, OPT_READ_DATA },
		{ NULL, 0, NULL, 0 }
	};
	struct verify_options	 o = { 0 };
	char			*url = NULL, *cause = NULL;
	int			 opt, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_verify, opt, optarg, &o.crypto,
		    &o.quiet))
			continue;
		if (cli_transport_option(&cmd_verify, opt, optarg, &o.transport,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_FROM:
			free(url);
			o.url = url = cli_target_url(optarg);
			break;
		case OPT_SET:
			o.set = optarg;
			break;
		case OPT_READ_DATA:
			o.read_data = 1;
			break;
		default:
			rc = cli_usage_error(&cmd_verify, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (o.url == NULL) {
		rc = cli_usage_error(&cmd_verify, "--from URL is required");
		goto out;
	}
	if (optind < argc) {
		rc = cli_usage_error(&cmd_verify, "unexpected '%s'",
		    argv[optind]);
		goto out;
	}
	rc = verify_run(&o, &cause);
	rc = cli_finish(rc, cause);
out:
	free(url);
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
